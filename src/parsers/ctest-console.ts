import { durationMsOrNone } from './duration.js';
import type { Status } from '../model/status.js';
import { cleanLines, firstFailureBlock } from './text.js';
import type { ParsedReport, ParsedTest } from './types.js';

// "2/5 Test #2: Unit_hipMemcpy_Negative ..........***Failed    0.00 sec"
const RESULT_LINE = /^\s*\d+\/\d+\s+Test\s+#(\d+): (.+?) \.*\s*(\*\*\*.+?|Passed|Not Run.*?)\s+([\d.]+) sec\s*$/;
// "\t  2 - Unit_hipMemcpy_Negative (Failed)" in the lists at the end
const LIST_ENTRY = /^\s+(\d+) - (.+?) \(([^()]+)\)\s*$/;
const LIST_HEADER = /^The following tests (FAILED|did not run):/;
const START_LINE = /^\s*Start\s+\d+: /;

function statusFromResult(result: string): Status {
  const r = result
    .replace(/^\*\*\*/, '')
    .trim()
    .toLowerCase();
  if (r === 'passed') return 'pass';
  if (r.startsWith('timeout')) return 'timeout';
  if (r.startsWith('skipped')) return 'skip';
  if (r.startsWith('not run') || r.includes('disabled')) return 'notrun';
  if (r.startsWith('exception') || r.includes('segfault') || r.includes('aborted')) return 'crash';
  return 'fail';
}

function statusFromListReason(reason: string): Status {
  const r = reason.trim().toLowerCase();
  if (r === 'failed') return 'fail';
  if (r === 'timeout') return 'timeout';
  if (r === 'skipped') return 'skip';
  if (r === 'not run' || r === 'disabled') return 'notrun';
  // SEGFAULT, ILLEGAL, BUS_ERROR, INTERRUPT, NUMERICAL, Subprocess aborted, Child aborted, OTHER_FAULT, Exception…
  return 'crash';
}

interface Entry {
  name: string;
  status: Status;
  durationMs?: number;
  result?: string;
  output: string[];
}

/** ctest's console: per-test result lines, `--output-on-failure` text, and the FAILED / did-not-run lists. */
export function parseCtestConsole(text: string): ParsedReport {
  const byNumber = new Map<string, Entry>();
  const order: Entry[] = [];
  let current: Entry | undefined;
  let inList = false;
  let sawResults = false;

  for (const line of cleanLines(text)) {
    const result = RESULT_LINE.exec(line);
    if (result) {
      const [, number, name, outcome, seconds] = result;
      current = {
        name: name!.trim(),
        status: statusFromResult(outcome!),
        durationMs: durationMsOrNone(seconds, 's') ?? 0,
        result: outcome!.replace(/^\*\*\*/, '').trim(),
        output: [],
      };
      if (!byNumber.has(number!)) order.push(current);
      byNumber.set(number!, current);
      sawResults = true;
      inList = false;
      continue;
    }
    if (LIST_HEADER.test(line)) {
      inList = true;
      current = undefined;
      continue;
    }
    const entry = LIST_ENTRY.exec(line);
    if (entry && (inList || !sawResults)) {
      const [, number, name, reason] = entry;
      const known = byNumber.get(number!);
      const status = statusFromListReason(reason!);
      if (known) {
        // The list names the signal ("SEGFAULT") where the result line may only say "Exception".
        if (known.status === 'fail' || known.status === 'crash') known.status = status;
        if (!known.result || known.result.startsWith('Exception')) known.result = reason!;
      } else {
        const created: Entry = { name: name!.trim(), status, result: reason!, output: [] };
        byNumber.set(number!, created);
        order.push(created);
      }
      continue;
    }
    if (inList && line.trim() !== '') inList = false;
    if (START_LINE.test(line) || /^\d+% tests passed/.test(line) || /^Total Test time/.test(line)) {
      current = undefined;
      continue;
    }
    if (current) current.output.push(line);
  }

  const tests: ParsedTest[] = order.map((e) => {
    const output = firstFailureBlock(e.output);
    const message =
      e.status === 'pass' ? undefined : e.status === 'fail' ? (output ?? e.result) : e.result && output ? `${e.result}\n${output}` : (e.result ?? output);
    return {
      name: e.name,
      status: e.status,
      ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(e.output.length > 0 ? { output: e.output.join('\n') } : {}),
    };
  });
  return { format: 'ctest-console', tests };
}
