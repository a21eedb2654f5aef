import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// What the services the tests use keep in /tmp (started before the run, by .ci/run or a developer).
const SERVICES = new Set(['svmtest-lava', 'svmtest-postgres']);

/** Removes the svmtest-* temporary directories made since `since` (ms), services' state excepted. */
export function removeTemporaryDirs(since) {
  for (const root of [tmpdir(), '/var/tmp']) {
    let names = [];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith('svmtest-') || SERVICES.has(name)) continue;
      const path = join(root, name);
      try {
        if (lstatSync(path).mtimeMs >= since) rmSync(path, { recursive: true, force: true });
      } catch {
        // gone already, or not ours to remove
      }
    }
  }
}
