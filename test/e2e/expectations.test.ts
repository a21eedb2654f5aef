import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseExpectations } from '../../src/compare/expectations.js';
import type { ComparisonFile } from '../../src/model/comparison.js';
import { globMatch } from '../../src/model/selection.js';
import { parseGtestList } from '../../src/parsers/test-lists.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { REAL_FIXTURES, REPO_ROOT } from '../helpers/paths.js';
import { makeRun, result } from '../helpers/runs.js';

const GAPS = join(REPO_ROOT, 'expectations', 'gpusvm-v8');
const ROCM_SRC = process.env.SVMTEST_ROCM_SRC ?? join(REPO_ROOT, '..', 'shared', 'rocm-src');
let dir: string;

beforeAll(() => {
  dir = tempDir('svmtest-expect-');
});

const gapsOf = () => parseExpectations([{ name: 'gpusvm-gaps.txt', text: readFileSync(join(GAPS, 'gpusvm-gaps.txt'), 'utf8') }]).gaps;

describe('the shipped gaps of gpusvm v8', () => {
  it('every entry says why, and names tests that exist in the real kfdtest listing and hip-tests sources', async () => {
    const gaps = gapsOf();
    expect(gaps.length).toBeGreaterThan(0);
    for (const g of gaps) expect(g.why, g.source).toMatch(/(\w+ ){5,}/);
    const kfdtest = parseGtestList(readFileSync(join(REAL_FIXTURES, 'rocm-builds', 'kfdtest-list-tests.txt'), 'utf8')).tests.map((t) => `kfdtest/${t.name}`);
    for (const g of gaps.filter((x) => x.glob.startsWith('kfdtest/')))
      expect(
        kfdtest.some((id) => globMatch(g.glob, id)),
        `${g.source}: ${g.glob}`,
      ).toBe(true);
    // hip-tests' names are their TEST_CASE names, read from the source snapshot.
    const tarball = join(ROCM_SRC, 'hip-tests-8c5c2991-catch.tar.xz');
    if (!existsSync(tarball))
      throw new Error(`the hip-tests sources are not at ${tarball}: put ../shared/rocm-src beside the checkout, or set SVMTEST_ROCM_SRC`);
    const sources = await execa('tar', ['-xJOf', tarball, '--wildcards', '*/unit/memory/*.cc'], { maxBuffer: 256 * 1024 * 1024 });
    const hip = [...sources.stdout.matchAll(/TEST_CASE\("([^"]+)"/g)].map((m) => `hip-tests/${m[1]}`);
    for (const g of gaps.filter((x) => x.glob.startsWith('hip-tests/')))
      expect(
        hip.some((id) => globMatch(g.glob, id)),
        `${g.source}: ${g.glob}`,
      ).toBe(true);
  });

  it('compare with the shipped set: a declared gap is known-gap apart from regressions (exit 0); a gap that passes is "gap closed" in every report', async () => {
    const env = { gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }] };
    const names = ['KFDSVMRangeTest.MigrateTest/0', 'KFDSVMRangeTest.MigrateTest/1', 'KFDSVMRangeTest.MultiGPUMigrationTest/1'];
    const legacy = makeRun(
      'legacy',
      names.map((n) => result('kfdtest', n, 'pass')),
      { environment: env },
    );
    const gpusvm = makeRun(
      'gpusvm',
      [result('kfdtest', names[0]!, 'fail', { message: 'Expected: xnack off' }), result('kfdtest', names[1]!, 'pass'), result('kfdtest', names[2]!, 'pass')],
      { environment: env },
    );
    const files = ['legacy', 'gpusvm'].map((v, i) => {
      const f = join(dir, `${v}.json`);
      writeFileSync(f, JSON.stringify([legacy, gpusvm][i]));
      return f;
    });
    const out = join(dir, 'cmp');
    const r = await svmtest(['compare', ...files, '--expectations', GAPS, '-o', out, '-r', 'terminal,markdown,junit,github'], {
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const c = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as ComparisonFile;
    expect(c.counts['known-gap']).toBe(1);
    expect(c.counts.regression).toBe(0);
    const closed = c.entries.find((e) => e.name === names[2])!;
    expect(closed.verdict).toBe('gap-closed');
    expect(r.stdout).toMatch(/1 known gap \(failures the series declares, not regressions\)/);
    expect(r.stdout).toMatch(/GAP CLOSED \(THE FEATURE SEEMS TO HAVE LANDED\) kfdtest\/KFDSVMRangeTest\.MultiGPUMigrationTest\/1/);
    expect(r.stdout).toMatch(/::notice title=gap closed.*::gap closed: the feature seems to have landed/);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toMatch(/1 known gap: failures of features the series does not have yet/);
    expect(md.replaceAll('\\', '')).toMatch(/Phase 1: single GPU, XNACK on/);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/gap closed: the feature seems to have landed/);
    // Under --fail-on unexpected a closed gap asks for the expectations to be updated.
    expect((await svmtest(['compare', ...files, '--expectations', GAPS, '--fail-on', 'unexpected', '-o', join(dir, 'cmp2')])).exitCode).toBe(1);
  });
});

describe('svmtest expectations update', () => {
  it('writes fails and flakes from runs, keeps the comments of entries still true, drops the rest, adds the new ones', async () => {
    const out = join(dir, 'expectations');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'gpusvm-fails.txt'),
      [
        '# Known failures of gpusvm (drm/ci convention).',
        '',
        '# HMM profiling events are not wired up in phase 1.',
        'kfdtest/KFDSVMRangeTest.HMMProfilingEvent/1,Fail',
        '',
        '# Fixed since: this one should go.',
        'kfdtest/KFDSVMRangeTest.Old/1,Fail',
        '',
      ].join('\n'),
    );
    const run = (id: string, statuses: Record<string, Parameters<typeof result>[2]>, retried: string[] = []) => {
      const r = makeRun(
        'gpusvm',
        Object.entries(statuses).map(([n, s]) =>
          result(
            'kfdtest',
            n,
            s,
            retried.includes(n)
              ? {
                  attempts: [
                    { status: 'fail', durationMs: 1 },
                    { status: 'pass', durationMs: 1 },
                  ],
                }
              : {},
          ),
        ),
        { id },
      );
      const f = join(dir, `${id}.json`);
      writeFileSync(f, JSON.stringify(r));
      return f;
    };
    const a = run('night-a', {
      'KFDSVMRangeTest.HMMProfilingEvent/1': 'fail',
      'KFDSVMRangeTest.Old/1': 'pass',
      'KFDSVMRangeTest.New/1': 'crash',
      'KFDSVMEvictTest.QueueTest/1': 'pass',
    });
    const b = run(
      'night-b',
      {
        'KFDSVMRangeTest.HMMProfilingEvent/1': 'fail',
        'KFDSVMRangeTest.Old/1': 'pass',
        'KFDSVMRangeTest.New/1': 'crash',
        'KFDSVMEvictTest.QueueTest/1': 'fail',
        'Gen/Param.Case/2': 'pass',
      },
      [],
    );
    const r = await svmtest(['expectations', 'update', a, b, '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gpusvm-fails\.txt: 1 kept, 1 added, 1 removed/);
    const fails = readFileSync(join(out, 'gpusvm-fails.txt'), 'utf8');
    expect(fails).toBe(
      [
        '# Known failures of gpusvm (drm/ci convention).',
        '',
        '# HMM profiling events are not wired up in phase 1.',
        'kfdtest/KFDSVMRangeTest.HMMProfilingEvent/1,Fail',
        '',
        `# added by svmtest expectations update on ${new Date().toISOString().slice(0, 10)} from runs night-a, night-b`,
        'kfdtest/KFDSVMRangeTest.New/1,Crash',
        '',
      ].join('\n'),
    );
    // A test that passed one night and failed the next is a flake, matched exactly.
    const flakes = readFileSync(join(out, 'gpusvm-flakes.txt'), 'utf8');
    expect(flakes).toMatch(/^\^kfdtest\\\/KFDSVMEvictTest\\\.QueueTest\\\/1\$$/m);
    const parsed = parseExpectations([
      { name: 'gpusvm-fails.txt', text: fails },
      { name: 'gpusvm-flakes.txt', text: flakes },
    ]);
    expect(parsed.flakes[0]!.pattern.test('kfdtest/KFDSVMEvictTest.QueueTest/1')).toBe(true);
    expect(parsed.flakes[0]!.pattern.test('kfdtest/KFDSVMEvictTest.QueueTest/10')).toBe(false);
    // Runs of two variants are refused.
    const other = join(dir, 'legacy-run.json');
    writeFileSync(other, JSON.stringify(makeRun('legacy', [result('kfdtest', 'A.b', 'pass')])));
    const mixed = await svmtest(['expectations', 'update', a, other, '-o', out]);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toMatch(/several variants \(gpusvm, legacy\)/);
  });
});
