import type { Status } from '../model/status.js';
import { durationMs as toMs } from './duration.js';
import { detached, trimText } from './text.js';
import type { ParsedReport, ParsedTest } from './types.js';
import { attr, parseXml, text, type XmlNode } from './xml.js';

function failureText(node: XmlNode): string {
  return text(node).trim() !== '' ? text(node) : (attr(node, 'message') ?? '');
}

/** What a test case holds that decides its status: its first <failure> (else <error>), its first <skipped>. One pass. */
function outcomeChildren(testcase: XmlNode): { failure: XmlNode | undefined; skipped: XmlNode | undefined } {
  let failure: XmlNode | undefined;
  let error: XmlNode | undefined;
  let skipped: XmlNode | undefined;
  for (const node of testcase.children) {
    if (node.name === 'failure') failure ??= node;
    else if (node.name === 'error') error ??= node;
    else if (node.name === 'skipped') skipped ??= node;
  }
  return { failure: failure ?? error, skipped };
}

function gtestStatus(testcase: XmlNode, failure: XmlNode | undefined, skipped: XmlNode | undefined): Status {
  const status = attr(testcase, 'status')?.toLowerCase();
  const result = attr(testcase, 'result')?.toLowerCase();
  if (status === 'notrun' || result === 'suppressed') return 'notrun';
  if (failure) return 'fail';
  if (result === 'skipped' || skipped) return 'skip';
  return 'pass';
}

/** gtest `--gtest_output=xml`: `classname.name` is the test's full name (`Gen/HugeTest.Case/13`). */
export function parseGtestXml(content: string | Iterable<string>): ParsedReport {
  const tests: ParsedTest[] = [];
  const root = parseXml(content, 'gtest XML (<testsuites>)', {
    onClose(testcase, suite) {
      // A suite's name is read while it is open (by its test cases): once closed, it is done with.
      if (testcase.name === 'testsuite') return true;
      if (testcase.name !== 'testcase') return false;
      const name = attr(testcase, 'name') ?? '';
      const classname = attr(testcase, 'classname') ?? attr(suite, 'name') ?? '';
      const { failure, skipped } = outcomeChildren(testcase);
      const status = gtestStatus(testcase, failure, skipped);
      const message =
        status === 'fail' && failure
          ? trimText(failureText(failure))
          : status === 'skip' && skipped
            ? trimText(failureText(skipped))
            : status === 'notrun'
              ? 'disabled'
              : undefined;
      const fullName = detached(classname ? `${classname}.${name}` : name);
      const time = attr(testcase, 'time');
      const durationMs = time === undefined ? undefined : toMs(time, 's', `test ${fullName}`);
      // Built field by field, not spread: this runs once per test of reports of 100,000.
      const test: { -readonly [K in keyof ParsedTest]: ParsedTest[K] } = { name: fullName, status };
      if (durationMs !== undefined) test.durationMs = durationMs;
      if (message !== undefined) test.message = detached(message);
      tests.push(test);
      return true;
    },
  });
  const startedAt = attr(root, 'timestamp');
  return { format: 'gtest-xml', tests, ...(startedAt ? { startedAt } : {}) };
}
