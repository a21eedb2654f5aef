import { FAILING_STATUSES, STATUSES } from '../model/status.js';
import { type FlakyTest, flakyTests } from './flaky.js';
import { type PerfTrendItem, perfTrend } from './perf-trend.js';
import type { HistoryStore } from './open-store.js';
import { type CurrentRegression, currentRegressions } from './regressions.js';
import { testHistory, nightsBefore } from './test-history.js';
import { trend, type Trend } from './trend.js';

const LETTER: Record<string, string> = { pass: 'P', fail: 'F', crash: 'C', timeout: 'T', skip: 'S', notrun: 'N' };
// Strips are kept for the tests worth a look (regressed, flaky, failing lately) up to this many: the page stays fast.
const MAX_STRIPS = 1500;

export interface DashboardData {
  readonly generatedAt: string;
  /** Where run directories are published (by name), for the log links; null: local paths. */
  readonly linkBase: string | null;
  readonly nights: readonly string[];
  readonly latest: ReadonlyArray<{
    readonly gfx: string;
    readonly night: string;
    readonly baseline: string;
    readonly candidate: string;
    readonly counts: Readonly<Record<string, number>>;
    readonly baselineKernel: string | null;
    readonly candidateKernel: string | null;
  }>;
  readonly trend: Trend;
  readonly regressions: readonly CurrentRegression[];
  readonly notRegressions: readonly CurrentRegression[];
  readonly flaky: readonly FlakyTest[];
  /** Performance verdicts per test and measure (ci --repeat): the slower ones first, with since when. */
  readonly performance: readonly PerfTrendItem[];
  /** One string per test and variant/family: a letter per night of `nights` (P F C T S N, '.' for no result). */
  readonly strips: ReadonlyArray<{
    readonly suite: string;
    readonly name: string;
    readonly variant: string;
    readonly gfx: string;
    readonly statuses: string;
    /** Per failing night (its index in `nights`): the run and the test's log, so the cell opens that log. */
    readonly failed: Readonly<Record<number, { readonly runId: string; readonly log: string | null; readonly runDir: string | null }>>;
  }>;
}

/** Everything the static dashboard shows, from the store, for the last `nights` nights. */
export async function dashboardData(store: HistoryStore, options: { nights?: number; linkBase?: string } = {}): Promise<DashboardData> {
  const days = options.nights ?? 60;
  const latestNight = (
    await store.db
      .selectFrom('runs')
      .select((eb) => eb.fn.max('night').as('night'))
      .executeTakeFirst()
  )?.night;
  const nights: string[] = [];
  if (latestNight) for (let i = days - 1; i >= 0; i--) nights.push(nightsBefore(latestNight, i));
  const since = nights[0] ?? '';
  const latestRows = await store.db
    .selectFrom('comparisons')
    .innerJoin('runs as b', 'b.id', 'comparisons.baseline_run')
    .innerJoin('runs as c', 'c.id', 'comparisons.candidate_run')
    .select([
      'comparisons.gfx',
      'comparisons.night',
      'comparisons.counts',
      'b.variant as baseline',
      'c.variant as candidate',
      'b.kernel_release as bk',
      'c.kernel_release as ck',
    ])
    .where('comparisons.night', '=', (eb) =>
      eb
        .selectFrom('comparisons as l')
        .select((e) => e.fn.max('l.night').as('n'))
        .whereRef('l.gfx', '=', 'comparisons.gfx'),
    )
    .execute();
  const { regressions, flaky: notRegressions } = await currentRegressions(store, {});
  const flaky = await flakyTests(store, { nights: Math.min(days, 30) });
  // The tests worth a strip: regressed now, flaky, or failing in the candidate on the latest night.
  const failing = latestNight
    ? await store.db
        .selectFrom('results')
        .innerJoin('runs', 'runs.key', 'results.run_key')
        .select('results.test_id')
        .distinct()
        .where('runs.night', '=', latestNight)
        .where(
          'results.status',
          'in',
          [...FAILING_STATUSES].map((s) => STATUSES.indexOf(s)),
        )
        .limit(MAX_STRIPS)
        .execute()
    : [];
  const named = [...regressions, ...notRegressions, ...flaky];
  const ids = new Set(failing.map((f) => f.test_id));
  for (const t of named) {
    const row = await store.db.selectFrom('tests').select('id').where('suite', '=', t.suite).where('name', '=', t.name).executeTakeFirst();
    if (row) ids.add(row.id);
  }
  const history = await testHistory(store, [...ids].slice(0, MAX_STRIPS), { sinceNight: since });
  const names = new Map<number, { suite: string; name: string }>();
  const idList = [...ids];
  for (let i = 0; i < idList.length; i += 400) {
    for (const t of await store.db
      .selectFrom('tests')
      .select(['id', 'suite', 'name'])
      .where('id', 'in', idList.slice(i, i + 400))
      .execute())
      names.set(t.id, t);
  }
  const index = new Map(nights.map((n, i) => [n, i]));
  const strips = new Map<
    string,
    {
      suite: string;
      name: string;
      variant: string;
      gfx: string;
      statuses: string[];
      failed: Record<number, { runId: string; log: string | null; runDir: string | null }>;
    }
  >();
  for (const h of history) {
    const key = `${h.testId}\0${h.variant}\0${h.gfx}`;
    const strip = strips.get(key) ?? { ...names.get(h.testId)!, variant: h.variant, gfx: h.gfx, statuses: nights.map(() => '.'), failed: {} };
    const at = index.get(h.night);
    if (at !== undefined) {
      strip.statuses[at] = LETTER[h.status] ?? '.';
      // Only failing nights carry a link: the data stays small, and a pass has nothing to read.
      if (FAILING_STATUSES.has(h.status)) strip.failed[at] = { runId: h.runId, log: h.log, runDir: h.runDir };
    }
    strips.set(key, strip);
  }
  return {
    generatedAt: new Date().toISOString(),
    linkBase: options.linkBase?.replace(/\/+$/, '') ?? null,
    nights,
    latest: latestRows.map((r) => ({
      gfx: r.gfx,
      night: r.night,
      baseline: r.baseline,
      candidate: r.candidate,
      counts: JSON.parse(r.counts) as Record<string, number>,
      baselineKernel: r.bk,
      candidateKernel: r.ck,
    })),
    trend: await trend(store, { nights: days }),
    regressions,
    notRegressions,
    flaky,
    // Measures that were ever slower or faster in the window: an unchanging one has nothing to show.
    performance: (await perfTrend(store, { nights: days })).filter((p) => p.nights.some((n) => n.verdict !== 'same')).slice(0, MAX_STRIPS),
    strips: [...strips.values()].map((s) => ({ ...s, statuses: s.statuses.join('') })).sort((a, b) => (a.suite + a.name < b.suite + b.name ? -1 : 1)),
  };
}
