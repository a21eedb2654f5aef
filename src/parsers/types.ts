import type { Status } from '../model/status.js';

export interface ParsedTest {
  readonly name: string;
  readonly status: Status;
  readonly durationMs?: number;
  /** The first failure (or the skip reason), trimmed. */
  readonly message?: string;
  /** What the test printed, when the format carries it. */
  readonly output?: string;
}

export interface ParsedReport {
  readonly format: string;
  readonly tests: readonly ParsedTest[];
  /** When the run began, as the file says it (gtest's and JUnit's `timestamp`; may carry no zone). */
  readonly startedAt?: string;
}

export interface ParseOptions {
  /** A test whose output matches this is a skip (hip-tests print HIP_SKIP_THIS_TEST). */
  readonly skipPattern?: RegExp;
}

/**
 * The one listener interface for tests as they happen: a console stream parser, a suite
 * adapter's batch and the engine's batch runner all speak it.
 */
export interface TestListener {
  onStart(name: string): void;
  /** A line printed while `name` (the test now open) runs. */
  onOutput(line: string, name: string): void;
  onResult(test: ParsedTest): void;
  /** The framework reported the test's end; its result may follow a little later. */
  onEnded?(name: string): void;
  /**
   * The framework's own report, read at the process's end, contradicts a result already given:
   * the stricter result replaces it and the run must say its results were tampered with.
   */
  onContradiction?(test: ParsedTest, why: string): void;
}
