import { VERDICTS, type Verdict } from '../model/comparison.js';
import { STATUSES, type Status } from '../model/status.js';
import type { HistoryStore } from './open-store.js';

export interface NightEntry {
  readonly suite: string;
  readonly name: string;
  readonly verdict: Verdict;
  readonly baseline: Status | null;
  readonly candidate: Status | null;
  readonly message: string | null;
  readonly firstEvent: string | null;
  readonly events: string | null;
  readonly log: string | null;
}

/** One nightly comparison as its own page shows it. */
export interface NightReport {
  readonly night: string;
  readonly gfx: string;
  readonly baseline: { readonly variant: string; readonly runId: string; readonly kernel: string | null; readonly series: string | null };
  readonly candidate: {
    readonly variant: string;
    readonly runId: string;
    readonly kernel: string | null;
    readonly series: string | null;
    readonly runDir: string | null;
  };
  readonly counts: Readonly<Record<string, number>>;
  /** Every test whose verdict is not "pass" (those are all the store keeps). */
  readonly entries: readonly NightEntry[];
  /** Per suite and variant: how many tests ended in each status. */
  readonly suites: ReadonlyArray<{ readonly suite: string; readonly variant: string; readonly counts: Readonly<Partial<Record<Status, number>>> }>;
}

/** The comparisons of the nights from `since` on, each with what its page needs. */
export async function nightReports(store: HistoryStore, since: string): Promise<NightReport[]> {
  const comparisons = await store.db
    .selectFrom('comparisons')
    .innerJoin('runs as b', 'b.id', 'comparisons.baseline_run')
    .innerJoin('runs as c', 'c.id', 'comparisons.candidate_run')
    .select([
      'comparisons.id',
      'comparisons.night',
      'comparisons.gfx',
      'comparisons.counts',
      'b.key as bKey',
      'b.id as bId',
      'b.variant as bVariant',
      'b.kernel_release as bKernel',
      'b.series as bSeries',
      'c.key as cKey',
      'c.id as cId',
      'c.variant as cVariant',
      'c.kernel_release as cKernel',
      'c.series as cSeries',
      'c.run_dir as cRunDir',
    ])
    .where('comparisons.night', '>=', since)
    .orderBy('comparisons.night')
    .execute();
  const reports: NightReport[] = [];
  for (const c of comparisons) {
    const rows = await store.db
      .selectFrom('verdicts')
      .innerJoin('tests', 'tests.id', 'verdicts.test_id')
      .leftJoin('results as cr', (j) => j.onRef('cr.test_id', '=', 'verdicts.test_id').on('cr.run_key', '=', c.cKey))
      .leftJoin('results as br', (j) => j.onRef('br.test_id', '=', 'verdicts.test_id').on('br.run_key', '=', c.bKey))
      .select([
        'tests.suite',
        'tests.name',
        'verdicts.verdict',
        'cr.status as cStatus',
        'br.status as bStatus',
        'cr.message',
        'cr.first_event',
        'cr.events',
        'cr.log',
      ])
      .where('verdicts.comparison_id', '=', c.id)
      .orderBy('tests.suite')
      .orderBy('tests.name')
      .execute();
    const suiteRows = await store.db.selectFrom('run_counts').select(['run_key', 'suite', 'status', 'n']).where('run_key', 'in', [c.bKey, c.cKey]).execute();
    const suites = new Map<string, { suite: string; variant: string; counts: Partial<Record<Status, number>> }>();
    for (const r of suiteRows) {
      const variant = r.run_key === c.bKey ? c.bVariant : c.cVariant;
      const key = `${r.suite}\0${variant}`;
      const cell = suites.get(key) ?? { suite: r.suite, variant, counts: {} };
      const status = STATUSES[r.status] ?? 'notrun';
      cell.counts[status] = (cell.counts[status] ?? 0) + Number(r.n);
      suites.set(key, cell);
    }
    reports.push({
      night: c.night,
      gfx: c.gfx,
      baseline: { variant: c.bVariant, runId: c.bId, kernel: c.bKernel, series: c.bSeries },
      candidate: { variant: c.cVariant, runId: c.cId, kernel: c.cKernel, series: c.cSeries, runDir: c.cRunDir },
      counts: JSON.parse(c.counts) as Record<string, number>,
      entries: rows.map((r) => ({
        suite: r.suite,
        name: r.name,
        verdict: VERDICTS[r.verdict] ?? 'skip',
        baseline: r.bStatus === null ? null : (STATUSES[r.bStatus] ?? null),
        candidate: r.cStatus === null ? null : (STATUSES[r.cStatus] ?? null),
        message: r.message,
        firstEvent: r.first_event,
        events: r.events,
        log: r.log,
      })),
      suites: [...suites.values()].sort((a, b) => (a.suite + a.variant < b.suite + b.variant ? -1 : 1)),
    });
  }
  return reports;
}
