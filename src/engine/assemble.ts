import { SEVERE_EVENT_KINDS, type KernelEvent } from '../model/kernel-event.js';
import {
  RUN_SCHEMA_VERSION,
  testId,
  type InfraProblem,
  type RunFile,
  type RunInfo,
  type RunKernelEvent,
  type RunStatus,
  type TestResult,
} from '../model/run.js';
import { withRetry } from '../results/with-retry.js';
import type { JournalRecord } from './journal.js';

export type KernelEventPolicy = 'fail' | 'warn' | 'ignore';

/** A passing test during which the kernel oopsed, faulted or reset the GPU did not really pass. */
export function applyEventPolicy(test: TestResult, policy: KernelEventPolicy): TestResult {
  if (policy !== 'fail' || test.status !== 'pass') return test;
  const severe = test.kernelEvents.find((e) => SEVERE_EVENT_KINDS.has(e.kind));
  if (!severe) return test;
  const message = `kernel ${severe.kind} during the test: ${severe.summary}`;
  const attempts = test.attempts.map((a, i) => (i === test.attempts.length - 1 ? { ...a, status: 'fail' as const, message } : a));
  return { ...test, status: 'fail', message, attempts };
}

export interface Assembled {
  readonly run: RunInfo | undefined;
  readonly tests: Map<string, TestResult>;
  readonly errors: InfraProblem[];
  readonly outside: RunKernelEvent[];
}

/** Replays journal records: the last record of a test wins; late kernel events are added to it. */
export function replayJournal(records: readonly JournalRecord[]): Assembled {
  let run: RunInfo | undefined;
  const tests = new Map<string, TestResult>();
  const lateEvents = new Map<string, KernelEvent[]>();
  const errors: InfraProblem[] = [];
  const outside: RunKernelEvent[] = [];
  for (const record of records) {
    if (record.type === 'run') run ??= record.run;
    else if (record.type === 'test') {
      const id = testId(record.test);
      const earlier = (record.attempt ?? 1) > 1 ? tests.get(id) : undefined;
      tests.set(id, earlier ? withRetry(earlier, record.test) : record.test);
    } else if (record.type === 'error') errors.push(record.error);
    else if (record.type === 'outside-events') outside.push(...record.events);
    else if (record.type === 'events') {
      const id = testId(record);
      const test = tests.get(id);
      if (test) tests.set(id, { ...test, kernelEvents: [...test.kernelEvents, ...record.events] });
      else lateEvents.set(id, [...(lateEvents.get(id) ?? []), ...record.events]);
    }
  }
  for (const [id, events] of lateEvents) {
    const test = tests.get(id);
    if (test) tests.set(id, { ...test, kernelEvents: [...test.kernelEvents, ...events] });
  }
  return { run, tests, errors, outside };
}

export function assembleRun(
  info: RunInfo,
  tests: Iterable<TestResult>,
  errors: readonly InfraProblem[],
  status: RunStatus,
  finishedAt: Date,
  policy: KernelEventPolicy,
  outside: readonly RunKernelEvent[] = [],
): RunFile {
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    run: { ...info, status, finishedAt: finishedAt.toISOString() },
    tests: [...tests].map((t) => applyEventPolicy(t, policy)),
    errors: [...errors],
    ...(outside.length > 0 ? { kernelEvents: [...outside] } : {}),
  };
}
