import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { InputError } from '../model/errors.js';

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat): tells a reused PID apart. */
  readonly start: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which may itself hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined; // half-written by a holder that died at once: stale
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // another machine's process: it cannot be checked from here
  const start = startTimeOf(holder.pid);
  return start !== undefined && start === holder.start;
}

/**
 * Takes the run directory for this process: a second svmtest on the same directory stops at
 * once, naming the holder; a lock whose process is gone is taken over. Returns the release.
 */
export function acquireRunLock(file: string, dir: string): () => void {
  const me: LockHolder = { pid: process.pid, host: hostname(), start: startTimeOf(process.pid) ?? '' };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder && isAlive(holder)) {
        throw new InputError(
          `${dir}: in use by svmtest process ${holder.pid}${holder.host !== me.host ? ` on ${holder.host}` : ''}; wait for it, or give another --out`,
        );
      }
      rmSync(file, { force: true }); // stale: its process is gone
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return () => {
      if (readHolder(file)?.pid === me.pid) rmSync(file, { force: true });
    };
  }
  throw new InputError(`${dir}: could not take the run-directory lock ${file}`);
}
