import { InputError } from '../model/errors.js';
import { cleanLines } from './text.js';

export interface ListedTest {
  readonly name: string;
  /** ctest: the command that runs the test, and its SKIP_REGULAR_EXPRESSION / SKIP_RETURN_CODE. */
  readonly command?: readonly string[];
  readonly skipRegex?: readonly string[];
  readonly skipReturnCode?: number;
  readonly disabled?: boolean;
}

export interface TestList {
  readonly format: string;
  readonly tests: readonly ListedTest[];
}

/**
 * `--gtest_list_tests`: "Suite." lines, then indented test names; "  # …" after either is a
 * type or value parameter. A name is everything up to that comment, spaces included: a name
 * gtest would never make must still not drop the tests after it.
 */
export function parseGtestList(text: string): TestList {
  const tests: ListedTest[] = [];
  let suite: string | undefined;
  for (const line of cleanLines(text)) {
    const indented = /^\s+(\S.*?)(?:\s+#.*)?\s*$/.exec(line);
    if (indented && suite) {
      const name = `${suite}${indented[1]!}`;
      tests.push({ name, ...(/(^|\.)DISABLED_/.test(name) ? { disabled: true } : {}) });
      continue;
    }
    const suiteMatch = /^(\S.*?\.)(?:\s+#.*)?\s*$/.exec(line);
    if (suiteMatch) suite = suiteMatch[1]!;
    else if (line.trim() !== '') suite = undefined;
  }
  return { format: 'gtest-list', tests };
}

export function parseGtestListJson(data: unknown): TestList {
  const suites = typeof data === 'object' && data !== null ? (data as { testsuites?: unknown }).testsuites : undefined;
  if (!Array.isArray(suites)) throw new InputError('testsuites: expected an array (gtest list JSON)');
  const tests: ListedTest[] = [];
  for (const suite of suites as Array<{ name?: unknown; testsuite?: Array<{ name?: unknown }> }>) {
    for (const test of suite.testsuite ?? []) {
      const name = `${String(suite.name)}.${String(test.name)}`;
      tests.push({ name, ...(/(^|\.)DISABLED_/.test(name) ? { disabled: true } : {}) });
    }
  }
  return { format: 'gtest-list-json', tests };
}

/** `ctest -N`: "  Test #3: name". */
export function parseCtestList(text: string): TestList {
  const tests: ListedTest[] = [];
  for (const line of cleanLines(text)) {
    const m = /^\s*Test\s+#\d+: (.+?)\s*$/.exec(line);
    if (m) tests.push({ name: m[1]! });
  }
  return { format: 'ctest-list', tests };
}

interface CtestJsonTest {
  name?: unknown;
  command?: unknown;
  properties?: Array<{ name?: unknown; value?: unknown }>;
}

/** `ctest --show-only=json-v1`: names, commands and the skip properties hip-tests relies on. */
export function parseCtestShowOnly(data: unknown): TestList {
  const list = typeof data === 'object' && data !== null ? (data as { tests?: unknown }).tests : undefined;
  if (!Array.isArray(list)) throw new InputError('tests: expected an array (ctest --show-only=json-v1)');
  const tests = (list as CtestJsonTest[]).map((test, i): ListedTest => {
    if (typeof test.name !== 'string') throw new InputError(`tests[${i}].name: expected a string (ctest --show-only=json-v1)`);
    const prop = (name: string) => test.properties?.find((p) => p.name === name)?.value;
    const skipRegex = prop('SKIP_REGULAR_EXPRESSION');
    const skipCode = prop('SKIP_RETURN_CODE');
    const disabled = prop('DISABLED');
    return {
      name: test.name,
      ...(Array.isArray(test.command) ? { command: test.command.map(String) } : {}),
      ...(Array.isArray(skipRegex) ? { skipRegex: skipRegex.map(String) } : {}),
      ...(skipCode !== undefined ? { skipReturnCode: Number(skipCode) } : {}),
      ...(disabled === true || disabled === 'ON' ? { disabled: true } : {}),
    };
  });
  return { format: 'ctest-show-only', tests };
}

/** Catch2 `--list-test-names-only` (v2) / `--list-tests --verbosity quiet` (v3): one name a line. */
export function parseNameList(text: string): TestList {
  const tests = cleanLines(text)
    .filter((line) => line.trim() !== '' && !/^(All available|Matching) test cases|^\d+ (test cases|matching)/.test(line.trim()))
    .map((line) => ({ name: line.trim() }));
  return { format: 'name-list', tests };
}
