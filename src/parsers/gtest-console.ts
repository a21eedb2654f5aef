import type { Status } from '../model/status.js';
import { cleanLines, firstFailureBlock, trimMessage } from './text.js';
import type { ParsedReport, ParsedTest } from './types.js';

// Every gtest marker is ten characters between brackets: "[ RUN      ]", "[       OK ]", "[          ]" …
const MARKER = /^\[(.{10})\] ?(.*)$/;
// "Suite.Test/1, where GetParam() = 4 (12 ms)" → name and duration; gtest names contain no spaces.
const NAME_AND_TIME = /^(\S+?),?(?:\s+where\s.*?)?(?:\s+\((\d+)\s*ms\))?\s*$/;
const SKIP_START = /^.*:\d+: Skipped$/;
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
  return m[2] !== undefined ? { name: m[1]!, durationMs: Number(m[2]) } : { name: m[1]! };
}

/**
 * gtest console output, modern and the old bundled gtest of kfdtest/rocrtst.
 * While a test is open, only the markers that can close *that* test (or the banner of a new
 * process) are structure; anything else the test prints is its output, however it looks.
 */
export function parseGtestConsole(text: string): ParsedReport {
  const tests: ParsedTest[] = [];
  let open: OpenTest | undefined;
  let pending: string[] = [];
  let inSummary = false;

  for (const line of cleanLines(text)) {
    const marker = MARKER.exec(line);
    const tag = marker ? marker[1]!.trim() : undefined;
    const rest = marker ? marker[2]! : '';

    if (open) {
      const closing = tag === 'OK' || tag === 'FAILED' || tag === 'SKIPPED';
      const parsed = closing ? parseNameAndTime(rest) : undefined;
      if (closing && (parsed?.name === open.name || (tag === 'FAILED' && rest.trim() === ''))) {
        const status: Status = tag === 'FAILED' ? 'fail' : tag === 'SKIPPED' || open.skipReason ? 'skip' : 'pass';
        tests.push(finish(open, status, parsed?.durationMs));
        open = undefined;
        pending = [];
        continue;
      }
      const newProcess = NEW_PROCESS.test(line) || (tag === '==========' && rest.startsWith('Running '));
      if (!newProcess) {
        if (tag === '' && /^Skipping test:/i.test(rest.trim())) open.skipReason = rest.trim();
        open.output.push(line);
        continue;
      }
      tests.push(finish(open, 'crash', undefined));
      open = undefined;
      pending = [];
    }

    if (tag === undefined) {
      pending.push(line);
      continue;
    }
    if (tag === '==========') {
      inSummary = / ran\.?/.test(rest);
      continue;
    }
    if (tag === 'RUN') {
      const parsed = parseNameAndTime(rest);
      if (parsed) {
        open = { name: parsed.name, output: [] };
        inSummary = false;
      }
      continue;
    }
    if (tag === 'DISABLED') {
      const parsed = parseNameAndTime(rest);
      if (parsed) tests.push({ name: parsed.name, status: 'notrun', message: 'disabled' });
      continue;
    }
    if ((tag === 'OK' || tag === 'FAILED' || tag === 'SKIPPED') && !inSummary) {
      // --gtest_brief prints only the end line of failed/skipped tests: no RUN before it.
      const parsed = parseNameAndTime(rest);
      if (parsed?.durationMs !== undefined) {
        const status: Status = tag === 'FAILED' ? 'fail' : tag === 'SKIPPED' ? 'skip' : 'pass';
        tests.push(finish({ name: parsed.name, output: pending }, status, parsed.durationMs));
      }
      pending = [];
    }
  }
  if (open) tests.push(finish(open, 'crash', undefined));
  return { format: 'gtest-console', tests };
}
