import { REGRESSION_VERDICTS, UNEXPECTED_VERDICTS, type ComparisonFile } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';
import { isFailing } from '../model/status.js';
import { expectedFailure, matchFlake, type Expectations } from './expectations.js';

import { EXIT, type ExitCode } from '../model/exit-codes.js';

/** What makes a comparison's exit code 1 (`--fail-on regression,slower`): the verdicts, and a slower test. */
export interface FailOn {
  readonly verdicts: 'regression' | 'unexpected' | 'never';
  /** A performance verdict `slower` (off by default: timing needs --repeat and a quiet machine). */
  readonly slower: boolean;
}

export const FAIL_ON_WORDS = ['regression', 'unexpected', 'slower', 'never'] as const;
export const DEFAULT_FAIL_ON: FailOn = { verdicts: 'regression', slower: false };

/** `--fail-on`'s comma-separated words → the policy, or what is wrong with them. */
export function parseFailOn(text: string): FailOn | string {
  const words = text.split(',').map((w) => w.trim());
  const unknown = words.find((w) => !(FAIL_ON_WORDS as readonly string[]).includes(w));
  if (unknown !== undefined) return `"${unknown}" is not one of ${FAIL_ON_WORDS.join(', ')}`;
  if (words.includes('never') && words.length > 1) return 'never cannot be combined with another word';
  if (words.includes('regression') && words.includes('unexpected')) return 'give regression or unexpected, not both (unexpected includes regression)';
  const verdicts = words.includes('unexpected') ? 'unexpected' : words.includes('regression') ? 'regression' : 'never';
  return { verdicts, slower: words.includes('slower') };
}

/** Exit code of a comparison: infrastructure first, then the verdicts that --fail-on selects. */
export function comparisonExitCode(comparison: ComparisonFile, failOn: FailOn): ExitCode {
  if (comparison.errors.length > 0 || comparison.baseline.status !== 'complete' || comparison.candidate.status !== 'complete') return EXIT.infra;
  if (failOn.slower && (comparison.performance?.counts.slower ?? 0) > 0) return EXIT.unexpected;
  if (failOn.verdicts === 'never') return EXIT.ok;
  const failing = failOn.verdicts === 'regression' ? REGRESSION_VERDICTS : UNEXPECTED_VERDICTS;
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
