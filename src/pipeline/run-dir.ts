import { join, resolve } from 'node:path';

/** Every file of a run directory is named here and nowhere else. */
export interface RunDir {
  readonly root: string;
  /** The final result (docs/run-format.md). */
  readonly runFile: string;
  /** One record per finished test, written as it happens: what --resume replays. */
  readonly journal: string;
  /** The run's options, so `--resume DIR` alone continues the same run. */
  readonly request: string;
  /** Held by the svmtest process running in this directory. */
  readonly lock: string;
  /** Test output, one file per test and attempt (paths in run.json are relative to root). */
  readonly logs: string;
  /** Per-batch files of the suite adapters (ctest's JUnit). */
  readonly scratch: string;
  /** QEMU: the guest's serial console, and the guest agent's request directories. */
  readonly console: string;
  readonly agent: string;
}

export function runDirAt(root: string): RunDir {
  const dir = resolve(root);
  return {
    root: dir,
    runFile: join(dir, 'run.json'),
    journal: join(dir, 'journal.jsonl'),
    request: join(dir, 'request.json'),
    lock: join(dir, 'run.lock'),
    logs: join(dir, 'logs'),
    scratch: join(dir, 'tmp'),
    console: join(dir, 'console.log'),
    agent: join(dir, '.agent'),
  };
}

/** `reports/20261125T101500Z-<label>`: a fresh run directory's default name. */
export function timestampDir(base: string, label: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return resolve(base, `${stamp}-${label}`);
}
