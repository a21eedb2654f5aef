import type { Status } from '../model/status.js';
import { durationMs as toMs } from './duration.js';
import { trimText } from './text.js';
import type { ParsedReport, ParsedTest } from './types.js';
import { attr, children, parseXml, text, type XmlNode } from './xml.js';

function failureText(node: XmlNode): string {
  return text(node).trim() !== '' ? text(node) : (attr(node, 'message') ?? '');
}

function gtestStatus(testcase: XmlNode): Status {
  const status = attr(testcase, 'status')?.toLowerCase();
  const result = attr(testcase, 'result')?.toLowerCase();
  if (status === 'notrun' || result === 'suppressed') return 'notrun';
  if (children(testcase, 'failure').length > 0 || children(testcase, 'error').length > 0) return 'fail';
  if (result === 'skipped' || children(testcase, 'skipped').length > 0) return 'skip';
  return 'pass';
}

/** gtest `--gtest_output=xml`: `classname.name` is the test's full name (`Gen/HugeTest.Case/13`). */
export function parseGtestXml(content: string): ParsedReport {
  const tests: ParsedTest[] = [];
  const root = parseXml(content, 'gtest XML (<testsuites>)', {
    onClose(testcase, suite) {
      if (testcase.name !== 'testcase') return false;
      const name = attr(testcase, 'name') ?? '';
      const classname = attr(testcase, 'classname') ?? attr(suite, 'name') ?? '';
      const status = gtestStatus(testcase);
      const failures = [...children(testcase, 'failure'), ...children(testcase, 'error')];
      const skipped = children(testcase, 'skipped')[0];
      const message =
        status === 'fail'
          ? trimText(failureText(failures[0]!))
          : status === 'skip' && skipped
            ? trimText(failureText(skipped))
            : status === 'notrun'
              ? 'disabled'
              : undefined;
      const fullName = classname ? `${classname}.${name}` : name;
      const durationMs = toMs(attr(testcase, 'time'), 's', `test ${fullName}`);
      tests.push({
        name: fullName,
        status,
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(message !== undefined ? { message } : {}),
      });
      return true;
    },
  });
  const startedAt = attr(root, 'timestamp');
  return { format: 'gtest-xml', tests, ...(startedAt ? { startedAt } : {}) };
}
