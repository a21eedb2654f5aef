import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { mergeShards } from '../pipeline/merge-shards.js';
import { note } from './screen.js';

export async function mergeCommand(paths: string[], options: { out: string }): Promise<ExitCode> {
  const { file, run, missingShards, total } = mergeShards(paths, options.out);
  note(`wrote ${file}: ${run.tests.length} tests from ${paths.length} runs (variant ${run.run.variant})`);
  if (missingShards.length > 0) {
    note(`missing shards: ${missingShards.join(', ')} of ${total}; the merged run is incomplete`);
    return EXIT.infra;
  }
  return EXIT.ok;
}
