import { durationMs } from './duration.js';
import type { Status } from '../model/status.js';
import { detached, trimMessage } from './text.js';
import type { ParseOptions, ParsedReport, ParsedTest } from './types.js';
import { attr, child, children, parseXml, text, type XmlNode } from './xml.js';

function describeExpression(expr: XmlNode): string {
  const where = `${attr(expr, 'filename') ?? '?'}:${attr(expr, 'line') ?? '?'}`;
  const original = text(child(expr, 'Original')).trim();
  const expanded = text(child(expr, 'Expanded')).trim();
  const lines = [`${where}: FAILED:`, `  ${attr(expr, 'type') ?? 'CHECK'}( ${original} )`];
  if (expanded && expanded !== original) lines.push('with expansion:', `  ${expanded}`);
  return lines.join('\n');
}

function failuresIn(node: XmlNode): string[] {
  const out: string[] = [];
  for (const expr of children(node, 'Expression')) if (attr(expr, 'success') === 'false') out.push(describeExpression(expr));
  for (const tag of ['Exception', 'FatalErrorCondition', 'Failure']) {
    for (const item of children(node, tag)) out.push(`${attr(item, 'filename') ?? '?'}:${attr(item, 'line') ?? '?'}: ${tag}: ${text(item).trim()}`);
  }
  for (const section of children(node, 'Section')) out.push(...failuresIn(section));
  return out;
}

/** Catch2 `-r xml` (v2 `<Catch>` and v3 `<Catch2TestRun>`). */
const EMPTY: XmlNode = { name: '', attributes: {}, children: [], text: '' };

export function parseCatch2Xml(content: string | Iterable<string>, options: ParseOptions = {}): ParsedReport {
  const doc = parseXml(content, 'Catch2 XML (<Catch> or <Catch2TestRun>)');
  const root = doc;
  const testCases = [...children(root, 'TestCase'), ...children(root, 'Group').flatMap((g) => children(g, 'TestCase'))];
  const tests: ParsedTest[] = testCases.map((testCase) => {
    const overall = child(testCase, 'OverallResult') ?? EMPTY;
    const output = text(child(overall, 'StdOut'));
    const failures = failuresIn(testCase);
    const skips = Number(attr(overall, 'skips') ?? '0');
    let status: Status = attr(overall, 'success') === 'false' || failures.length > 0 ? 'fail' : 'pass';
    let message = failures.length > 0 ? trimMessage(failures[0]!.split('\n')) : undefined;
    if (status === 'pass' && (skips > 0 || options.skipPattern?.test(output))) {
      status = 'skip';
      message =
        output
          .split('\n')
          .find((l) => options.skipPattern?.test(l))
          ?.trim() ?? 'skipped';
    }
    const ms = durationMs(attr(overall, 'durationInSeconds'), 's', `test case ${attr(testCase, 'name') ?? ''}`);
    // Copies, not views into the file's text: the tree is gone once the tests are made.
    return {
      name: detached(attr(testCase, 'name') ?? ''),
      status,
      ...(ms !== undefined ? { durationMs: ms } : {}),
      ...(message !== undefined ? { message: detached(message) } : {}),
      ...(output.trim() !== '' ? { output: detached(output) } : {}),
    };
  });
  return { format: 'catch2-xml', tests };
}
