import type { TestResult } from '../model/run.js';

/** A retry's record holds only that attempt: the test is the earlier attempts plus this one. */
export function withRetry(earlier: TestResult, retry: TestResult): TestResult {
  const { message: _previous, log: _previousLog, metrics: _previousMetrics, ...rest } = earlier;
  return {
    ...rest,
    status: retry.status,
    durationMs: earlier.durationMs + retry.durationMs,
    attempts: [...earlier.attempts, ...retry.attempts],
    ...(retry.message !== undefined ? { message: retry.message } : {}),
    kernelEvents: [...earlier.kernelEvents, ...retry.kernelEvents],
    ...(retry.log !== undefined ? { log: retry.log } : earlier.log !== undefined ? { log: earlier.log } : {}),
    // What the test printed about itself counts only from the attempt that stands.
    ...(retry.metrics !== undefined ? { metrics: retry.metrics } : {}),
  };
}
