import { durationMs } from './duration.js';
import type { Status } from '../model/status.js';
import { detached, firstFailureBlock, splitLines, trimText } from './text.js';
import type { ParseOptions, ParsedReport, ParsedTest } from './types.js';
import { attr, child, children, parseXml, text, type XmlNode } from './xml.js';

export type JunitFlavour = 'ctest-junit' | 'catch2-junit' | 'junit';

function collectCases(node: XmlNode, out: Array<{ suite: XmlNode; testcase: XmlNode }>): void {
  for (const suite of children(node, 'testsuite')) {
    for (const testcase of children(suite, 'testcase')) out.push({ suite, testcase });
    collectCases(suite, out); // JUnit allows nested suites
  }
}

function bodyOf(node: XmlNode): string {
  const body = text(node).trim();
  return body !== '' ? text(node) : (attr(node, 'message') ?? '');
}

function statusOf(testcase: XmlNode, output: string, options: ParseOptions): { status: Status; message?: string } {
  const failure = child(testcase, 'failure') ?? child(testcase, 'error');
  const skipped = child(testcase, 'skipped');
  const ctestStatus = attr(testcase, 'status');
  if (skipped) return { status: 'skip', message: trimText(bodyOf(skipped)) ?? 'skipped' };
  if (failure && bodyOf(failure).trim() !== '') return { status: 'fail', message: trimText(bodyOf(failure))! };
  if (failure || ctestStatus === 'fail') return { status: 'fail', message: firstFailureBlock(splitLines(output)) ?? 'failed' };
  if (ctestStatus === 'notrun' || ctestStatus === 'disabled') return { status: 'notrun', message: 'not run' };
  if (options.skipPattern?.test(output)) {
    const line = output.split('\n').find((l) => options.skipPattern!.test(l));
    return { status: 'skip', message: line?.trim() ?? 'skipped' };
  }
  return { status: 'pass' };
}

function nameOf(testcase: XmlNode, flavour: JunitFlavour): string {
  const name = attr(testcase, 'name') ?? '';
  const classname = attr(testcase, 'classname') ?? '';
  // ctest repeats the name as classname; Catch2 puts `<binary>.global` there: the name alone is the test.
  if (flavour !== 'junit' || !classname || classname === name) return name;
  return `${classname}.${name}`;
}

/** JUnit XML: ctest `--output-junit`, Catch2 `-r junit`, and generic JUnit from other tools. */
export function parseJunit(content: string | Iterable<string>, flavour: JunitFlavour, options: ParseOptions = {}): ParsedReport {
  const doc = parseXml(content, 'JUnit XML (<testsuites> or <testsuite>)');
  const cases: Array<{ suite: XmlNode; testcase: XmlNode }> = [];
  collectCases(doc.name === 'testsuite' ? { name: '', attributes: {}, children: [doc], text: '' } : doc, cases);
  const tests: ParsedTest[] = cases.map(({ testcase }) => {
    const output = text(child(testcase, 'system-out'));
    const { status, message } = statusOf(testcase, output, options);
    const name = nameOf(testcase, flavour);
    const ms = durationMs(attr(testcase, 'time'), 's', `test ${name}`);
    // Copies, not views into the file's text: the tree is gone once the tests are made.
    return {
      name: detached(name),
      status,
      ...(ms !== undefined ? { durationMs: ms } : {}),
      ...(message !== undefined ? { message: detached(message) } : {}),
      ...(output.trim() !== '' ? { output: detached(output) } : {}),
    };
  });
  // <testsuites timestamp> or the first <testsuite timestamp> (ctest and Catch2 put it there).
  const first = doc.name === 'testsuite' ? doc : doc.children.find((c) => c.name === 'testsuite');
  const startedAt = attr(doc, 'timestamp') ?? (first ? attr(first, 'timestamp') : undefined);
  return { format: flavour, tests, ...(startedAt ? { startedAt } : {}) };
}
