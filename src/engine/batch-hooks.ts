import type { TestListener } from '../parsers/types.js';
import type { ChannelMarkSpec } from '../targets/kernel-marks.js';

/** The test events of a batch (a result: by the test's own report, or svmtest's judgement: crash, timeout), and its supervision. */
export interface BatchHooks extends TestListener {
  /** Seconds this test may take. */
  timeoutFor(name: string): number;
  /** The binary could not run these tests at all. */
  failedToRun(names: readonly string[], why: string): void;
  /** Something about how the batch ran that the user should know. */
  note(message: string): void;
  readonly signal: AbortSignal;
  readonly graceMs: number;
  readonly scratch: string;
  /**
   * A process ended whose kernel records are one test's, wherever they fall in the log: it ran
   * only that test, or died during it. (A test that crashes in its first millisecond can have its
   * fault logged before its start mark.)
   */
  processOf?(pid: number, test: string): void;
  /** The target marks this batch's tests in its kernel log from the result channel: what to write. */
  readonly channelMarks?: ChannelMarkSpec;
}
