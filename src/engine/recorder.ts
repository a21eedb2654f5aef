import type { KernelEvent } from '../model/kernel-event.js';
import { splitTestId, testId, type InfraProblem, type RunInfo, type RunKernelEvent, type TestResult } from '../model/run.js';
import type { Status } from '../model/status.js';
import { MetricScanner, scanMetrics, type MetricSpec } from '../parsers/metrics.js';
import type { ParsedTest } from '../parsers/types.js';
import { withRetry } from '../results/with-retry.js';
import { withoutClaimed, withoutMoved } from './assemble.js';
import { Journal, type JournalRecord } from './journal.js';
import type { ProgressSink } from '../model/progress.js';
import { TestLogs, type TestLog } from './test-logs.js';

export interface RecorderOptions {
  readonly journalFile: string;
  /** The run directory: logs go under logs/ in it and are stored relative to it. */
  readonly runDir: string;
  readonly logCap?: number;
  /** Tests already finished in an earlier, interrupted run of the same directory (--resume). */
  readonly finished: ReadonlyMap<string, TestResult>;
  readonly earlierErrors: readonly InfraProblem[];
  /** Kernel records outside any test, from that earlier run. */
  readonly earlierOutside?: readonly RunKernelEvent[];
  readonly progress: ProgressSink;
  /** Told once when results can no longer be saved (disk full): the run must stop. */
  readonly onStorageFailure: (error: Error) => void;
  /** Told each journal record as it is written (a run inside a lab job echoes them). */
  readonly mirror?: (line: string, record: JournalRecord) => void;
  /** Told each finished attempt with the test's result so far (--fail-fast counts regressions). */
  readonly onResult?: (test: TestResult, attempt: number) => void;
}

interface Live {
  log?: TestLog;
  logPath?: string;
  events: KernelEvent[];
  /** Records that move events here from elsewhere: journaled after the test's own, which holds them (until then they stay where they were, never lost). */
  moves: JournalRecord[];
  skipRegex?: RegExp;
  skipMatched: boolean;
  metrics?: MetricScanner;
  started: number;
}

/**
 * Everything that happens to a test is written down here, at once: its output to its log, its
 * result and retries to the journal, and the kernel events logged while it ran.
 */
export class Recorder {
  private readonly journal: Journal;
  private readonly logs: TestLogs;
  private readonly results: Map<string, TestResult>;
  private readonly live = new Map<string, Live>();
  readonly errors: InfraProblem[];
  /** Kernel records logged outside any test: the batch's. */
  readonly outside: RunKernelEvent[];

  constructor(private readonly options: RecorderOptions) {
    this.journal = new Journal(options.journalFile, options.onStorageFailure, options.mirror);
    this.logs = new TestLogs(options.runDir, options.logCap, options.onStorageFailure);
    this.results = new Map(options.finished);
    this.errors = [...options.earlierErrors];
    this.outside = [...(options.earlierOutside ?? [])];
  }

  /** A new run starts its journal with the run record (a resumed one already has it), then what this session plans to run. */
  startRun(info: RunInfo, resumed: boolean, planned: ReadonlyArray<{ suite: string; name: string }>): void {
    if (!resumed) this.journal.append({ type: 'run', run: info });
    this.journal.append({ type: 'plan', tests: planned.map(({ suite, name }) => ({ suite, name })) });
  }

  get storageFailure(): Error | undefined {
    return this.journal.failed ?? this.logs.failed;
  }

  has(id: string): boolean {
    return this.results.has(id);
  }

  result(id: string): TestResult | undefined {
    return this.results.get(id);
  }

  begin(suite: string, name: string, attempt: number, skipRegex: RegExp | undefined, metricSpecs: readonly MetricSpec[] = []): void {
    const opened = this.logs.open(suite, name, attempt);
    this.live.set(testId({ suite, name }), {
      log: opened.log,
      logPath: opened.path,
      events: [],
      moves: [],
      ...(skipRegex ? { skipRegex } : {}),
      skipMatched: false,
      ...(metricSpecs.length > 0 ? { metrics: new MetricScanner(metricSpecs) } : {}),
      started: performance.now(),
    });
    this.options.progress.testStart(suite, name);
  }

  output(suite: string, name: string, line: string): void {
    const state = this.live.get(testId({ suite, name }));
    if (!state) return;
    state.log?.write(line);
    if (state.skipRegex?.test(line)) state.skipMatched = true;
    state.metrics?.line(line);
  }

  /** Kernel events for a test: kept with it while it runs, journaled on their own once it has finished. */
  kernelEvents(id: string, events: readonly KernelEvent[]): void {
    const current = this.live.get(id);
    if (current) {
      current.events.push(...events);
      return;
    }
    const { suite, name } = splitTestId(id)!;
    this.journal.append({ type: 'events', suite, name, events });
    const done = this.results.get(id);
    if (done) this.results.set(id, { ...done, kernelEvents: [...done.kernelEvents, ...events] });
  }

  finish(suite: string, name: string, parsed: ParsedTest, attempt: number, metricSpecs: readonly MetricSpec[] = []): void {
    const id = testId({ suite, name });
    const state = this.live.get(id);
    this.live.delete(id);
    state?.log?.close();
    let logPath = state?.log?.hasContent ? state.logPath : undefined;
    let metrics = state?.metrics?.result();
    if (!logPath && parsed.output) {
      logPath = this.logs.writeWhole(suite, name, attempt, parsed.output);
      metrics ??= scanMetrics(metricSpecs, parsed.output);
    }
    let status: Status = parsed.status;
    let message = parsed.message;
    if (status === 'pass' && state?.skipMatched) {
      status = 'skip';
      message = `output matched ${state.skipRegex!.source}`;
    }
    const durationMs = parsed.durationMs ?? Math.round(performance.now() - (state?.started ?? performance.now()));
    const attemptResult: TestResult = {
      suite,
      name,
      status,
      durationMs,
      attempts: [{ status, durationMs, ...(message !== undefined ? { message } : {}) }],
      ...(message !== undefined ? { message } : {}),
      kernelEvents: state?.events ?? [],
      ...(logPath ? { log: logPath } : {}),
      ...(metrics && status === 'pass' ? { metrics } : {}),
    };
    const previous = attempt > 1 ? this.results.get(id) : undefined;
    this.results.set(id, previous ? withRetry(previous, attemptResult) : attemptResult);
    // The journal gets only this attempt: a test retried n times costs n records, not n² attempts.
    this.journal.append(attempt > 1 ? { type: 'test', test: attemptResult, attempt } : { type: 'test', test: attemptResult });
    for (const move of state?.moves ?? []) this.journal.append(move);
    this.options.progress.testEnd(suite, name, status, durationMs, attempt);
    this.options.onResult?.(this.results.get(id)!, attempt);
  }

  /**
   * A finished test's result, corrected after the fact (its framework's report contradicts it):
   * journaled whole, so replay and run.json keep the correction, its log and kernel events.
   */
  correct(suite: string, name: string, parsed: ParsedTest): void {
    const id = testId({ suite, name });
    const done = this.results.get(id);
    if (!done) return;
    const message = parsed.message ?? done.message;
    const last = done.attempts.length - 1;
    const attempts = done.attempts.map((a, i) => (i === last ? { ...a, status: parsed.status, ...(message !== undefined ? { message } : {}) } : a));
    const fixed: TestResult = { ...done, status: parsed.status, attempts, ...(message !== undefined ? { message } : {}) };
    this.results.set(id, fixed);
    this.journal.append({ type: 'test', test: fixed });
  }

  /** A test the plan decided not to run (skip list, DISABLED_): recorded without running. */
  planned(suite: string, name: string, status: Status, reason: string | undefined): void {
    const test: TestResult = {
      suite,
      name,
      status,
      durationMs: 0,
      attempts: [{ status, durationMs: 0 }],
      ...(reason ? { message: reason } : {}),
      kernelEvents: [],
    };
    this.results.set(testId(test), test);
    this.journal.append({ type: 'test', test });
  }

  /** Kernel records that no test's marks enclose, journaled at once like everything else. */
  outsideEvents(context: string, events: readonly KernelEvent[]): void {
    const records = events.map((event) => ({ context, event }));
    this.outside.push(...records);
    this.journal.append({ type: 'outside-events', events: records });
  }

  /** Records first logged outside any test that turned out to be this test's (its process's, by pid). */
  claimOutside(id: string, events: readonly KernelEvent[]): void {
    withoutClaimed(this.outside, events);
    this.receive(id, events, { type: 'claimed', events });
  }

  /** Events given to one test that are another's (a fatal fault of the process that died during that one). */
  moveEvents(fromId: string, toId: string, events: readonly KernelEvent[]): void {
    const from = splitTestId(fromId)!;
    const live = this.live.get(fromId);
    let move: JournalRecord | undefined;
    if (live) live.events = withoutMoved(live.events, events);
    else {
      const done = this.results.get(fromId);
      if (!done) return;
      this.results.set(fromId, { ...done, kernelEvents: withoutMoved(done.kernelEvents, events) });
      move = { type: 'moved', suite: from.suite, name: from.name, events };
    }
    this.receive(toId, events, move);
  }

  /** Events for a test from elsewhere, and the record that takes them out of where they were journaled (after the test holds them). */
  private receive(id: string, events: readonly KernelEvent[], move: JournalRecord | undefined): void {
    const current = this.live.get(id);
    if (current) {
      current.events.push(...events);
      if (move) current.moves.push(move);
      return;
    }
    this.kernelEvents(id, events);
    if (move) this.journal.append(move);
  }

  error(problem: InfraProblem): void {
    this.errors.push(problem);
    this.journal.append({ type: 'error', error: problem });
  }

  /** The results of the planned tests in plan order (unfinished: notrun), then any finished earlier but no longer planned. */
  collect(planned: ReadonlyArray<{ suite: string; name: string }>, unfinished: string): TestResult[] {
    const rest = new Map(this.results);
    const all = planned.map(({ suite, name }) => {
      const id = testId({ suite, name });
      const done = rest.get(id);
      rest.delete(id);
      return done ?? { suite, name, status: 'notrun' as const, durationMs: 0, attempts: [], message: unfinished, kernelEvents: [] };
    });
    return [...all, ...rest.values()];
  }

  close(): void {
    for (const state of this.live.values()) state.log?.close();
    this.journal.close();
  }
}
