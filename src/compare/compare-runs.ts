import {
  COMPARISON_SCHEMA_VERSION,
  VERDICTS,
  type ComparisonEntry,
  type ComparisonFile,
  type PerfSettings,
  type RunRef,
  type SideResult,
  type Verdict,
} from '../model/comparison.js';
import type { RunFile, TestResult } from '../model/run.js';
import { ByTest, testId } from '../model/run.js';
import { matchesAnyFilter } from '../model/selection.js';
import type { Expectations } from './expectations.js';
import { comparePerformance } from './performance.js';
import { decideVerdict } from './verdict.js';

function refOf(run: RunFile): RunRef {
  return {
    id: run.run.id,
    variant: run.run.variant,
    target: run.run.target,
    status: run.run.status,
    ...(run.run.environment.kernelRelease ? { kernelRelease: run.run.environment.kernelRelease } : {}),
    gfx: [...new Set(run.run.environment.gpus.map((g) => g.gfx))].sort(),
    testCount: run.tests.length,
  };
}

function sideOf(test: TestResult, full: boolean): SideResult {
  return {
    status: test.status,
    durationMs: test.durationMs,
    ...(test.message !== undefined ? { message: test.message } : {}),
    ...(full && test.attempts.length > 1 ? { attempts: test.attempts } : {}),
    ...(full && test.kernelEvents.length > 0 ? { kernelEvents: test.kernelEvents } : {}),
    ...(full && test.log !== undefined ? { log: test.log } : {}),
  };
}

/** Did the candidate's own selection (suites, filters, shard) leave this test out on purpose? */
function excludedByCandidate(candidate: RunFile, test: TestResult): boolean {
  const { selection, shard } = candidate.run;
  if (selection?.suites && !selection.suites.includes(test.suite)) return true;
  if (selection?.filters && selection.filters.length > 0 && !matchesAnyFilter(testId(test), selection.filters)) return true;
  // A shard run can only vouch for its own part (hash or duration-balanced): merge shards to see what is missing.
  if (shard) return true;
  return false;
}

export interface CompareOptions {
  readonly expectations: Expectations;
  readonly now: Date;
  readonly toolVersion: string;
  /** Doubts about the comparison that every report must show first. */
  readonly warnings?: readonly string[];
  /** How performance verdicts are decided, when the runs were timed more than once. */
  readonly performance?: PerfSettings;
}

/** Baseline run × candidate run → comparison.json, one entry per test id seen in either. */
function outsideEvents(baseline: RunFile, candidate: RunFile): Pick<ComparisonFile, 'kernelEvents'> {
  const events = [
    ...(baseline.kernelEvents ?? []).map((e) => ({ side: 'baseline' as const, ...e })),
    ...(candidate.kernelEvents ?? []).map((e) => ({ side: 'candidate' as const, ...e })),
  ];
  return events.length > 0 ? { kernelEvents: events } : {};
}

function performanceOf(baseline: RunFile, candidate: RunFile, settings: PerfSettings | undefined): Pick<ComparisonFile, 'performance'> {
  const performance = comparePerformance(baseline, candidate, settings);
  return performance ? { performance } : {};
}

export function compareRuns(baseline: RunFile, candidate: RunFile, options: CompareOptions): ComparisonFile {
  const baseByTest = new ByTest<TestResult>();
  for (const test of baseline.tests) baseByTest.set(test.suite, test.name, test);
  const matched = new Set<TestResult>();
  const entries: ComparisonEntry[] = [];
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;

  for (const test of candidate.tests) {
    const base = baseByTest.get(test.suite, test.name);
    if (base) matched.add(base);
    const { verdict, note } = decideVerdict(base, test, options.expectations);
    counts[verdict]++;
    const interesting = verdict !== 'pass' && verdict !== 'skip';
    entries.push({
      suite: test.suite,
      name: test.name,
      verdict,
      ...(base ? { baseline: sideOf(base, interesting) } : {}),
      candidate: sideOf(test, interesting || test.kernelEvents.length > 0),
      ...(note !== undefined ? { note } : {}),
    });
  }
  for (const base of baseline.tests) {
    if (matched.has(base)) continue;
    const excluded = excludedByCandidate(candidate, base);
    const { verdict, note } = decideVerdict(base, undefined, options.expectations);
    if (!excluded) counts[verdict]++;
    entries.push({
      suite: base.suite,
      name: base.name,
      verdict,
      baseline: sideOf(base, true),
      ...(excluded ? { excluded: true, note: 'not selected in the candidate run (suite, filter or shard)' } : { note: note! }),
    });
  }

  return {
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    kind: 'comparison',
    createdAt: options.now.toISOString(),
    toolVersion: options.toolVersion,
    baseline: refOf(baseline),
    candidate: refOf(candidate),
    expectationFiles: [...options.expectations.files],
    counts,
    entries,
    ...performanceOf(baseline, candidate, options.performance),
    ...outsideEvents(baseline, candidate),
    ...(options.warnings && options.warnings.length > 0 ? { warnings: [...options.warnings] } : {}),
    errors: [
      ...baseline.errors.map((e) => ({ side: 'baseline' as const, stage: e.stage, message: e.message })),
      ...candidate.errors.map((e) => ({ side: 'candidate' as const, stage: e.stage, message: e.message })),
    ],
  };
}
