import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { NO_EXPECTATIONS, parseExpectations, expectationFileNames } from '../../src/compare/expectations.js';
import { decideVerdict } from '../../src/compare/verdict.js';
import { comparisonExitCode } from '../../src/compare/exit-policy.js';
import { EXIT } from '../../src/model/exit-codes.js';
import { junitReporter } from '../../src/reporters/junit.js';
import { terminalReporter } from '../../src/reporters/terminal.js';
import { captureScreen } from '../helpers/hostile.js';
import { flakeScore } from '../../src/history/flake-score.js';
import { makeRun, result } from '../helpers/runs.js';

const k = (status: Parameters<typeof result>[2], extra = {}) => result('kfdtest', 'KFDSVMRangeTest.MigrateTest/1', status, extra);
const verdict = (b: ReturnType<typeof k> | undefined, c: ReturnType<typeof k> | undefined, e = NO_EXPECTATIONS) => decideVerdict(b, c, e).verdict;

describe('decideVerdict (the verdict table)', () => {
  it.each([
    ['pass', 'fail', 'regression'],
    ['pass', 'crash', 'regression'],
    ['pass', 'timeout', 'regression'],
    ['fail', 'pass', 'fixed'],
    ['crash', 'pass', 'fixed'],
    ['fail', 'crash', 'worse'],
    ['fail', 'timeout', 'worse'],
    ['crash', 'fail', 'still-failing'],
    ['timeout', 'crash', 'still-failing'],
    ['fail', 'fail', 'still-failing'],
    ['pass', 'pass', 'pass'],
    ['pass', 'skip', 'skip'],
    ['skip', 'fail', 'new-fail'],
    ['skip', 'pass', 'new-pass'],
  ] as const)('%s → %s is %s', (b, c, v) => expect(verdict(k(b), k(c))).toBe(v));

  it('absent baseline gives new-pass / new-fail; absent candidate gives missing', () => {
    expect(verdict(undefined, k('pass'))).toBe('new-pass');
    expect(verdict(undefined, k('crash'))).toBe('new-fail');
    expect(verdict(k('pass'), undefined)).toBe('missing');
  });

  it('a pass after a failing attempt is flaky', () => {
    const retried = k('pass', {
      attempts: [
        { status: 'fail', durationMs: 1 },
        { status: 'pass', durationMs: 1 },
      ],
    });
    expect(verdict(k('pass'), retried)).toBe('flaky');
  });

  it('uses fails (status must match), flakes and skips expectations', () => {
    const e = parseExpectations([
      { name: 'gpusvm-fails.txt', text: '# comment\nkfdtest/KFDSVMRangeTest.MigrateTest/1,Fail\n' },
      { name: 'gpusvm-flakes.txt', text: 'EvictTest' },
      { name: 'gpusvm-skips.txt', text: '^hip-tests/' },
    ]);
    expect(verdict(k('pass'), k('fail'), e)).toBe('expected-fail');
    expect(verdict(k('pass'), k('crash'), e)).toBe('regression');
    expect(verdict(k('fail'), k('pass'), e)).toBe('unexpected-pass');
    expect(verdict(k('pass'), result('kfdtest', 'KFDSVMEvictTest.QueueTest', 'fail'), e)).toBe('flaky');
    expect(verdict(undefined, result('hip-tests', 'Unit_x', 'skip'), e)).toBe('skip');
  });

  it('a declared gap (glob, status) is known-gap, never a regression; the same test passing is gap-closed, with why', () => {
    const e = parseExpectations([
      {
        name: 'gpusvm-gaps.txt',
        text: '# Phase 1 is XNACK-on only (v8 cover letter).\nkfdtest/KFDSVMRangeTest.*/0,Fail\n\n# Multi-GPU is not there yet.\nkfdtest/KFDSVMRangeTest.MultiGPU*,Fail\n',
      },
    ]);
    const off = (status: Parameters<typeof result>[2]) => result('kfdtest', 'KFDSVMRangeTest.MigrateTest/0', status);
    expect(decideVerdict(off('pass'), off('fail'), e)).toEqual({
      verdict: 'known-gap',
      note: 'a gap the series declares (gpusvm-gaps.txt:2: Phase 1 is XNACK-on only (v8 cover letter).)',
    });
    // A different failure than the one declared is not hidden by the gap.
    expect(verdict(off('pass'), off('crash'), e)).toBe('regression');
    const closed = decideVerdict(off('fail'), off('pass'), e);
    expect(closed.verdict).toBe('gap-closed');
    expect(closed.note).toMatch(/^gap closed: the feature seems to have landed \(gpusvm-gaps\.txt:2/);
    expect(verdict(k('pass'), result('kfdtest', 'KFDSVMRangeTest.MultiGPUMigrationTest/1', 'fail'), e)).toBe('known-gap');
    expect(verdict(k('pass'), k('fail'), e)).toBe('regression'); // /1 (XNACK on) is not a gap
    // Never a failing exit under --fail-on regression; gap-closed is "unexpected".
    const run = (s: Parameters<typeof result>[2]) => makeRun('x', [off(s)]);
    const cmp = (b: Parameters<typeof result>[2], c: Parameters<typeof result>[2]) =>
      compareRuns(run(b), run(c), { expectations: e, now: new Date(), toolVersion: 'test' });
    expect(cmp('pass', 'fail').counts['known-gap']).toBe(1);
    expect(comparisonExitCode(cmp('pass', 'fail'), { verdicts: 'regression', slower: false })).toBe(EXIT.ok);
    expect(comparisonExitCode(cmp('fail', 'pass'), { verdicts: 'regression', slower: false })).toBe(EXIT.ok);
    expect(comparisonExitCode(cmp('fail', 'pass'), { verdicts: 'unexpected', slower: false })).toBe(EXIT.unexpected);
  });

  it('rejects malformed expectation lines with file:line', () => {
    expect(() => parseExpectations([{ name: 'x-fails.txt', text: '\nkfdtest/A.B,Exploded\n' }])).toThrow(/x-fails.txt:2: unknown status "Exploded"/);
    expect(() => parseExpectations([{ name: 'x-fails.txt', text: 'no-comma' }])).toThrow(/x-fails.txt:1: expected "suite\/test,Status"/);
    expect(() => parseExpectations([{ name: 'x-flakes.txt', text: '(' }])).toThrow(/x-flakes.txt:1: not a valid regular expression/);
  });

  it('selects expectation files by variant and GPU family', () => {
    expect(expectationFileNames('gpusvm', ['gfx942', 'gfx90a', 'gfx942'])).toEqual([
      'gpusvm-fails.txt',
      'gpusvm-flakes.txt',
      'gpusvm-skips.txt',
      'gpusvm-gaps.txt',
      'gpusvm-gfx90a-fails.txt',
      'gpusvm-gfx90a-flakes.txt',
      'gpusvm-gfx90a-skips.txt',
      'gpusvm-gfx90a-gaps.txt',
      'gpusvm-gfx942-fails.txt',
      'gpusvm-gfx942-flakes.txt',
      'gpusvm-gfx942-skips.txt',
      'gpusvm-gfx942-gaps.txt',
    ]);
  });
});

describe('compareRuns', () => {
  const now = new Date('2026-11-25T00:00:00Z');
  it('counts verdicts and keeps missing tests that the candidate shard excluded out of the counts', () => {
    const baseline = makeRun('legacy', [result('kfdtest', 'A.a', 'pass'), result('kfdtest', 'A.b', 'pass'), result('kfdtest', 'A.c', 'fail')]);
    const candidate = makeRun('gpusvm', [result('kfdtest', 'A.a', 'fail'), result('kfdtest', 'A.c', 'pass')], {
      selection: { filters: ['kfdtest/A.a', 'kfdtest/A.c'] },
    });
    const c = compareRuns(baseline, candidate, { expectations: NO_EXPECTATIONS, now, toolVersion: 't' });
    expect(c.counts.regression).toBe(1);
    expect(c.counts.fixed).toBe(1);
    expect(c.counts.missing).toBe(0);
    expect(c.entries.find((e) => e.name === 'A.b')).toMatchObject({ verdict: 'missing', excluded: true });
  });

  it('a test absent from an unfiltered candidate is missing and counted', () => {
    const c = compareRuns(makeRun('legacy', [result('kfdtest', 'A.a', 'pass')]), makeRun('gpusvm', []), {
      expectations: NO_EXPECTATIONS,
      now,
      toolVersion: 't',
    });
    expect(c.counts.missing).toBe(1);
  });
});

describe('worse: a failure that became a crash or a hang', () => {
  it('fails the comparison (--fail-on regression), is a JUnit failure, and every report names it', async () => {
    const baseline = makeRun('legacy', [result('kfdtest', 'A.a', 'fail', { message: 'expected 1' })]);
    const candidate = makeRun('gpusvm', [result('kfdtest', 'A.a', 'crash', { message: 'killed by SIGSEGV' })]);
    const c = compareRuns(baseline, candidate, { expectations: NO_EXPECTATIONS, now: new Date('2026-11-25T00:00:00Z'), toolVersion: 't' });
    expect(c.entries[0]).toMatchObject({ verdict: 'worse', note: 'fail in the baseline, crash in the candidate' });
    expect(c.counts.worse).toBe(1);
    expect(comparisonExitCode(c, { verdicts: 'regression', slower: false })).toBe(EXIT.unexpected);
    const screen = captureScreen();
    await junitReporter.render({ kind: 'comparison', comparison: c }, { screen, outDir: undefined });
    expect(screen.text()).toMatch(/<failure message="worse \(fail → crash or timeout\): killed by SIGSEGV" type="worse"/);
    const terminal = captureScreen();
    await terminalReporter.render({ kind: 'comparison', comparison: c }, { screen: terminal, outDir: undefined });
    expect(terminal.text()).toMatch(/worse/);
  });
});

describe('flake score: a change that sticks is a regression or a fix, never a flake', () => {
  const series = (statuses: string) =>
    [...statuses].map((c, i) => ({ night: `2026-11-${String(i + 1).padStart(2, '0')}`, status: c === 'F' ? ('fail' as const) : ('pass' as const) }));
  it.each([
    ['PPPPP', 'passing', undefined],
    ['PPFFF', 'failing-since', '2026-11-03'],
    ['FFPPP', 'fixed-since', '2026-11-03'],
    ['PPFPP', 'one-off', undefined],
    ['PFPFP', 'intermittent', undefined],
    ['FPFPF', 'intermittent', undefined],
  ])('%s is %s', (statuses, pattern, since) => {
    const score = flakeScore(series(statuses));
    expect(score.pattern).toBe(pattern);
    expect(score.since).toBe(since);
  });
});
