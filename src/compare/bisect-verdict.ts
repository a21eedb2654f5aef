import type { BisectRun, StepVerdict } from '../model/bisect.js';
import { isFailing } from '../model/status.js';

// What a bisect step's runs say about its commit. One rule, used for the ends and every step:
// any fail, crash or timeout of a named test is bad; N runs in which every named test passed are
// good; a run that could not test the commit (no boot, failed preflight, the test absent) is a skip.

export interface RunJudgement {
  readonly failed: boolean;
  /** Why the run tells nothing about the commit. */
  readonly untested?: string;
}

/** One run: did a named test fail, or did the run not test the commit at all? */
export function judgeRun(run: BisectRun): RunJudgement {
  const failing = run.tests.filter((t) => t.status !== 'missing' && isFailing(t.status));
  if (failing.length > 0) return { failed: true };
  if (run.error) return { failed: false, untested: run.error };
  const absent = run.tests.filter((t) => t.status !== 'pass');
  if (absent.length > 0) {
    const t = absent[0]!;
    return { failed: false, untested: `${t.id} did not run (${t.status === 'missing' ? 'not found' : t.status})` };
  }
  return { failed: false };
}

export interface StepJudgement {
  readonly verdict: StepVerdict;
  readonly reason?: string;
  /** Runs that failed, of those that tested the commit. */
  readonly failedRuns: number;
  readonly testedRuns: number;
}

/** The step's verdict from the runs so far (the caller stops running at the first bad run, except at the bad end). */
export function judgeStep(runs: readonly BisectRun[], wanted: number): StepJudgement {
  const judged = runs.map(judgeRun);
  const failedRuns = judged.filter((j) => j.failed).length;
  const testedRuns = judged.filter((j) => j.failed || !j.untested).length;
  if (failedRuns > 0) {
    const first = runs.find((_, i) => judged[i]!.failed)!;
    const test = first.tests.find((t) => t.status !== 'missing' && isFailing(t.status))!;
    return {
      verdict: 'bad',
      reason: `${test.id}: ${test.status} in run ${first.index}${test.message ? ` — ${firstLine(test.message)}` : ''}`,
      failedRuns,
      testedRuns,
    };
  }
  const untested = judged.find((j) => j.untested);
  if (untested) return { verdict: 'skip', reason: untested.untested!, failedRuns, testedRuns };
  if (testedRuns < wanted) return { verdict: 'skip', reason: `only ${testedRuns} of ${wanted} runs finished`, failedRuns, testedRuns };
  return { verdict: 'good', failedRuns, testedRuns };
}

/** Should the step run again? Not once a run failed (the commit is bad), unless every run is wanted (the bad end, to see a flake). */
export function wantsAnotherRun(runs: readonly BisectRun[], wanted: number, allRuns: boolean): boolean {
  if (runs.length >= wanted) return false;
  const judged = runs.map(judgeRun);
  if (judged.some((j) => !j.failed && j.untested)) return false;
  return allRuns || !judged.some((j) => j.failed);
}

/**
 * The chance that a test failing `failed` of `runs` times at bad passes all `runs` runs of a step
 * that is in fact bad: how much a "good" of this bisect can be trusted.
 */
export function missedFailureChance(failed: number, runs: number, perStep: number): number {
  const rate = runs > 0 ? failed / runs : 0;
  return (1 - rate) ** perStep;
}

/** The message's first lines on one line: a gtest failure's first line is often only where it failed. */
function firstLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 4)
    .join(' ');
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}
