import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { type ComparisonFile, VERDICTS } from '../model/comparison.js';
import { InputError } from '../model/errors.js';
import type { RunFile, TestResult, KernelProvenance } from '../model/run.js';
import { isFailing, STATUSES } from '../model/status.js';
import { chunks, insertRows } from './bulk-insert.js';
import type { HistoryStore } from './open-store.js';
import type { HistoryDatabase } from './tables.js';

export type ImportOutcome = 'added' | 'updated' | 'unchanged';

type Db = Kysely<HistoryDatabase> | Transaction<HistoryDatabase>;

export const gfxKey = (families: readonly string[]): string => [...new Set(families)].sort().join(',');

/** "gpu-page-fault:2 warning:1": what the kernel did during a test; the records stay in the run directory. */
function eventSummary(test: TestResult): string | null {
  if (test.kernelEvents.length === 0) return null;
  const counts = new Map<string, number>();
  for (const e of test.kernelEvents) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${kind}:${n}`).join(' ');
}

const ERROR_KINDS: ReadonlySet<string> = new Set(['panic', 'oops', 'bug', 'warning']);

/** The run's rollup per suite and status, which trends read instead of the results. */
function runCounts(runKey: number, tests: readonly TestResult[]) {
  const cells = new Map<
    string,
    { run_key: number; suite: string; status: number; n: number; duration_ms: number; page_faults: number; resets: number; kernel_errors: number }
  >();
  for (const t of tests) {
    const status = STATUSES.indexOf(t.status);
    const key = `${t.suite}\0${status}`;
    const cell = cells.get(key) ?? { run_key: runKey, suite: t.suite, status, n: 0, duration_ms: 0, page_faults: 0, resets: 0, kernel_errors: 0 };
    cell.n++;
    cell.duration_ms += Math.round(t.durationMs);
    if (t.kernelEvents.some((e) => e.kind === 'gpu-page-fault')) cell.page_faults++;
    if (t.kernelEvents.some((e) => e.kind === 'gpu-reset')) cell.resets++;
    if (t.kernelEvents.some((e) => ERROR_KINDS.has(e.kind))) cell.kernel_errors++;
    cells.set(key, cell);
  }
  return [...cells.values()];
}

/** Test ids for suite/name pairs, interned: each test is one row however many nights it ran. */
async function internTests(db: Db, tests: ReadonlyArray<{ suite: string; name: string }>): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const key = (suite: string, name: string) => `${suite}\0${name}`;
  for (const suite of new Set(tests.map((t) => t.suite))) {
    for (const row of await db.selectFrom('tests').select(['id', 'suite', 'name']).where('suite', '=', suite).execute())
      ids.set(key(row.suite, row.name), row.id);
  }
  const missing = [...new Map(tests.filter((t) => !ids.has(key(t.suite, t.name))).map((t) => [key(t.suite, t.name), t])).values()];
  for (const chunk of chunks(missing)) {
    const rows = await db
      .insertInto('tests')
      .values(chunk.map((t) => ({ suite: t.suite, name: t.name })))
      .onConflict((oc) => oc.columns(['suite', 'name']).doNothing())
      .returning(['id', 'suite', 'name'])
      .execute();
    for (const row of rows) ids.set(key(row.suite, row.name), row.id);
  }
  // Rows another importer added meanwhile came back from neither query: read them now.
  for (const t of tests) {
    if (ids.has(key(t.suite, t.name))) continue;
    const row = await db.selectFrom('tests').select('id').where('suite', '=', t.suite).where('name', '=', t.name).executeTakeFirstOrThrow();
    ids.set(key(t.suite, t.name), row.id);
  }
  return ids;
}

function runRow(run: RunFile, options: { night?: string; runDir?: string }) {
  const info = run.run;
  const env = info.environment;
  const build = env.kernelBuild;
  return {
    id: info.id,
    variant: info.variant,
    night: options.night ?? info.night ?? info.startedAt.slice(0, 10),
    started_at: info.startedAt,
    finished_at: info.finishedAt ?? null,
    status: info.status,
    target: info.target,
    shard_index: info.shard?.index ?? null,
    shard_total: info.shard?.total ?? null,
    kernel_release: env.kernelRelease ?? null,
    kernel_version: env.kernelVersion ?? null,
    kernel_config: env.kernelConfig ? JSON.stringify(env.kernelConfig) : null,
    series: build ? provenanceLine(build) : null,
    gfx: gfxKey(env.gpus.map((g) => g.gfx)),
    rocm_version: env.rocmVersion ?? null,
    hostname: env.hostname ?? null,
    run_dir: options.runDir ?? null,
    test_count: run.tests.length,
    imported_at: new Date().toISOString(),
    tool_version: info.toolVersion,
    warnings: info.warnings && info.warnings.length > 0 ? JSON.stringify(info.warnings) : null,
    kernel_build: build ? JSON.stringify(build) : null,
    userspace: env.userspace?.digest ?? null,
  };
}

/** The first non-empty line, at most 300 characters: what a table row can show. */
function firstLineOf(text: string | undefined): string | null {
  const line = text
    ?.split('\n')
    .find((l) => l.trim() !== '')
    ?.trim();
  return line ? (line.length > 300 ? `${line.slice(0, 299)}…` : line) : null;
}

/** A kernel's provenance in one line, as "what changed" shows it: base, commit, and the series by version, size and content. */
function provenanceLine(build: KernelProvenance): string {
  const series =
    build.series && build.series !== 'none'
      ? `series${build.seriesVersion ? ` v${build.seriesVersion}` : ''}${build.seriesPatches ? ` (${build.seriesPatches} patches)` : ''} ${build.series.slice(0, 12)}${build.seriesMessageId ? ` <${build.seriesMessageId}>` : ''}`
      : 'no series';
  const base = build.base ?? build.baseCommit?.slice(0, 12);
  return [base, series, build.commit ? `commit ${build.commit.slice(0, 12)}` : undefined].filter(Boolean).join(' + ');
}

// A SQLite transaction that read before it writes cannot wait for another writer (SQLite answers
// "database is locked" at once rather than deadlock): the whole transaction is tried again.
const BUSY_TRIES = 200;

async function writing<T>(store: HistoryStore, work: (tx: Transaction<HistoryDatabase>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.db.transaction().execute(work);
    } catch (error) {
      const busy =
        store.dialect === 'sqlite' && /SQLITE_BUSY|database is locked/.test(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
      if (!busy || attempt >= BUSY_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    }
  }
}

/**
 * A run into the store, idempotently: the same run again changes nothing; a run that changed
 * since (resumed and finished) replaces its results. One transaction: concurrent importers never
 * see half a run.
 */
export async function importRun(store: HistoryStore, run: RunFile, options: { night?: string; runDir?: string } = {}): Promise<ImportOutcome> {
  return writing(store, async (tx) => {
    const row = runRow(run, options);
    const existing = await tx
      .selectFrom('runs')
      .select(['key', 'status', 'finished_at', 'test_count', 'night', 'variant', 'started_at'])
      .where('id', '=', row.id)
      .executeTakeFirst();
    // The same id is the same run (resumed and finished since) only with the same variant and start.
    if (existing && (existing.variant !== row.variant || existing.started_at !== row.started_at)) {
      throw new InputError(
        `run id ${row.id} is already in the history as another run (variant ${existing.variant}, started ${existing.started_at}); a run id names one run`,
      );
    }
    if (row.shard_index !== null && row.shard_total !== null) {
      const sibling = await tx
        .selectFrom('runs')
        .select(['id', 'shard_total'])
        .where('night', '=', row.night)
        .where('variant', '=', row.variant)
        .where('gfx', '=', row.gfx)
        .where('id', '!=', row.id)
        .where((eb) => eb.or([eb('shard_index', '=', row.shard_index), eb('shard_total', '!=', row.shard_total)]))
        .where('shard_total', 'is not', null)
        .executeTakeFirst();
      if (sibling) {
        throw new InputError(
          `shard ${row.shard_index}/${row.shard_total} of ${row.variant} on ${row.night}${row.gfx ? ` (${row.gfx})` : ''} overlaps run ${sibling.id} already in the history (shard of ${sibling.shard_total}); each shard is imported once`,
        );
      }
    }
    if (
      existing &&
      existing.status === row.status &&
      existing.finished_at === row.finished_at &&
      existing.test_count === row.test_count &&
      existing.night === row.night
    ) {
      return 'unchanged';
    }
    if (existing) {
      await tx.deleteFrom('run_counts').where('run_key', '=', existing.key).execute();
      await tx.deleteFrom('results').where('run_key', '=', existing.key).execute();
      await tx.deleteFrom('runs').where('key', '=', existing.key).execute();
    }
    const { key } = await tx.insertInto('runs').values(row).returning('key').executeTakeFirstOrThrow();
    const ids = await internTests(tx, run.tests);
    const results = run.tests.map((t) => ({
      run_key: key,
      test_id: ids.get(`${t.suite}\0${t.name}`)!,
      status: STATUSES.indexOf(t.status),
      duration_ms: Math.round(t.durationMs),
      attempts: Math.max(1, t.attempts.length),
      flaky: t.status === 'pass' && t.attempts.some((a) => isFailing(a.status)) ? 1 : 0,
      events: eventSummary(t),
      log: t.log ?? null,
      message: isFailing(t.status) ? firstLineOf(t.message) : null,
      first_event: isFailing(t.status) ? firstLineOf(t.kernelEvents[0]?.summary) : null,
    }));
    await insertRows(tx, store.dialect, 'results', results);
    await insertRows(tx, store.dialect, 'run_counts', runCounts(key, run.tests));
    return existing ? 'updated' : 'added';
  });
}

export function comparisonId(comparison: ComparisonFile): string {
  return createHash('sha256').update(`${comparison.baseline.id}\0${comparison.candidate.id}`).digest('hex').slice(0, 32);
}

/** A comparison's verdicts into the store (the runs themselves are imported on their own). */
export async function importComparison(store: HistoryStore, comparison: ComparisonFile, options: { night?: string } = {}): Promise<ImportOutcome> {
  return writing(store, async (tx) => {
    const id = comparisonId(comparison);
    if (await tx.selectFrom('comparisons').select('id').where('id', '=', id).executeTakeFirst()) return 'unchanged';
    const candidateRun = await tx.selectFrom('runs').select('night').where('id', '=', comparison.candidate.id).executeTakeFirst();
    await tx
      .insertInto('comparisons')
      .values({
        id,
        baseline_run: comparison.baseline.id,
        candidate_run: comparison.candidate.id,
        night: options.night ?? candidateRun?.night ?? comparison.createdAt.slice(0, 10),
        gfx: gfxKey(comparison.candidate.gfx),
        created_at: comparison.createdAt,
        counts: JSON.stringify(comparison.counts),
      })
      .execute();
    const ids = await internTests(tx, comparison.entries);
    // "pass" is not stored: a comparison's test without a verdict row passed in both (show-test relies on it).
    const rows = comparison.entries
      .filter((e) => e.verdict !== 'pass')
      .map((e) => ({ comparison_id: id, test_id: ids.get(`${e.suite}\0${e.name}`)!, verdict: VERDICTS.indexOf(e.verdict) }));
    await insertRows(tx, store.dialect, 'verdicts', rows);
    const perf = comparison.performance?.changes ?? [];
    if (perf.length > 0) {
      const perfIds = await internTests(tx, perf);
      const perfRows = perf.map((c) => ({
        comparison_id: id,
        test_id: perfIds.get(`${c.suite}\0${c.name}`)!,
        metric: c.metric,
        unit: c.unit,
        better: c.better,
        verdict: c.verdict,
        ratio: c.ratio,
        low: c.low,
        high: c.high,
        p_adjusted: c.pAdjusted,
        baseline_median: c.baseline.median,
        candidate_median: c.candidate.median,
        samples: c.candidate.samples.length,
      }));
      await insertRows(tx, store.dialect, 'perf_verdicts', perfRows);
    }
    return 'added';
  });
}
