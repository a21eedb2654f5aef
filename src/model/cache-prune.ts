import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Removes all but the `keep` newest entries of `dir` whose names match. */
export function pruneOlder(dir: string, pattern: RegExp, keep: number): void {
  const entries = readdirSync(dir)
    .filter((name) => pattern.test(name))
    .map((name) => ({ path: join(dir, name), at: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { path } of entries.slice(keep)) rmSync(path, { recursive: true, force: true });
}
