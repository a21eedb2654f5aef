import { execa, type ResultPromise } from 'execa';
import { constants } from 'node:fs';
import { access, open, readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { parseKernelLine, type KernelRecord } from '../parsers/kernel-record.js';
import {
  KernelLogUnavailable,
  type CommandSpec,
  type ExecResult,
  type ExitInfo,
  type KernelLogWatch,
  type LineHandlers,
  type RunningCommand,
  type Target,
  type TargetIdentity,
} from './target.js';
import { processReaper } from './reaper.js';

function monotonicSeconds(): number {
  // libuv's hrtime is CLOCK_MONOTONIC, the kernel log's timebase (seconds since boot, no suspend).
  return Number(process.hrtime.bigint()) / 1e9;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function exitInfo(result: { exitCode?: number | undefined; signal?: string | undefined }): ExitInfo {
  return { exitCode: result.exitCode ?? null, signal: result.signal ?? null };
}

function startProcess(spec: CommandSpec, lines: boolean): ResultPromise {
  const [file, ...args] = spec.argv;
  if (!file) throw new Error('empty command');
  const child = execa(file, args, {
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    env: { ...spec.env },
    extendEnv: true,
    detached: true, // its own process group, so a timeout kills everything the test started
    reject: false,
    stdin: 'ignore',
    buffer: !lines,
    stripFinalNewline: false,
    encoding: 'utf8',
  });
  // The group outlives nothing: if svmtest dies, the reaper kills it.
  const group = child.pid ? -child.pid : undefined;
  processReaper.track(group);
  void child.finally(() => processReaper.untrack(group)).catch(() => undefined);
  return child;
}

/** The machine svmtest runs on. */
export class HostTarget implements Target {
  readonly kind = 'host' as const;
  readonly description = `host ${hostname()}`;

  constructor(private readonly sysRoot = '') {}

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    let child: ResultPromise;
    try {
      child = startProcess(spec, true);
    } catch {
      return { done: Promise.resolve({ exitCode: 127, signal: null }), kill: () => undefined };
    }
    const closed: Array<Promise<void>> = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (!source) continue;
      const reader = createInterface({ input: source, crlfDelay: Infinity });
      reader.on('line', (line) => handlers.onLine(stream, line));
      closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
    }
    const done = (async () => {
      const result = await child;
      await Promise.all(closed);
      if (result.failed && result.exitCode === undefined && !result.signal) {
        handlers.onLine('stderr', result.shortMessage ?? 'failed to start');
        return { exitCode: 127, signal: null };
      }
      return exitInfo(result);
    })();
    return { done, kill: (signal) => killGroup(child.pid, signal) };
  }

  async exec(spec: CommandSpec, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    let child: ResultPromise;
    try {
      child = startProcess(spec, false);
    } catch (error) {
      return { exitCode: 127, signal: null, stdout: '', stderr: String(error) };
    }
    const timer = options.timeoutMs ? setTimeout(() => killGroup(child.pid, 'SIGKILL'), options.timeoutMs) : undefined;
    const result = await child;
    if (timer) clearTimeout(timer);
    const failedToStart = result.failed && result.exitCode === undefined && !result.signal;
    return {
      ...exitInfo(result),
      ...(failedToStart ? { exitCode: 127 } : {}),
      stdout: String(result.stdout ?? ''),
      stderr: failedToStart ? (result.shortMessage ?? '') : String(result.stderr ?? ''),
    };
  }

  /** The host path a machine path maps to (a copied /sys with --sysfs-root). */
  path(path: string): string {
    // --sysfs-root and friends: a copied /sys tree can stand in for the real one.
    return this.sysRoot && (path.startsWith('/sys/') || path === '/sys') ? `${this.sysRoot}${path.slice(4)}` : path;
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(path), 'utf8');
    } catch {
      return undefined;
    }
  }

  async readFileBytes(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(path));
    } catch {
      return undefined;
    }
  }

  async readDir(path: string): Promise<string[] | undefined> {
    try {
      return (await readdir(this.path(path))).sort();
    } catch {
      return undefined;
    }
  }

  kernelTime(): number {
    return monotonicSeconds();
  }

  async watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch> {
    const since = monotonicSeconds();
    try {
      await access('/dev/kmsg', constants.R_OK);
      (await open('/dev/kmsg', 'r')).close();
    } catch (error) {
      throw new KernelLogUnavailable(`cannot read /dev/kmsg (${(error as NodeJS.ErrnoException).code ?? 'no permission'})`);
    }
    // /dev/kmsg yields one record per read; cat streams them and is simply killed at the end.
    const child = execa('cat', ['/dev/kmsg'], { reject: false, buffer: false, stdin: 'ignore', encoding: 'utf8' });
    processReaper.track(child.pid);
    const reader = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    reader.on('line', (line) => {
      const record = parseKernelLine(line);
      // The buffer is replayed from boot: keep what was logged from now on.
      if (record && record.timestamp !== null && record.timestamp >= since - 0.001) onRecord(record);
    });
    return {
      stop: async () => {
        child.kill('SIGTERM');
        await child;
        processReaper.untrack(child.pid);
      },
    };
  }

  async identity(): Promise<TargetIdentity> {
    const release = (await this.readFile('/proc/sys/kernel/osrelease'))?.trim() ?? 'unknown';
    const version = (await this.readFile('/proc/sys/kernel/version'))?.trim() ?? 'unknown';
    return { kernelRelease: release, kernelVersion: version, hostname: hostname() };
  }

  async close(): Promise<void> {}
}
