import { VERDICTS } from '../model/comparison.js';
import { STATUSES, type Status } from '../model/status.js';
import type { HistoryStore } from './open-store.js';
import { nightsBefore } from './test-history.js';

export interface NightCounts {
  readonly night: string;
  readonly variant: string;
  readonly gfx: string;
  readonly suite: string;
  readonly counts: Readonly<Partial<Record<Status, number>>>;
  /** Sum of test durations: a suite that grows slower shows here. */
  readonly durationMs: number;
  /** Tests during which the kernel logged a GPU page fault, a GPU reset, or an oops/panic/BUG/WARNING. */
  readonly pageFaults: number;
  readonly resets: number;
  readonly kernelErrors: number;
}

export interface Trend {
  readonly nights: readonly NightCounts[];
  /** Regressions (candidate against baseline) per night and GPU family. */
  readonly regressions: ReadonlyArray<{ readonly night: string; readonly gfx: string; readonly count: number }>;
  /** What runs of these nights warned about themselves (an unchecked host key, console-read results). */
  readonly warnings: ReadonlyArray<{ readonly night: string; readonly variant: string; readonly gfx: string; readonly warning: string }>;
}

/** Pass counts, durations and kernel events per night, suite, variant and GPU family, and regressions per night. */
export async function trend(store: HistoryStore, options: { nights?: number } = {}): Promise<Trend> {
  const latest = (
    await store.db
      .selectFrom('runs')
      .select((eb) => eb.fn.max('night').as('night'))
      .executeTakeFirst()
  )?.night;
  if (!latest) return { nights: [], regressions: [], warnings: [] };
  const since = nightsBefore(latest, (options.nights ?? 30) - 1);
  const rows = await store.db
    .selectFrom('run_counts')
    .innerJoin('runs', 'runs.key', 'run_counts.run_key')
    .select((eb) => [
      'runs.night',
      'runs.variant',
      'runs.gfx',
      'run_counts.suite',
      'run_counts.status',
      eb.fn.sum<number>('run_counts.n').as('n'),
      eb.fn.sum<number>('run_counts.duration_ms').as('ms'),
      eb.fn.sum<number>('run_counts.page_faults').as('faults'),
      eb.fn.sum<number>('run_counts.resets').as('resets'),
      eb.fn.sum<number>('run_counts.kernel_errors').as('errors'),
    ])
    .where('runs.night', '>=', since)
    .groupBy(['runs.night', 'runs.variant', 'runs.gfx', 'run_counts.suite', 'run_counts.status'])
    .execute();
  const cells = new Map<
    string,
    {
      night: string;
      variant: string;
      gfx: string;
      suite: string;
      counts: Partial<Record<Status, number>>;
      durationMs: number;
      pageFaults: number;
      resets: number;
      kernelErrors: number;
    }
  >();
  for (const r of rows) {
    const key = `${r.night}\0${r.variant}\0${r.gfx}\0${r.suite}`;
    const cell = cells.get(key) ?? {
      night: r.night,
      variant: r.variant,
      gfx: r.gfx,
      suite: r.suite,
      counts: {},
      durationMs: 0,
      pageFaults: 0,
      resets: 0,
      kernelErrors: 0,
    };
    const status = STATUSES[r.status] ?? 'notrun';
    cell.counts[status] = (cell.counts[status] ?? 0) + Number(r.n);
    cell.durationMs += Number(r.ms ?? 0);
    cell.pageFaults += Number(r.faults ?? 0);
    cell.resets += Number(r.resets ?? 0);
    cell.kernelErrors += Number(r.errors ?? 0);
    cells.set(key, cell);
  }
  const regressions = await store.db
    .selectFrom('verdicts')
    .innerJoin('comparisons', 'comparisons.id', 'verdicts.comparison_id')
    .select((eb) => ['comparisons.night', 'comparisons.gfx', eb.fn.countAll<number>().as('count')])
    .where('verdicts.verdict', 'in', [VERDICTS.indexOf('regression'), VERDICTS.indexOf('worse')])
    .where('comparisons.night', '>=', since)
    .groupBy(['comparisons.night', 'comparisons.gfx'])
    .orderBy('comparisons.night')
    .execute();
  const warned = await store.db
    .selectFrom('runs')
    .select(['night', 'variant', 'gfx', 'warnings'])
    .where('night', '>=', since)
    .where('warnings', 'is not', null)
    .orderBy('night')
    .execute();
  const warnings = warned.flatMap((r) => (JSON.parse(r.warnings!) as string[]).map((warning) => ({ night: r.night, variant: r.variant, gfx: r.gfx, warning })));
  const nights = [...cells.values()].sort((a, b) => (a.night < b.night ? -1 : a.night > b.night ? 1 : 0));
  return { nights, regressions: regressions.map((r) => ({ night: r.night, gfx: r.gfx, count: Number(r.count) })), warnings };
}
