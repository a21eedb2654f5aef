import { describe, expect, it } from 'vitest';
import { mergeReports } from '../../src/results/import-results.js';

const report = (format: string, tests: Array<{ name: string; status: 'pass' | 'fail' | 'timeout' | 'crash' | 'skip' }>) => ({ format, tests });

describe('mergeReports', () => {
  it('a second report after a failure is a retry with both attempts', () => {
    const tests = mergeReports([
      { source: 'a.xml', suite: 'kfdtest', report: report('gtest-xml', [{ name: 'A.B', status: 'fail' }]) },
      { source: 'b.xml', suite: 'kfdtest', report: report('gtest-xml', [{ name: 'A.B', status: 'pass' }]) },
    ]);
    expect(tests).toHaveLength(1);
    expect(tests[0]!.status).toBe('pass');
    expect(tests[0]!.attempts.map((a) => a.status)).toEqual(['fail', 'pass']);
  });

  it('the same test reported twice without a failure is an error naming both files', () => {
    expect(() =>
      mergeReports([
        { source: 'a.xml', suite: 'kfdtest', report: report('gtest-xml', [{ name: 'A.B', status: 'pass' }]) },
        { source: 'b.xml', suite: 'kfdtest', report: report('gtest-xml', [{ name: 'A.B', status: 'pass' }]) },
      ]),
    ).toThrow(/b.xml: test kfdtest\/A.B is reported twice \(first in a.xml as pass\)/);
  });

  it('ctest JUnit and console of one run refine each other: the console knows the timeout', () => {
    const tests = mergeReports([
      { source: 'junit.xml', suite: 'hip-tests', report: report('ctest-junit', [{ name: 'T', status: 'fail' }]) },
      { source: 'console.txt', suite: 'hip-tests', report: report('ctest-console', [{ name: 'T', status: 'timeout' }]) },
    ]);
    expect(tests.map((t) => [t.status, t.attempts.length])).toEqual([['timeout', 1]]);
  });

  it('the same name in two suites is two tests', () => {
    const tests = mergeReports([
      { source: 'a', suite: 's1', report: report('gtest-xml', [{ name: 'A.B', status: 'pass' }]) },
      { source: 'b', suite: 's2', report: report('gtest-xml', [{ name: 'A.B', status: 'pass' }]) },
    ]);
    expect(tests).toHaveLength(2);
  });
});
