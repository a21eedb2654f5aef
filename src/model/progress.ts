import type { Status } from '../model/status.js';

/** What the engine tells whoever shows progress (listr2 in a terminal, plain lines in CI). */
export interface ProgressSink {
  suiteStart(suite: string, total: number): void;
  testStart(suite: string, name: string): void;
  /** attempt > 1: a retry of a test already counted. */
  testEnd(suite: string, name: string, status: Status, durationMs: number, attempt: number): void;
  suiteEnd(suite: string): void;
  note(message: string): void;
}

export const SILENT_PROGRESS: ProgressSink = {
  suiteStart: () => undefined,
  testStart: () => undefined,
  testEnd: () => undefined,
  suiteEnd: () => undefined,
  note: () => undefined,
};
