import type { Verdict } from '../model/comparison.js';
import type { TestResult } from '../model/run.js';
import { isFailing, isInconclusive } from '../model/status.js';
import { expectedFailure, matchFlake, matchGap, matchSkip, type Expectations } from './expectations.js';

export interface VerdictResult {
  readonly verdict: Verdict;
  readonly note?: string;
}

type Side = Pick<TestResult, 'suite' | 'name' | 'status' | 'attempts'>;

function passedAfterFailing(test: Side): boolean {
  return test.status === 'pass' && test.attempts.some((a) => isFailing(a.status));
}

/**
 * The one place a verdict is decided: baseline result × candidate result × the candidate's
 * expectations → verdict (README, "Verdicts"). Reporters never re-derive it.
 */
export function decideVerdict(baseline: Side | undefined, candidate: Side | undefined, expectations: Expectations): VerdictResult {
  if (!candidate) {
    if (!baseline) throw new Error('decideVerdict needs at least one side');
    return { verdict: 'missing', note: 'in the baseline, absent from the candidate' };
  }
  const skipRule = matchSkip(expectations, candidate);
  if (skipRule && isInconclusive(candidate.status)) return { verdict: 'skip', note: `skipped by ${skipRule.source}` };

  const expected = expectedFailure(expectations, candidate);
  const gap = matchGap(expectations, candidate);
  const gapWhy = gap ? `${gap.source}${gap.why ? `: ${gap.why}` : ''}` : '';
  const baselineFailed = baseline !== undefined && isFailing(baseline.status);
  const baselineRan = baseline !== undefined && !isInconclusive(baseline.status);

  if (isFailing(candidate.status)) {
    if (expected && expected.status === candidate.status) return { verdict: 'expected-fail', note: `listed in ${expected.source}` };
    if (gap && gap.status === candidate.status) return { verdict: 'known-gap', note: `a gap the series declares (${gapWhy})` };
    const flake = matchFlake(expectations, candidate);
    if (flake) return { verdict: 'flaky', note: `matches ${flake.source}` };
    if (!baselineRan)
      return { verdict: 'new-fail', ...(expected ? { note: `listed as ${expected.status} in ${expected.source}, got ${candidate.status}` } : {}) };
    if (baselineFailed) {
      // An assertion failure that became a segfault or a hang is a regression of its own kind for a kernel series.
      if (baseline.status === 'fail' && candidate.status !== 'fail')
        return { verdict: 'worse', note: `${baseline.status} in the baseline, ${candidate.status} in the candidate` };
      return { verdict: 'still-failing' };
    }
    return { verdict: 'regression', ...(expected ? { note: `listed as ${expected.status} in ${expected.source}, got ${candidate.status}` } : {}) };
  }

  if (candidate.status === 'pass') {
    if (expected) return { verdict: 'unexpected-pass', note: `listed as ${expected.status} in ${expected.source}` };
    if (gap) return { verdict: 'gap-closed', note: `gap closed: the feature seems to have landed (${gapWhy})` };
    if (passedAfterFailing(candidate)) return { verdict: 'flaky', note: `passed on attempt ${candidate.attempts.length} after failing` };
    if (baselineFailed) return { verdict: 'fixed' };
    if (!baselineRan) return { verdict: 'new-pass' };
    return { verdict: 'pass' };
  }

  return { verdict: 'skip', ...(candidate.status === 'notrun' ? { note: 'not run' } : {}) };
}
