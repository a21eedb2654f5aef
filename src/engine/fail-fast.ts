import { testId, type TestResult } from '../model/run.js';
import type { Status } from '../model/status.js';
import { isFailing } from '../model/status.js';

/** `--fail-fast N --baseline-run DIR`: what a regression is measured against, and how many end the run. */
export interface FailFast {
  readonly limit: number;
  /** The baseline run's path, for the run's warning. */
  readonly from: string;
  readonly baseline: ReadonlyMap<string, Status>;
}

/**
 * Counts regressions as results arrive — a test that passed in the baseline and failed, crashed or
 * timed out here, on its last attempt (a retry that passes is flaky, not a regression) — and says
 * when the limit is reached.
 */
export class RegressionCounter {
  private readonly found: string[] = [];

  constructor(
    private readonly failFast: FailFast,
    private readonly lastAttempt: number,
  ) {}

  /** Told every finished attempt; true once the limit is reached. */
  add(test: TestResult, attempt: number): boolean {
    const id = testId(test);
    if (isFailing(test.status) && this.failFast.baseline.get(id) === 'pass' && attempt >= this.lastAttempt && !this.found.includes(id)) this.found.push(id);
    return this.reached;
  }

  get reached(): boolean {
    return this.found.length >= this.failFast.limit;
  }

  /** What every report says about a run that stopped early on purpose. */
  warning(notRun: number): string {
    return `stopped by --fail-fast ${this.failFast.limit} after ${this.found.length} regression${this.found.length === 1 ? '' : 's'} against ${this.failFast.from} (${this.found.slice(0, 5).join(', ')}${this.found.length > 5 ? ', …' : ''}); ${notRun} test${notRun === 1 ? '' : 's'} after ${this.found.length === 1 ? 'it' : 'them'} not run`;
  }
}
