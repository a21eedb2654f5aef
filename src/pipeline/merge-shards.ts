import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { RunFile } from '../model/run.js';
import { readRun } from '../model/run-file.js';
import { writeRun } from '../model/run-file-write.js';
import { mergeRuns } from '../results/merge-runs.js';

/** Shard runs of one variant → one saved run; says which shards are missing. */
export function mergeShards(paths: readonly string[], out: string): { file: string; run: RunFile; missingShards: readonly number[]; total?: number } {
  const runs = paths.map((file) => ({ file, run: readRun(file) }));
  const { run, missingShards } = mergeRuns(runs, randomUUID());
  const file = out.endsWith('.json') ? resolve(out) : join(resolve(out), 'run.json');
  writeRun(file, run);
  const total = runs[0]?.run.run.shard?.total;
  return { file, run, missingShards, ...(total !== undefined ? { total } : {}) };
}
