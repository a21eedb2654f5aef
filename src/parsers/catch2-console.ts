import { cleanLines, trimMessage } from './text.js';
import type { ParsedReport, ParsedTest } from './types.js';

const RULE = /^-{79}$/;
const DOTS = /^\.{79}$/;
const END = /^={79}$/;

/**
 * Catch2's default console reporter prints only the test cases that failed (all of them with -s):
 * a block "----\nName\n----\nfile:line\n....". Passing tests are not named, so this reports failures only.
 */
export function parseCatch2Console(text: string): ParsedReport {
  const lines = cleanLines(text);
  const tests: ParsedTest[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!RULE.test(lines[i]!) || !lines[i + 1] || RULE.test(lines[i + 1]!)) continue;
    const name = lines[i + 1]!;
    let j = i + 2;
    while (j < lines.length && !RULE.test(lines[j]!)) j++; // section names follow the test name
    if (j >= lines.length) break;
    const body: string[] = [];
    let k = j + 1;
    while (k < lines.length && !DOTS.test(lines[k]!)) k++;
    for (k = k + 1; k < lines.length && !RULE.test(lines[k]!) && !END.test(lines[k]!); k++) body.push(lines[k]!);
    const failed = body.some((l) => /: FAILED:$/.test(l));
    const message = trimMessage(body.slice(body.findIndex((l) => /: FAILED:$/.test(l))));
    tests.push({ name, status: failed ? 'fail' : 'pass', ...(failed && message ? { message } : {}) });
    i = k - 1;
  }
  return { format: 'catch2-console', tests };
}
