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
  /** The last session's plan: the tests it meant to run, in order. */
  readonly planned: ReadonlyArray<{ readonly suite: string; readonly name: string }>;
}

/** Takes events out of a list of records, each once (equal by content, as a replay reads them). */
function takeOut<T>(list: T[], events: readonly KernelEvent[], eventOf: (item: T) => KernelEvent): void {
  for (const event of events) {
    const text = JSON.stringify(event);
    const at = list.findIndex((item) => eventOf(item) === event || JSON.stringify(eventOf(item)) === text);
    if (at >= 0) list.splice(at, 1);
  }
}

/** Takes claimed events out of the records outside any test. */
export function withoutClaimed(outside: RunKernelEvent[], claimed: readonly KernelEvent[]): void {
  takeOut(outside, claimed, (o) => o.event);
}

/** A test's events without those moved to another test. */
export function withoutMoved(events: readonly KernelEvent[], moved: readonly KernelEvent[]): KernelEvent[] {
  const kept = [...events];
  takeOut(kept, moved, (e) => e);
  return kept;
}

/** Replays journal records: the last record of a test wins; late kernel events are added to it. */
export function replayJournal(records: readonly JournalRecord[]): Assembled {
  let run: RunInfo | undefined;
  const tests = new Map<string, TestResult>();
  const lateEvents = new Map<string, KernelEvent[]>();
  const errors: InfraProblem[] = [];
  const outside: RunKernelEvent[] = [];
  let planned: Assembled['planned'] = [];
  for (const record of records) {
    if (record.type === 'run') run ??= record.run;
    else if (record.type === 'plan') planned = record.tests;
    else if (record.type === 'test') {
      const id = testId(record.test);
      const earlier = (record.attempt ?? 1) > 1 ? tests.get(id) : undefined;
      tests.set(id, earlier ? withRetry(earlier, record.test) : record.test);
    } else if (record.type === 'error') errors.push(record.error);
    else if (record.type === 'outside-events') outside.push(...record.events);
    else if (record.type === 'claimed') withoutClaimed(outside, record.events);
    else if (record.type === 'moved') {
      const id = testId(record);
      const test = tests.get(id);
      if (test) tests.set(id, { ...test, kernelEvents: withoutMoved(test.kernelEvents, record.events) });
    } else if (record.type === 'events') {
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
  return { run, tests, errors, outside, planned };
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

/**
 * run.json from a journal alone, for a run whose engine ran elsewhere (a lab job) and never wrote
 * its own: every planned test that never finished is notrun, with `unfinished` as its message.
 */
export function assembleFromJournal(
  assembled: Assembled & { readonly run: RunInfo },
  status: RunStatus,
  finishedAt: Date,
  policy: KernelEventPolicy,
  unfinished: string,
  errors: readonly InfraProblem[] = [],
): RunFile {
  const rest = new Map(assembled.tests);
  const tests = assembled.planned.map(({ suite, name }) => {
    const id = testId({ suite, name });
    const done = rest.get(id);
    rest.delete(id);
    return done ?? { suite, name, status: 'notrun' as const, durationMs: 0, attempts: [], message: unfinished, kernelEvents: [] };
  });
  return assembleRun(assembled.run, [...tests, ...rest.values()], [...assembled.errors, ...errors], status, finishedAt, policy, assembled.outside);
}

/** The run.json of a run whose preflight failed: no test ran, each failed check is an error. */
export function preflightFailedRun(info: RunInfo, failed: ReadonlyArray<{ name: string; expected: string; found: string }>, finishedAt: Date): RunFile {
  const errors = failed.map((c) => ({ stage: 'preflight', message: `${c.name}: expected ${c.expected}, found ${c.found}` }));
  return assembleRun(info, [], errors, info.status, finishedAt, 'ignore');
}
