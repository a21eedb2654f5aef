import { REGRESSION_VERDICTS, UNEXPECTED_VERDICTS, type ComparisonFile } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';
import { isFailing } from '../model/status.js';
import { expectedFailure, matchFlake, type Expectations } from './expectations.js';

import { EXIT, type ExitCode } from '../model/exit-codes.js';

export type FailOn = 'regression' | 'unexpected' | 'never';

/** Exit code of a comparison: infrastructure first, then the verdicts that --fail-on selects. */
export function comparisonExitCode(comparison: ComparisonFile, failOn: FailOn): ExitCode {
  if (comparison.errors.length > 0 || comparison.baseline.status !== 'complete' || comparison.candidate.status !== 'complete') return EXIT.infra;
  if (failOn === 'never') return EXIT.ok;
  const failing = failOn === 'regression' ? REGRESSION_VERDICTS : UNEXPECTED_VERDICTS;
  return comparison.entries.some((e) => failing.has(e.verdict) && !e.excluded) ? EXIT.unexpected : EXIT.ok;
}

/** A test that failed, crashed or timed out and that the expectations do not cover (README, "Exit codes"). */
export function isUnexpectedFailure(test: RunFile['tests'][number], expectations: Expectations): boolean {
  return isFailing(test.status) && expectedFailure(expectations, test)?.status !== test.status && !matchFlake(expectations, test);
}

/** Exit code of a run without a baseline: interrupted, infrastructure, then unexpected failures. */
export function runExitCode(run: RunFile, expectations: Expectations): ExitCode {
  if (run.run.status === 'interrupted') return EXIT.interrupted;
  if (run.run.status !== 'complete' || run.errors.length > 0) return EXIT.infra;
  return run.tests.some((t) => isUnexpectedFailure(t, expectations)) ? EXIT.unexpected : EXIT.ok;
}
