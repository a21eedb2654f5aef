import { InputError } from '../model/errors.js';
import { splitTestId, testId } from '../model/run.js';
import { FAILING_STATUSES, type Status } from '../model/status.js';

/** drm/ci-style expectations: which tests are known to fail (and how), which are flaky, which to skip. */
export interface Expectations {
  readonly fails: ReadonlyMap<string, { status: Status; source: string }>;
  readonly flakes: readonly { pattern: RegExp; source: string }[];
  readonly skips: readonly { pattern: RegExp; source: string }[];
  readonly files: readonly string[];
}

export const NO_EXPECTATIONS: Expectations = { fails: new Map(), flakes: [], skips: [], files: [] };

export interface ExpectationText {
  /** File name, e.g. `gpusvm-gfx942-fails.txt`; the suffix says which list it is. */
  readonly name: string;
  readonly text: string;
}

function contentLines(text: string): Array<{ line: string; number: number }> {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.replace(/\r$/, '').trim(), number: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
}

const FAIL_STATUSES: Record<string, Status> = { fail: 'fail', crash: 'crash', timeout: 'timeout' };

function parseFails(file: ExpectationText, into: Map<string, { status: Status; source: string }>): void {
  for (const { line, number } of contentLines(file.text)) {
    const comma = line.lastIndexOf(',');
    const where = `${file.name}:${number}`;
    if (comma < 0) throw new InputError(`${where}: expected "suite/test,Status" (e.g. kfdtest/KFDSVMRangeTest.MigrateTest/1,Fail), got "${line}"`);
    const id = line.slice(0, comma).trim();
    const statusText = line
      .slice(comma + 1)
      .trim()
      .toLowerCase();
    const status = FAIL_STATUSES[statusText];
    if (!splitTestId(id)) throw new InputError(`${where}: "${id}" is not a test id; expected suite/test`);
    if (!status || !FAILING_STATUSES.has(status)) {
      throw new InputError(`${where}: unknown status "${line.slice(comma + 1).trim()}"; expected Fail, Crash or Timeout`);
    }
    into.set(id, { status, source: where });
  }
}

function parsePatterns(file: ExpectationText): Array<{ pattern: RegExp; source: string }> {
  return contentLines(file.text).map(({ line, number }) => {
    try {
      return { pattern: new RegExp(line), source: `${file.name}:${number}` };
    } catch (error) {
      throw new InputError(`${file.name}:${number}: not a valid regular expression (${(error as Error).message})`);
    }
  });
}

/** Parses the files that apply (see `expectationFileNames`) into one set of expectations. */
export function parseExpectations(files: readonly ExpectationText[]): Expectations {
  const fails = new Map<string, { status: Status; source: string }>();
  const flakes: Array<{ pattern: RegExp; source: string }> = [];
  const skips: Array<{ pattern: RegExp; source: string }> = [];
  for (const file of files) {
    if (file.name.endsWith('-fails.txt')) parseFails(file, fails);
    else if (file.name.endsWith('-flakes.txt')) flakes.push(...parsePatterns(file));
    else if (file.name.endsWith('-skips.txt')) skips.push(...parsePatterns(file));
    else throw new InputError(`${file.name}: expected a name ending in -fails.txt, -flakes.txt or -skips.txt`);
  }
  return { fails, flakes, skips, files: files.map((f) => f.name) };
}

/**
 * Which expectation files apply to a variant on given GPU families, most general first:
 * `<variant>-fails.txt`, then `<variant>-<gfx>-fails.txt` for each GPU family (and the same for flakes and skips).
 */
export function expectationFileNames(variant: string, gfx: readonly string[]): string[] {
  const prefixes = [variant, ...[...new Set(gfx)].sort().map((g) => `${variant}-${g}`)];
  return prefixes.flatMap((p) => [`${p}-fails.txt`, `${p}-flakes.txt`, `${p}-skips.txt`]);
}

export function expectedFailure(expectations: Expectations, test: { suite: string; name: string }) {
  return expectations.fails.get(testId(test));
}

export function matchFlake(expectations: Expectations, test: { suite: string; name: string }) {
  const id = testId(test);
  return expectations.flakes.find((f) => f.pattern.test(id));
}

export function matchSkip(expectations: Expectations, test: { suite: string; name: string }) {
  const id = testId(test);
  return expectations.skips.find((f) => f.pattern.test(id));
}
