import { durationMs } from './duration.js';
import { InputError } from '../model/errors.js';
import type { Status } from '../model/status.js';
import { trimText } from './text.js';
import type { ParsedReport, ParsedTest } from './types.js';

interface GtestJsonCase {
  name?: unknown;
  classname?: unknown;
  status?: unknown;
  result?: unknown;
  time?: unknown;
  failures?: Array<{ failure?: unknown }>;
  skipped?: Array<{ message?: unknown }>;
}

function parseTime(value: unknown, where: string): number | undefined {
  return typeof value === 'string' ? durationMs(value, 's', where) : undefined;
}

function statusOf(test: GtestJsonCase): Status {
  const status = String(test.status ?? '').toUpperCase();
  const result = String(test.result ?? '').toUpperCase();
  if (status === 'NOTRUN' || result === 'SUPPRESSED') return 'notrun';
  // A failed test is still "COMPLETED": the failures array decides.
  if (Array.isArray(test.failures) && test.failures.length > 0) return 'fail';
  if (result === 'SKIPPED') return 'skip';
  return 'pass';
}

/** gtest `--gtest_output=json` (gtest 1.8.1+; kfdtest's bundled gtest has none). */
export function parseGtestJson(data: unknown): ParsedReport {
  const suites = typeof data === 'object' && data !== null ? (data as { testsuites?: unknown }).testsuites : undefined;
  if (!Array.isArray(suites)) throw new InputError('testsuites: expected an array (gtest JSON)');
  const tests: ParsedTest[] = [];
  suites.forEach((suite: { name?: unknown; testsuite?: unknown }, i) => {
    if (!Array.isArray(suite?.testsuite)) throw new InputError(`testsuites[${i}].testsuite: expected an array (gtest JSON)`);
    for (const test of suite.testsuite as GtestJsonCase[]) {
      const classname = typeof test.classname === 'string' ? test.classname : String(suite.name ?? '');
      const status = statusOf(test);
      const failure = test.failures?.[0]?.failure;
      const message =
        status === 'fail' && typeof failure === 'string'
          ? trimText(failure)
          : status === 'skip' && typeof test.skipped?.[0]?.message === 'string'
            ? trimText(test.skipped[0].message)
            : status === 'notrun'
              ? 'disabled'
              : undefined;
      const durationMs = parseTime(test.time, `test ${String(test.classname ?? '')}.${String(test.name ?? '')}`);
      tests.push({
        name: `${classname}.${String(test.name)}`,
        status,
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(message !== undefined ? { message } : {}),
      });
    }
  });
  const startedAt = (data as { timestamp?: unknown }).timestamp;
  return { format: 'gtest-json', tests, ...(typeof startedAt === 'string' && startedAt !== '' ? { startedAt } : {}) };
}
