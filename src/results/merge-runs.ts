import { InputError } from '../model/errors.js';
import { RUN_SCHEMA_VERSION, testId, type RunFile, type RunStatus, type TestResult } from '../model/run.js';

export interface MergeResult {
  readonly run: RunFile;
  /** Shards of the same total that were not given (reported, and the merged run is incomplete). */
  readonly missingShards: readonly number[];
}

const WORST: RunStatus[] = ['interrupted', 'incomplete', 'complete'];

/**
 * Shard runs → one run, so comparison and reports work on the whole. Refuses runs of different
 * variants or kernels and tests reported by two shards; says which shards are missing.
 */
export function mergeRuns(runs: ReadonlyArray<{ file: string; run: RunFile }>, id: string): MergeResult {
  if (runs.length === 0) throw new InputError('merge: expected at least one run');
  const first = runs[0]!;
  for (const { file, run } of runs.slice(1)) {
    if (run.run.variant !== first.run.run.variant)
      throw new InputError(`${file}: variant ${run.run.variant}, but ${first.file} is ${first.run.run.variant}; merge combines shards of one variant`);
    const k1 = first.run.run.environment.kernelRelease;
    const k2 = run.run.environment.kernelRelease;
    if (k1 !== k2) throw new InputError(`${file}: kernel ${k2 ?? '(unknown)'}, but ${first.file} ran ${k1 ?? '(unknown)'}; shards must run the same kernel`);
  }
  const tests = new Map<string, { test: TestResult; file: string }>();
  for (const { file, run } of runs) {
    for (const test of run.tests) {
      const key = testId(test);
      const seen = tests.get(key);
      if (seen) throw new InputError(`${file}: test ${key} is also in ${seen.file}; shards must not overlap`);
      tests.set(key, { test, file });
    }
  }
  const totals = new Set(runs.map((r) => r.run.run.shard?.total).filter((t): t is number => t !== undefined));
  if (totals.size > 1) throw new InputError(`merge: the runs come from different shardings (${[...totals].map((t) => `of ${t}`).join(', ')})`);
  const total = [...totals][0];
  const present = new Set(runs.map((r) => r.run.run.shard?.index).filter((i): i is number => i !== undefined));
  const indices = runs.map((r) => r.run.run.shard?.index);
  const duplicate = indices.find((i, n) => i !== undefined && indices.indexOf(i) !== n);
  if (duplicate !== undefined) throw new InputError(`merge: shard ${duplicate}/${total} is given twice`);
  const missingShards = total ? Array.from({ length: total }, (_, i) => i + 1).filter((i) => !present.has(i)) : [];
  let status = runs.map((r) => r.run.run.status).reduce((a, b) => (WORST.indexOf(a) <= WORST.indexOf(b) ? a : b));
  if (missingShards.length > 0 && status === 'complete') status = 'incomplete';
  const { shard: _shard, ...info } = first.run.run;
  const starts = runs.map((r) => r.run.run.startedAt).sort();
  const ends = runs.map((r) => r.run.run.finishedAt ?? r.run.run.startedAt).sort();
  return {
    missingShards,
    run: {
      schemaVersion: RUN_SCHEMA_VERSION,
      run: { ...info, id, status, startedAt: starts[0]!, finishedAt: ends[ends.length - 1]! },
      tests: [...tests.values()].map((t) => t.test),
      errors: [
        ...runs.flatMap((r) => r.run.errors),
        ...(missingShards.length > 0 ? [{ stage: 'merge', message: `missing shards: ${missingShards.map((i) => `${i}/${total}`).join(', ')}` }] : []),
      ],
    },
  };
}
