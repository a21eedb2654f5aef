import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { mergeRuns } from '../engine/merge.js';
import { readRun, writeRun } from '../model/run-file.js';
import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { note } from './screen.js';

export async function mergeCommand(paths: string[], options: { out: string }): Promise<ExitCode> {
  const runs = paths.map((file) => ({ file, run: readRun(file) }));
  const { run, missingShards } = mergeRuns(runs, randomUUID());
  const file = options.out.endsWith('.json') ? resolve(options.out) : join(resolve(options.out), 'run.json');
  writeRun(file, run);
  note(`wrote ${file}: ${run.tests.length} tests from ${runs.length} runs (variant ${run.run.variant})`);
  if (missingShards.length > 0) {
    note(`missing shards: ${missingShards.join(', ')} of ${runs[0]!.run.run.shard!.total}; the merged run is incomplete`);
    return EXIT.infra;
  }
  return EXIT.ok;
}
