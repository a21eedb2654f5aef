import type { PerfVerdict } from '../model/comparison.js';
import type { HistoryStore } from './open-store.js';
import { nightsBefore } from './test-history.js';

export interface PerfNight {
  readonly night: string;
  readonly verdict: PerfVerdict;
  /** median(candidate) / median(baseline) and its 95 % interval; null when the baseline's median was 0. */
  readonly ratio: number | null;
  readonly low: number | null;
  readonly high: number | null;
  readonly baselineMedian: number;
  readonly candidateMedian: number;
}

/** One test's duration or metric on one GPU family, night by night (oldest first). */
export interface PerfTrendItem {
  readonly suite: string;
  readonly name: string;
  readonly metric: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly gfx: string;
  readonly nights: readonly PerfNight[];
  /** The first night of the latest unbroken stretch of `slower` verdicts, when the latest night is one. */
  readonly slowerSince?: string;
}

/**
 * The performance verdicts of the nightly comparisons over the last `nights` nights: per test,
 * measure and GPU family, the trend of the ratio of medians with its interval, and "slower since".
 * Currently slower first (longest-standing first), then the rest by name.
 */
export async function perfTrend(store: HistoryStore, options: { nights?: number } = {}): Promise<PerfTrendItem[]> {
  const latest = (
    await store.db
      .selectFrom('comparisons')
      .select((eb) => eb.fn.max('night').as('night'))
      .executeTakeFirst()
  )?.night;
  if (!latest) return [];
  const rows = await store.db
    .selectFrom('perf_verdicts')
    .innerJoin('comparisons', 'comparisons.id', 'perf_verdicts.comparison_id')
    .innerJoin('tests', 'tests.id', 'perf_verdicts.test_id')
    .select([
      'tests.suite',
      'tests.name',
      'perf_verdicts.metric',
      'perf_verdicts.unit',
      'perf_verdicts.better',
      'perf_verdicts.verdict',
      'perf_verdicts.ratio',
      'perf_verdicts.low',
      'perf_verdicts.high',
      'perf_verdicts.baseline_median',
      'perf_verdicts.candidate_median',
      'comparisons.night',
      'comparisons.gfx',
      'comparisons.created_at',
    ])
    .where('comparisons.night', '>=', nightsBefore(latest, (options.nights ?? 30) - 1))
    .orderBy('comparisons.night')
    .orderBy('comparisons.created_at')
    .execute();
  const items = new Map<string, { head: Omit<PerfTrendItem, 'nights' | 'slowerSince'>; nights: Map<string, PerfNight> }>();
  for (const row of rows) {
    const key = `${row.suite}\0${row.name}\0${row.metric}\0${row.gfx}`;
    let item = items.get(key);
    if (!item) {
      item = {
        head: { suite: row.suite, name: row.name, metric: row.metric, unit: row.unit, better: row.better === 'higher' ? 'higher' : 'lower', gfx: row.gfx },
        nights: new Map(),
      };
      items.set(key, item);
    }
    // The night's latest comparison wins (rows come oldest first).
    item.nights.set(row.night, {
      night: row.night,
      verdict: row.verdict as PerfVerdict,
      ratio: row.ratio,
      low: row.low,
      high: row.high,
      baselineMedian: row.baseline_median,
      candidateMedian: row.candidate_median,
    });
  }
  const trends = [...items.values()].map(({ head, nights }) => {
    const series = [...nights.values()];
    const since = slowerSince(series);
    return { ...head, nights: series, ...(since ? { slowerSince: since } : {}) };
  });
  const label = (t: PerfTrendItem) => `${t.suite}/${t.name}\0${t.metric}\0${t.gfx}`;
  return trends.sort((a, b) => {
    if ((a.slowerSince === undefined) !== (b.slowerSince === undefined)) return a.slowerSince ? -1 : 1;
    if (a.slowerSince && b.slowerSince && a.slowerSince !== b.slowerSince) return a.slowerSince < b.slowerSince ? -1 : 1;
    return label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0;
  });
}

/** The first night of the latest stretch of `slower`, when the last night is `slower`. */
export function slowerSince(nights: readonly { night: string; verdict: PerfVerdict }[]): string | undefined {
  let since: string | undefined;
  for (let i = nights.length - 1; i >= 0 && nights[i]!.verdict === 'slower'; i--) since = nights[i]!.night;
  return since;
}
