import { InputError } from '../model/errors.js';
import { splitTestId, testId } from '../model/run.js';
import { globMatch } from '../model/selection.js';
import { FAILING_STATUSES, type Status } from '../model/status.js';

/** A feature the series says it does not have yet: tests (a glob) that fail that way until it lands. */
export interface KnownGap {
  readonly glob: string;
  readonly status: Status;
  readonly source: string;
  /** The comment lines above the entry: where the series says so (a cover letter's sentence). */
  readonly why: string;
}

/**
 * drm/ci-style expectations: which tests are known to fail (and how), which are flaky, which to
 * skip — and, in `-gaps.txt` (same lines as `-fails.txt`, globs allowed), the series' declared gaps.
 */
export interface Expectations {
  readonly fails: ReadonlyMap<string, { status: Status; source: string }>;
  readonly flakes: readonly { pattern: RegExp; source: string }[];
  readonly skips: readonly { pattern: RegExp; source: string }[];
  readonly gaps: readonly KnownGap[];
  readonly files: readonly string[];
}

export const NO_EXPECTATIONS: Expectations = { fails: new Map(), flakes: [], skips: [], gaps: [], files: [] };

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

/** One `suite/test,Status` line (a test pattern in -gaps.txt), checked, naming `where` when it is wrong. */
function parseFailLine(line: string, where: string, what: 'id' | 'pattern'): { id: string; status: Status } {
  const comma = line.lastIndexOf(',');
  if (comma < 0) throw new InputError(`${where}: expected "suite/test,Status" (e.g. kfdtest/KFDSVMRangeTest.MigrateTest/1,Fail), got "${line}"`);
  const id = line.slice(0, comma).trim();
  const status =
    FAIL_STATUSES[
      line
        .slice(comma + 1)
        .trim()
        .toLowerCase()
    ];
  if (!splitTestId(id)) throw new InputError(`${where}: "${id}" is not a test ${what}; expected suite/test`);
  if (!status || !FAILING_STATUSES.has(status)) {
    throw new InputError(`${where}: unknown status "${line.slice(comma + 1).trim()}"; expected Fail, Crash or Timeout`);
  }
  return { id, status };
}

function parseFails(file: ExpectationText, into: Map<string, { status: Status; source: string }>): void {
  for (const { line, number } of contentLines(file.text)) {
    const where = `${file.name}:${number}`;
    const { id, status } = parseFailLine(line, where, 'id');
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

/** `suite/test-glob,Status` lines, each with the comment block above it (why it is a gap). */
function parseGaps(file: ExpectationText): KnownGap[] {
  const gaps: KnownGap[] = [];
  let comment: string[] = [];
  for (const [i, raw] of file.text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') comment = [];
    else if (line.startsWith('#')) comment.push(line.replace(/^#\s?/, ''));
    else {
      const source = `${file.name}:${i + 1}`;
      const { id, status } = parseFailLine(line, source, 'pattern');
      gaps.push({ glob: id, status, source, why: comment.join(' ') });
    }
  }
  return gaps;
}

/** Parses the files that apply (see `expectationFileNames`) into one set of expectations. */
export function parseExpectations(files: readonly ExpectationText[]): Expectations {
  const fails = new Map<string, { status: Status; source: string }>();
  const flakes: Array<{ pattern: RegExp; source: string }> = [];
  const skips: Array<{ pattern: RegExp; source: string }> = [];
  const gaps: KnownGap[] = [];
  for (const file of files) {
    if (file.name.endsWith('-fails.txt')) parseFails(file, fails);
    else if (file.name.endsWith('-flakes.txt')) flakes.push(...parsePatterns(file));
    else if (file.name.endsWith('-skips.txt')) skips.push(...parsePatterns(file));
    else if (file.name.endsWith('-gaps.txt')) gaps.push(...parseGaps(file));
    else throw new InputError(`${file.name}: expected a name ending in -fails.txt, -flakes.txt, -skips.txt or -gaps.txt`);
  }
  return { fails, flakes, skips, gaps, files: files.map((f) => f.name) };
}

/**
 * Which expectation files apply to a variant on given GPU families, most general first:
 * `<variant>-fails.txt`, then `<variant>-<gfx>-fails.txt` for each GPU family (and the same for flakes and skips).
 */
export function expectationFileNames(variant: string, gfx: readonly string[]): string[] {
  const prefixes = [variant, ...[...new Set(gfx)].sort().map((g) => `${variant}-${g}`)];
  return prefixes.flatMap((p) => [`${p}-fails.txt`, `${p}-flakes.txt`, `${p}-skips.txt`, `${p}-gaps.txt`]);
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

export function matchGap(expectations: Expectations, test: { suite: string; name: string }): KnownGap | undefined {
  const id = testId(test);
  return expectations.gaps.find((g) => globMatch(g.glob, id));
}
