import { type ChildProcess, spawn } from 'node:child_process';
import type { CommandSpec, ExitInfo } from '../target.js';
import { processReaper } from '../reaper.js';

// The host target starts every test process, so it uses node:child_process directly: execa's
// convenience costs ~0.14 s of module loading on each run's critical path, child_process none.

export interface StartedGroup {
  readonly child: ChildProcess;
  /** Resolves when the process ended and its output streams closed; a command that could not start ends with 127 and why. */
  readonly done: Promise<ExitInfo & { readonly startError?: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** A command in its own process group (so a timeout kills everything it started), known to the reaper. */
export function startGroup(spec: CommandSpec, options: { stdin?: boolean } = {}): StartedGroup {
  const [file, ...args] = spec.argv;
  const child = spawn(file ?? '', args, {
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const group = child.pid ? -child.pid : undefined;
  processReaper.track(group);
  const done = new Promise<ExitInfo & { startError?: string }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ exitCode: 127, signal: null, startError: `${file}: ${error.code ?? error.message}` });
    });
    child.once('close', (code, signal) => resolve({ exitCode: code, signal }));
  }).finally(() => processReaper.untrack(group));
  return {
    child,
    done,
    kill: (signal) => {
      if (group === undefined) return;
      try {
        process.kill(group, signal);
      } catch {
        // the group is already gone
      }
    },
  };
}
