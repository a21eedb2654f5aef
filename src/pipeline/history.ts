import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { type FlakyTest, flakyTests } from '../history/flaky.js';
import { importComparison, importRun, type ImportOutcome } from '../history/import.js';
import { type HistoryStore, openStore } from '../history/open-store.js';
import { type PerfTrendItem, perfTrend } from '../history/perf-trend.js';
import { InputError } from '../model/errors.js';
import { readComparison, readRun } from '../model/run-file.js';
import type { ComparisonFile } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';
import { isRfc3339 } from '../model/sane-values.js';
import { recheckComparison } from './comparison-inputs.js';
import { currentRegressions, type RegressionReport } from '../history/regressions.js';
import { showTest, type TestStrips } from '../history/show-test.js';
import { type Trend, trend } from '../history/trend.js';

/**
 * --db, else $SVMTEST_HISTORY_DB (a postgres:// URL with a password belongs in a CI secret, not on a
 * command line), else history.db in the config, else reports/history.db beside the reports.
 */
export function historyLocation(given: string | undefined, loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return given;
  if (env.SVMTEST_HISTORY_DB) return env.SVMTEST_HISTORY_DB;
  const configured = loaded.config.history.db;
  if (configured) return /^[a-z][a-z0-9+.-]*:\/\//i.test(configured) ? configured : resolve(dirname(resolve(loaded.file)), configured);
  return resolve(loaded.config.run.out, 'history.db');
}

/** Runs (run.json files or run directories) and comparisons in a path: a ci output directory holds both. */
function resultsIn(path: string): { runs: string[]; comparisons: string[] } {
  if (!existsSync(path)) throw new InputError(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return /comparison/.test(path) ? { runs: [], comparisons: [path] } : { runs: [path], comparisons: [] };
  const runs: string[] = [];
  if (existsSync(join(path, 'run.json'))) runs.push(join(path, 'run.json'));
  for (const entry of readdirSync(path)) {
    const sub = join(path, entry, 'run.json');
    if (existsSync(sub) && statSync(join(path, entry)).isDirectory()) runs.push(sub);
  }
  const comparisons = existsSync(join(path, 'comparison.json')) ? [join(path, 'comparison.json')] : [];
  if (runs.length === 0 && comparisons.length === 0)
    throw new InputError(`${path}: holds no run.json or comparison.json (nor a ci output's variant directories)`);
  return { runs, comparisons };
}

export interface ImportReport {
  readonly file: string;
  readonly outcome: ImportOutcome;
  /** For a shard: the shards of its nightly not imported yet. */
  readonly missingShards?: readonly number[];
}

async function missingShards(store: HistoryStore, runId: string): Promise<number[] | undefined> {
  const run = await store.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  if (run.shard_total === null) return undefined;
  const present = await store.db
    .selectFrom('runs')
    .select('shard_index')
    .where('night', '=', run.night)
    .where('variant', '=', run.variant)
    .where('gfx', '=', run.gfx)
    .where('shard_total', '=', run.shard_total)
    .execute();
  const have = new Set(present.map((p) => p.shard_index));
  return Array.from({ length: run.shard_total }, (_, i) => i + 1).filter((i) => !have.has(i));
}

/**
 * The runs a comparison was made from, when they are not imported with it: found through its
 * recorded inputs (beside it, as ci writes them) and checked by digest. A comparison whose runs
 * are nowhere is refused — a night without its runs cannot say what regressed.
 */
async function runsOfComparisons(
  store: HistoryStore,
  comparisons: ReadonlyArray<{ file: string; comparison: ComparisonFile }>,
  runs: Array<{ file: string; run: RunFile }>,
  /** Each run's own night counts (no --night): a run found here is checked like one given. */
  ownNights: boolean,
): Promise<void> {
  for (const { file, comparison } of comparisons) {
    const missing: Array<'baseline' | 'candidate'> = [];
    for (const side of ['baseline', 'candidate'] as const) {
      const id = comparison[side].id;
      if (runs.some((r) => r.run.run.id === id)) continue;
      if (!(await store.db.selectFrom('runs').select('id').where('id', '=', id).executeTakeFirst())) missing.push(side);
    }
    if (missing.length === 0) continue;
    // Its own runs, found through its recorded inputs and checked against it (digests, verdicts).
    const found = recheckComparison(comparison, file).runs;
    for (const side of missing) {
      if (!found) {
        throw new InputError(
          `${file}: its ${side} run ${comparison[side].id} (${comparison[side].variant}) is neither in the history nor imported with it; import its run.json too (svmtest history import the ci output directory)`,
        );
      }
      const { file: runFile, run } = found[side];
      if (ownNights) checkNight(run.run.startedAt.slice(0, 10), `${runFile}: run.startedAt`);
      runs.push({ file: runFile, run });
    }
  }
}

/** A night in the future would be "last night" for ever: refused. */
function checkNight(night: string, what: string): void {
  const limit = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(night) || !isRfc3339(`${night}T00:00:00Z`)) throw new InputError(`${what}: night "${night}" is not a date (YYYY-MM-DD)`);
  if (night > limit) throw new InputError(`${what}: night ${night} is in the future; a night in the future would stay "last night" for ever`);
}

/** Imports runs first, then comparisons (which refer to them); every file is read and checked before anything is written. */
export async function importIntoHistory(location: string, paths: readonly string[], options: { night?: string } = {}): Promise<ImportReport[]> {
  if (options.night) checkNight(options.night, '--night');
  const found = paths.map(resultsIn);
  const runs = found.flatMap((f) => f.runs).map((file) => ({ file, run: readRun(file) }));
  const comparisons = found.flatMap((f) => f.comparisons).map((file) => ({ file, comparison: readComparison(file) }));
  if (!options.night)
    for (const { file, run } of runs) checkNight(run.run.night ?? run.run.startedAt.slice(0, 10), `${file}: ${run.run.night ? 'run.night' : 'run.startedAt'}`);
  const store = await openStore(location, { create: true });
  try {
    await runsOfComparisons(store, comparisons, runs, !options.night);
    const reports: ImportReport[] = [];
    for (const { file, run } of runs) {
      const outcome = await importRun(store, run, { ...(options.night ? { night: options.night } : {}), runDir: dirname(resolve(file)) });
      const missing = await missingShards(store, run.run.id);
      reports.push({ file, outcome, ...(missing && missing.length > 0 ? { missingShards: missing } : {}) });
    }
    for (const { file, comparison } of comparisons)
      reports.push({ file, outcome: await importComparison(store, comparison, options.night ? { night: options.night } : {}) });
    return reports;
  } finally {
    await store.close();
  }
}

/** Opens the store for a query and closes it afterwards. */
export async function withHistory<T>(location: string, query: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openStore(location);
  try {
    return await query(store);
  } finally {
    await store.close();
  }
}

export async function historyRegressions(location: string, options: { gfx?: string; window?: number }): Promise<RegressionReport> {
  return withHistory(location, (store) => currentRegressions(store, options));
}

export async function historyFlaky(location: string, options: { nights?: number; gfx?: string; variant?: string }): Promise<FlakyTest[]> {
  return withHistory(location, (store) => flakyTests(store, options));
}

export async function historyShow(location: string, test: string): Promise<TestStrips> {
  return withHistory(location, (store) => showTest(store, test));
}

export type { PerfTrendItem };

export async function historyPerf(location: string, options: { nights?: number }): Promise<PerfTrendItem[]> {
  return withHistory(location, (store) => perfTrend(store, options));
}

export async function historyTrend(location: string, options: { nights?: number }): Promise<Trend> {
  return withHistory(location, (store) => trend(store, options));
}
