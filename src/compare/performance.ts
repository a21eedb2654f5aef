import kruskalTest from '@stdlib/stats-kruskal-test';
import padjust from '@stdlib/stats-padjust';
import mt19937 from '@stdlib/random-base-mt19937';
import { median, quantileSorted, sampleWithReplacement } from 'simple-statistics';
import type { PerfChange, PerformanceSection, PerfSettings, PerfVerdict } from '../model/comparison.js';
import type { MetricBetter, RunFile, TestResult } from '../model/run.js';
import { ByTest } from '../model/run.js';

export const DEFAULT_PERF_SETTINGS: PerfSettings = {
  threshold: 0.05,
  minDurationChangeMs: 10,
  alpha: 0.05,
  correction: 'holm',
  minSamples: 3,
  resamples: 2000,
};

/** The bootstrap's generator is seeded: the same samples give the same interval on every machine, every time. */
const BOOTSTRAP_SEED = 20261201;

/** The duration is compared under this name, beside the suite's own metrics. */
export const DURATION_METRIC = 'duration';

interface Measured {
  readonly suite: string;
  readonly name: string;
  readonly metric: string;
  readonly unit: string;
  readonly better: MetricBetter;
  readonly baseline: number[];
  readonly candidate: number[];
}

/** Each measure both sides sampled often enough: the duration, then every metric both printed. */
function measuresOf(base: TestResult, cand: TestResult, minSamples: number): Measured[] {
  const a = base.samples ?? [];
  const b = cand.samples ?? [];
  if (a.length < minSamples || b.length < minSamples) return [];
  const out: Measured[] = [
    {
      suite: cand.suite,
      name: cand.name,
      metric: DURATION_METRIC,
      unit: 'ms',
      better: 'lower',
      baseline: a.map((s) => s.durationMs),
      candidate: b.map((s) => s.durationMs),
    },
  ];
  for (const [metric, declared] of Object.entries(cand.metrics ?? {})) {
    const values = (samples: typeof a) => samples.flatMap((s) => (s.metrics?.[metric] !== undefined ? [s.metrics[metric]] : []));
    const baseline = values(a);
    const candidate = values(b);
    if (baseline.length >= minSamples && candidate.length >= minSamples)
      out.push({ suite: cand.suite, name: cand.name, metric, unit: declared.unit, better: declared.better, baseline, candidate });
  }
  return out;
}

/**
 * Two-sided Mann-Whitney U test, normal approximation with the tie correction: for two groups the
 * Kruskal-Wallis H is exactly the square of the U test's z, so its p is the U test's.
 */
export function mannWhitneyP(baseline: readonly number[], candidate: readonly number[]): number {
  // Every value equal: nothing to rank, no evidence of a difference.
  if (new Set([...baseline, ...candidate]).size === 1) return 1;
  const { pValue } = kruskalTest([...baseline], [...candidate]);
  return Number.isFinite(pValue) ? pValue : 1;
}

/** Percentile bootstrap of median(candidate) / median(baseline): its 95 % interval. */
export function ratioInterval(baseline: readonly number[], candidate: readonly number[], resamples: number, random: () => number): [number, number] {
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const denominator = median(sampleWithReplacement([...baseline], baseline.length, random));
    if (denominator > 0) ratios.push(median(sampleWithReplacement([...candidate], candidate.length, random)) / denominator);
  }
  if (ratios.length === 0) return [Number.NaN, Number.NaN];
  ratios.sort((x, y) => x - y);
  return [quantileSorted(ratios, 0.025), quantileSorted(ratios, 0.975)];
}

/**
 * The verdict: worse or better only when the corrected p is under the level, the interval excludes
 * 1, and the ratio of medians is past the threshold in that direction; for a duration
 * (durationChangeMs: candidate median − baseline median), also a change of the floor or more.
 * "Slower" is worse: a longer duration or latency, a lower bandwidth.
 */
export function perfVerdict(
  ratio: number,
  low: number,
  high: number,
  pAdjusted: number,
  better: MetricBetter,
  settings: PerfSettings,
  durationChangeMs?: number,
): PerfVerdict {
  if (!(pAdjusted < settings.alpha) || !Number.isFinite(ratio)) return 'same';
  // A duration that moved by less than the floor is the clock's or the scheduler's, whatever its ratio.
  if (durationChangeMs !== undefined && Math.abs(durationChangeMs) < (settings.minDurationChangeMs ?? 0)) return 'same';
  const up = ratio >= 1 + settings.threshold && low > 1;
  const down = ratio <= 1 / (1 + settings.threshold) && high < 1;
  if (up) return better === 'lower' ? 'slower' : 'faster';
  if (down) return better === 'lower' ? 'faster' : 'slower';
  return 'same';
}

/**
 * Every test both runs timed more than once (`--repeat`) and every metric both sampled: the ratio of
 * medians, its bootstrap interval, the U test's p corrected across all of them (Holm or
 * Benjamini-Hochberg), and a verdict. Undefined when nothing was sampled on both sides.
 */
export function comparePerformance(baseline: RunFile, candidate: RunFile, settings: PerfSettings = DEFAULT_PERF_SETTINGS): PerformanceSection | undefined {
  const baseByTest = new ByTest<TestResult>();
  for (const test of baseline.tests) baseByTest.set(test.suite, test.name, test);
  const measured = candidate.tests.flatMap((cand) => {
    const base = baseByTest.get(cand.suite, cand.name);
    return base ? measuresOf(base, cand, settings.minSamples) : [];
  });
  if (measured.length === 0) return undefined;
  // The Mersenne Twister draws 32-bit integers: scaled to [0, 1) for the resampling.
  const draw = mt19937.factory({ seed: BOOTSTRAP_SEED });
  const random = () => draw() / 2 ** 32;
  const raw = measured.map((m) => mannWhitneyP(m.baseline, m.candidate));
  const adjusted = padjust(raw, settings.correction);
  const changes: PerfChange[] = measured.map((m, i) => {
    const baseMedian = median(m.baseline);
    const candMedian = median(m.candidate);
    const ratio = baseMedian > 0 ? candMedian / baseMedian : Number.NaN;
    const [low, high] = ratioInterval(m.baseline, m.candidate, settings.resamples, random);
    const durationChange = m.metric === DURATION_METRIC ? candMedian - baseMedian : undefined;
    const verdict = perfVerdict(ratio, low, high, adjusted[i]!, m.better, settings, durationChange);
    return {
      suite: m.suite,
      name: m.name,
      metric: m.metric,
      unit: m.unit,
      better: m.better,
      verdict,
      ratio: finiteOrNull(ratio),
      low: finiteOrNull(low),
      high: finiteOrNull(high),
      p: raw[i]!,
      pAdjusted: adjusted[i]!,
      baseline: { median: baseMedian, samples: m.baseline },
      candidate: { median: candMedian, samples: m.candidate },
    };
  });
  const count = (v: PerfVerdict) => changes.filter((c) => c.verdict === v).length;
  return { settings, counts: { slower: count('slower'), faster: count('faster'), same: count('same') }, changes };
}

/** JSON has no NaN: a ratio that cannot be formed (a baseline median of 0) is null. */
function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
