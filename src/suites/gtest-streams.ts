import type { Status } from '../model/status.js';
import { GtestConsoleStream } from '../parsers/gtest-console.js';
import { GtestStreamEvents, type StreamedEnd } from '../parsers/gtest-stream-events.js';
import { trimMessage } from '../parsers/text.js';
import type { ParsedTest, TestListener } from '../parsers/types.js';
import { describeExit } from '../targets/target.js';
import type { BatchStream } from './adapter.js';

// The console and the channel are two pipes: a test's console lines (its skip reason) may arrive
// after the channel's end event. gtest prints a test's end line before it streams the end, and the
// next test's RUN line after: the n-th test's end waits until the console has shown its result or
// the (n+1)-th RUN line (or the process ended) — an order, never a clock, so the same process
// always gives the same verdict.
const RUN_LINE = /^\[ RUN {6}\] /;
// Of a test's console, only this much is kept (for a crash's message): the log file has the rest.
const TAIL_LINES = 20;
const SKIP_LINE = /^\S.*:\d+: Skipped$/;

/** What the channel stream keeps of one test's console: its last lines, and gtest's "file:line: Skipped" lines. */
interface ConsoleSeen {
  tail: string[];
  skipLines: string[];
}

/** Results read from the console (binaries that stream no results): the test's own text decides. */
export function gtestConsoleStream(listener: TestListener): BatchStream {
  const parser = new GtestConsoleStream({ onStart: (name) => listener.onStart(name), onResult: (test) => listener.onResult(test) });
  return {
    push(stream, line) {
      const open = parser.current;
      if (stream === 'stdout') parser.push(line);
      // The open test's output, but not its own end line: a test that prints nothing leaves no log file.
      if (open !== undefined && parser.current === open) listener.onOutput(line, open);
    },
    async end(exit) {
      parser.end(`[svmtest: the test process ${describeExit(exit)} during this test]`);
    },
    get current() {
      return parser.current;
    },
  };
}

/** The first failed assertion as the framework reported it: "file:line" and its message. */
function partMessage(end: StreamedEnd): string | undefined {
  const part = end.parts[0];
  if (!part) return undefined;
  const where = part.file ? `${part.file}:${part.line}: ` : '';
  return trimMessage(`${where}${part.message}`.split('\n'));
}

/**
 * The verdict of one test from the framework's channel. The console only refines it where the
 * channel cannot tell: a GTEST_SKIP (streamed as "not passed" with one part, whose file:line
 * the console prints as "file:line: Skipped"), and kfdtest's skips by log line (passed).
 */
export function verdictFromChannel(end: StreamedEnd, console: ParsedTest | undefined, skipLines: readonly string[]): ParsedTest {
  const base = { name: end.name, ...(end.durationMs !== undefined ? { durationMs: end.durationMs } : {}) };
  if (end.passed) {
    if (console?.status === 'skip') return { ...base, status: 'skip', ...(console.message ? { message: console.message } : {}) };
    return { ...base, status: 'pass' };
  }
  const only = end.parts.length === 1 ? end.parts[0]! : undefined;
  const skipped = only !== undefined && console?.status === 'skip' && skipLines.includes(`${only.file}:${only.line}: Skipped`);
  if (skipped) {
    const reason = only.message.trim() || console?.message;
    return { ...base, status: 'skip', ...(reason ? { message: reason } : {}) };
  }
  const status: Status = 'fail';
  return { ...base, status, message: partMessage(end) ?? 'the framework reported a failure without a message' };
}

/**
 * The framework's XML report against what its stream said: a test the report says failed was not
 * passed, and one it says passed did not fail. A contradiction means the stream was written to by
 * something other than gtest (a test can reach its own process's socket): the report's stricter
 * status replaces the result and the run says so.
 */
function crossCheck(given: ReadonlyMap<string, ParsedTest>, reported: readonly ParsedTest[] | undefined, listener: TestListener): void {
  for (const xml of reported ?? []) {
    const streamed = given.get(xml.name);
    if (!streamed) continue;
    const xmlFailed = xml.status === 'fail' || xml.status === 'crash';
    if ((streamed.status === 'pass' || streamed.status === 'skip') && xmlFailed) {
      listener.onContradiction?.(
        {
          name: xml.name,
          status: 'fail',
          message: `${xml.message ?? 'failed'}\n[svmtest: the result stream said ${streamed.status}; gtest's own XML report says fail]`,
        },
        `${xml.name}: its result stream said ${streamed.status}, gtest's XML report says fail — something other than gtest wrote to the result stream; the report's result is recorded`,
      );
    }
  }
}

/**
 * Results from gtest's result stream: a test starts and ends when the framework says so. The
 * console is the test's log; a line it prints can neither end a test nor stop its timeout.
 */
export function gtestChannelStream(listener: TestListener, report?: () => Promise<ParsedTest[] | undefined>): BatchStream {
  /** What the stream said of each test, for the cross-check with the framework's report. */
  const given = new Map<string, ParsedTest>();
  const consoleResults = new Map<string, { test: ParsedTest; skipLines: string[] }>();
  const seen = new Map<string, ConsoleSeen>();
  const parser = new GtestConsoleStream({
    onResult: (test) => {
      consoleResults.set(test.name, { test, skipLines: seen.get(test.name)?.skipLines ?? [] });
      if (waiting?.end.name === test.name) release();
    },
  });
  /** How many tests the stream started, and how many RUN lines the console showed. */
  let streamed = 0;
  let consoleRuns = 0;
  let waiting: { end: StreamedEnd; index: number } | undefined;
  const queued: string[] = [];
  const deliver = (end: StreamedEnd) => {
    const fromConsole = consoleResults.get(end.name);
    consoleResults.delete(end.name);
    seen.delete(end.name);
    const result = verdictFromChannel(end, fromConsole?.test, fromConsole?.skipLines ?? []);
    given.set(end.name, result);
    listener.onResult(result);
  };
  const events = new GtestStreamEvents({
    onStart: (name) => {
      streamed++;
      listener.onStart(name);
    },
    onEnd: (end) => {
      listener.onEnded?.(end.name);
      // The console is past this test already (its result, or the next test's RUN line, was shown).
      if (consoleResults.has(end.name) || consoleRuns > streamed) deliver(end);
      else waiting = { end, index: streamed };
    },
  });
  const release = () => {
    if (!waiting) return;
    const { end } = waiting;
    waiting = undefined;
    deliver(end);
    while (queued.length > 0 && !waiting) events.push(queued.shift()!);
  };
  return {
    push(stream, line) {
      const open = parser.current;
      if (stream === 'stdout') {
        parser.push(line);
        // Only where the console is between tests: a RUN line a test prints inside its own output does not count.
        if (open === undefined && RUN_LINE.test(line) && ++consoleRuns > (waiting?.index ?? Number.POSITIVE_INFINITY)) release();
        if (open !== undefined) {
          const kept = seen.get(open) ?? { tail: [], skipLines: [] };
          kept.tail.push(line);
          if (kept.tail.length > TAIL_LINES) kept.tail.shift();
          if (SKIP_LINE.test(line)) kept.skipLines.push(line);
          seen.set(open, kept);
        }
      }
      if (open !== undefined && parser.current === open) listener.onOutput(line, open);
    },
    channel(line) {
      if (waiting) queued.push(line);
      else events.push(line);
    },
    async end(exit) {
      parser.end();
      release();
      // gtest writes its report only when the process ends by itself: a killed one (or a dead machine) left none.
      if (report && exit.signal === null) crossCheck(given, await report(), listener);
      const open = events.current;
      if (open === undefined) return;
      const tail = seen.get(open)?.tail ?? [];
      listener.onResult({
        name: open,
        status: 'crash',
        message: `the test process ${describeExit(exit)} during this test (the framework reported its start, never its end)${
          tail.length > 0 ? `\n${trimMessage(tail) ?? ''}` : ''
        }`,
      });
    },
    get current() {
      return events.current;
    },
  };
}
