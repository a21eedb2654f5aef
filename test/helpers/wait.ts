import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms; fails naming what never happened. */
export async function waitFor(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** A test's result is in a run's journal: its own record, not the plan that names it before anything runs. */
export function journaled(runDir: string, name: string): boolean {
  const journal = join(runDir, 'journal.jsonl');
  return (
    existsSync(journal) &&
    readFileSync(journal, 'utf8')
      .split('\n')
      .some((line) => line.startsWith('{"type":"test"') && line.includes(`"name":${JSON.stringify(name)}`))
  );
}
