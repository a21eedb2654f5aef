import { durationMsOrNone } from './duration.js';
import type { Status } from '../model/status.js';
import { cleanLine, firstFailureBlock, splitLines, trimMessage } from './text.js';
import type { ParsedReport, ParsedTest, TestListener } from './types.js';

// Every gtest marker is ten characters between brackets: "[ RUN      ]", "[       OK ]", "[          ]" …
const MARKER = /^\[(.{10})\] ?(.*)$/;
// "Suite.Test/1, where GetParam() = 4 (12 ms)" → name and duration; gtest names contain no spaces.
const NAME_AND_TIME = /^(\S+?),?(?:\s+where\s.*?)?(?:\s+\((\d+)\s*ms\))?\s*$/;
const SKIP_START = /^.*:\d+: Skipped$/;
// kfdtest skips by logging and returning (gtest then prints OK): "Skipping test: …", "Skipping test on
// APU.", "Test is skipped with xnack off", … through LOG() ("[          ] ") or WARN() ("[----------] ").
const KFDTEST_SKIP = /^(?:Skipping test\b|Test is skipped\b)/i;
const LOG_TAGS = new Set(['', '----------']);
const NEW_PROCESS = /^Running main\(\) from /;

interface OpenTest {
  readonly name: string;
  readonly output: string[];
  skipReason?: string;
}

function skipMessage(output: readonly string[]): string | undefined {
  const start = output.findIndex((line) => SKIP_START.test(line));
  return start < 0 ? undefined : trimMessage(output.slice(start + 1));
}

function finish(test: OpenTest, status: Status, durationMs: number | undefined): ParsedTest {
  let message: string | undefined;
  if (status === 'fail') message = firstFailureBlock(test.output);
  else if (status === 'skip') message = test.skipReason ?? skipMessage(test.output);
  else if (status === 'crash') message = trimMessage(test.output) ?? 'the test process ended during this test without a result line';
  const output = test.output.length > 0 ? test.output.join('\n') : undefined;
  return {
    name: test.name,
    status,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(output !== undefined ? { output } : {}),
  };
}

function parseNameAndTime(rest: string): { name: string; durationMs?: number } | undefined {
  const m = NAME_AND_TIME.exec(rest.trim());
  if (!m) return undefined;
  const ms = durationMsOrNone(m[2], 'ms');
  return ms !== undefined ? { name: m[1]!, durationMs: ms } : { name: m[1]! };
}

/** What the console stream reports: starts (when seen) and results. */
export type GtestStreamEvents = Pick<TestListener, 'onResult'> & Partial<Pick<TestListener, 'onStart'>>;

/**
 * gtest console output, modern and the old bundled gtest of kfdtest/rocrtst, line by line, so
 * the engine can follow a live process. While a test is open, only the markers that can close
 * *that* test (or the banner of a new process) are structure; anything else the test prints
 * is its output, however it looks.
 */
export class GtestConsoleStream {
  private open: OpenTest | undefined;
  private pending: string[] = [];
  private inSummary = false;

  constructor(private readonly events: GtestStreamEvents) {}

  /** The test currently running, if any. */
  get current(): string | undefined {
    return this.open?.name;
  }

  push(rawLine: string): void {
    const line = cleanLine(rawLine);
    const marker = MARKER.exec(line);
    const tag = marker ? marker[1]!.trim() : undefined;
    const rest = marker ? marker[2]! : '';
    const open = this.open;

    if (open) {
      const closing = tag === 'OK' || tag === 'FAILED' || tag === 'SKIPPED';
      const parsed = closing ? parseNameAndTime(rest) : undefined;
      if (closing && (parsed?.name === open.name || (tag === 'FAILED' && rest.trim() === ''))) {
        const status: Status = tag === 'FAILED' ? 'fail' : tag === 'SKIPPED' || open.skipReason ? 'skip' : 'pass';
        this.close(finish(open, status, parsed?.durationMs));
        return;
      }
      const newProcess = NEW_PROCESS.test(line) || (tag === '==========' && rest.startsWith('Running '));
      if (!newProcess) {
        if (tag !== undefined && LOG_TAGS.has(tag) && !open.skipReason && KFDTEST_SKIP.test(rest.trim())) open.skipReason = rest.trim();
        open.output.push(line);
        return;
      }
      this.close(finish(open, 'crash', undefined));
    }

    if (tag === undefined) {
      this.pending.push(line);
      return;
    }
    if (tag === '==========') {
      this.inSummary = / ran\.?/.test(rest);
      return;
    }
    if (tag === 'RUN') {
      const parsed = parseNameAndTime(rest);
      if (parsed) {
        this.open = { name: parsed.name, output: [] };
        this.inSummary = false;
        this.events.onStart?.(parsed.name);
      }
      return;
    }
    if (tag === 'DISABLED') {
      const parsed = parseNameAndTime(rest);
      if (parsed) this.events.onResult({ name: parsed.name, status: 'notrun', message: 'disabled' });
      return;
    }
    if ((tag === 'OK' || tag === 'FAILED' || tag === 'SKIPPED') && !this.inSummary) {
      // --gtest_brief prints only the end line of failed/skipped tests: no RUN before it.
      const parsed = parseNameAndTime(rest);
      if (parsed?.durationMs !== undefined) {
        const status: Status = tag === 'FAILED' ? 'fail' : tag === 'SKIPPED' ? 'skip' : 'pass';
        this.events.onResult(finish({ name: parsed.name, output: this.pending }, status, parsed.durationMs));
      }
      this.pending = [];
    }
  }

  /** End of output: a test still open never finished — its process died. */
  end(crashNote?: string): void {
    if (!this.open) return;
    if (crashNote) this.open.output.push(crashNote);
    this.close(finish(this.open, 'crash', undefined));
  }

  private close(test: ParsedTest): void {
    this.open = undefined;
    this.pending = [];
    this.events.onResult(test);
  }
}

export function parseGtestConsole(text: string): ParsedReport {
  const tests: ParsedTest[] = [];
  const stream = new GtestConsoleStream({ onResult: (test) => tests.push(test) });
  for (const line of splitLines(text)) stream.push(line);
  stream.end();
  return { format: 'gtest-console', tests };
}
