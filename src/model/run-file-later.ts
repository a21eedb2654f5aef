import type { RunFile } from './run.js';

/**
 * readRun for the commands that read a run.json only when a flag names one (`run --durations`,
 * `--fail-fast`, a resumed `--repeat` round): the schema validators are a large chunk of compiled
 * code (~30 ms to load here) that a plain run does not load.
 */
export async function readRunLater(path: string): Promise<RunFile> {
  const { readRun } = await import('./run-file.js');
  return readRun(path);
}
