import { join, resolve } from 'node:path';

/** Every file of a bisect directory is named here and nowhere else. */
export interface BisectDir {
  readonly root: string;
  /** What the bisect found and every step (written after each step, final at the end). */
  readonly result: string;
  /** One record per finished run and step, written as it happens: what --resume replays. */
  readonly journal: string;
  /** The bisect's options, so `--resume DIR` alone continues it. */
  readonly request: string;
  readonly lock: string;
  /** `git bisect log` after each mark: what `git bisect replay` restores on resume. */
  readonly gitLog: string;
  readonly summary: string;
  readonly junit: string;
}

export function bisectDirAt(root: string): BisectDir {
  const dir = resolve(root);
  return {
    root: dir,
    result: join(dir, 'bisect.json'),
    journal: join(dir, 'journal.jsonl'),
    request: join(dir, 'request.json'),
    lock: join(dir, 'bisect.lock'),
    gitLog: join(dir, 'bisect.log'),
    summary: join(dir, 'summary.md'),
    junit: join(dir, 'junit.xml'),
  };
}

/** A step's runs live in steps/<role>-<commit12>/run-<i>, relative to the bisect directory. */
export function stepRunDir(role: string, commit: string, index: number): string {
  return join('steps', `${role}-${commit.slice(0, 12)}`, `run-${index}`);
}
