import type { KernelEvent } from './kernel-event.js';
import type { Attempt, RunKernelEvent, RunStatus, TargetKind } from './run.js';
import type { Status } from './status.js';

export const COMPARISON_SCHEMA_VERSION = 1;

export const VERDICTS = [
  'regression',
  'new-fail',
  'missing',
  'unexpected-pass',
  'flaky',
  'fixed',
  'still-failing',
  'expected-fail',
  'new-pass',
  'pass',
  'skip',
  // Appended, not inserted: the history store keeps a verdict as its index in this list.
  'worse',
  // A failure of a feature the series says it does not have yet (a -gaps.txt entry): never a regression.
  'known-gap',
  // Such a test that now passes: the feature seems to have landed; the expectations need an update.
  'gap-closed',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts that make `--fail-on regression` fail. `worse`: a failure that became a crash or a hang. */
export const REGRESSION_VERDICTS: ReadonlySet<Verdict> = new Set(['regression', 'worse', 'new-fail', 'missing']);
/** Verdicts that make `--fail-on unexpected` fail: anything the expectations did not predict. */
export const UNEXPECTED_VERDICTS: ReadonlySet<Verdict> = new Set(['regression', 'worse', 'new-fail', 'missing', 'unexpected-pass', 'gap-closed']);

export interface RunRef {
  readonly id: string;
  readonly variant: string;
  readonly target: TargetKind;
  readonly status: RunStatus;
  readonly kernelRelease?: string;
  readonly gfx: readonly string[];
  readonly testCount: number;
}

export interface SideResult {
  readonly status: Status;
  readonly message?: string;
  readonly durationMs: number;
  readonly attempts?: readonly Attempt[];
  readonly kernelEvents?: readonly KernelEvent[];
  readonly log?: string;
}

export interface ComparisonEntry {
  readonly suite: string;
  readonly name: string;
  readonly verdict: Verdict;
  readonly baseline?: SideResult;
  readonly candidate?: SideResult;
  /** Why the verdict is what it is when an expectation or the selection decided it. */
  readonly note?: string;
  /** A missing test that the candidate's shard or filter left out: reported, never counted as a failure. */
  readonly excluded?: boolean;
}

export interface ComparisonProblem {
  readonly side: 'baseline' | 'candidate';
  readonly stage: string;
  readonly message: string;
}

/** A run file a comparison was made from: where (relative to the comparison's directory when inside it) and its SHA-256. */
export interface InputRef {
  readonly path: string;
  readonly sha256: string;
}

export interface ComparisonInputs {
  readonly baseline: InputRef;
  readonly candidate: InputRef;
  /** The expectations directory, when one was given. */
  readonly expectations?: string;
}

/** A performance verdict, beside pass/fail: worse, better, or no difference the data can show. */
export type PerfVerdict = 'slower' | 'faster' | 'same';

/** How performance verdicts are decided (`--perf-threshold`, `--perf-alpha`, `--perf-correction`). */
export interface PerfSettings {
  /** The smallest change of the ratio of medians that counts, as a fraction (0.05: 5 %). */
  readonly threshold: number;
  /**
   * The smallest change of a duration's median that counts, in ms: durations are whole milliseconds
   * and a loaded machine's scheduling moves a short test by a few. Absent in files written before it
   * existed, where it was 0.
   */
  readonly minDurationChangeMs?: number;
  /** The significance level the corrected p must be under. */
  readonly alpha: number;
  /** The multiple-comparison correction across every measure of the comparison. */
  readonly correction: 'holm' | 'bh';
  /** Samples each side needs before a measure is compared. */
  readonly minSamples: number;
  /** Bootstrap resamples for the interval of the ratio. */
  readonly resamples: number;
}

/** One test's duration or one of its metrics, compared over every sample of both runs. */
export interface PerfChange {
  readonly suite: string;
  readonly name: string;
  /** `duration`, or the name of a metric the suite reads from the test's output. */
  readonly metric: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly verdict: PerfVerdict;
  /** median(candidate) / median(baseline), and its 95 % bootstrap interval; null when the baseline's median is 0. */
  readonly ratio: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** The Mann-Whitney U test's two-sided p, then corrected across all measures. */
  readonly p: number;
  readonly pAdjusted: number;
  readonly baseline: { readonly median: number; readonly samples: readonly number[] };
  readonly candidate: { readonly median: number; readonly samples: readonly number[] };
}

export interface PerformanceSection {
  readonly settings: PerfSettings;
  readonly counts: Readonly<Record<PerfVerdict, number>>;
  readonly changes: readonly PerfChange[];
}

export interface ComparisonFile {
  readonly schemaVersion: typeof COMPARISON_SCHEMA_VERSION;
  readonly kind: 'comparison';
  readonly createdAt: string;
  readonly toolVersion: string;
  readonly baseline: RunRef;
  readonly candidate: RunRef;
  readonly expectationFiles: readonly string[];
  /** What the verdicts were computed from, so `report` can compute them again. */
  readonly inputs?: ComparisonInputs;
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly entries: readonly ComparisonEntry[];
  /** The performance verdicts, when both runs timed tests more than once (`--repeat`). */
  readonly performance?: PerformanceSection;
  /** Kernel records each run logged outside any test: the batch's, shown beside the verdicts. */
  readonly kernelEvents?: ReadonlyArray<RunKernelEvent & { readonly side: 'baseline' | 'candidate' }>;
  /** Doubts about the comparison itself, shown first by every report (e.g. the same variant on both sides). */
  readonly warnings?: readonly string[];
  readonly errors: readonly ComparisonProblem[];
}
