import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonFile } from '../../src/model/comparison.js';
import type { RunFile, TestResult } from '../../src/model/run.js';
import { parseGtestList } from '../../src/parsers/test-lists.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { fakeSysfs } from '../helpers/sysfs.js';

// The real suites, built from the ROCm source snapshots and run through the whole pipeline on a
// real /dev/kfd in QEMU (no GPU): `svmtest demo --real-suites`, as a user runs it.
const ROCM_SRC = process.env.SVMTEST_ROCM_SRC ?? join(REPO_ROOT, '..', 'shared', 'rocm-src');
let dir: string;
let out: string;
let demo: Awaited<ReturnType<typeof svmtest>>;

/** The demo's resolved config (sources and kernel filled in), which also points the suites at the builds. */
const demoConfig = () => join(process.env.SVMTEST_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'svmtest'), 'demo', 'real-suites-config.yaml');
/** One FILTER[key] of kfdtest.exclude, as its own script reads it: bash evaluates the file. */
async function filterOf(exclude: string, key: string): Promise<string> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion
  return (await execa('bash', ['-c', 'source "$1"; printf "%s" "${FILTER[$2]}"', 'bash', exclude, key])).stdout;
}

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const suiteTests = (run: RunFile, suite: string) => run.tests.filter((t) => t.suite === suite);
const count = (tests: readonly TestResult[], status: string) => tests.filter((t) => t.status === status).length;

/**
 * What this test leaves out of the real suites, to keep CI's run within its hour: the kfdtest
 * fixtures whose every test fails the same way here (no GPU node: 103 processes per variant, 1.7 s
 * each in TCG), the second XNACK instance of each KFDSVMRangeTest (24 more crashes in the same
 * fixture, ~4 s each in TCG, and a process started again after each), and the rocrtst tests that take
 * 6 s each up to their 150 s timeout. `svmtest demo --real-suites` without filters runs them all
 * (200 + 54 + 13 tests per variant).
 */
const LEFT_OUT = [
  'kfdtest/KFDSVMRangeTest.*/1',
  'kfdtest/KFDMemoryTest.*',
  'kfdtest/KFDQMTest.*',
  'kfdtest/KFDDBGTest.*',
  'kfdtest/KFDPCSamplingTest.*',
  'kfdtest/KFDPerfCountersTest.*',
  'kfdtest/KFDCWSRTest.*',
  'kfdtest/KFDExceptionTest.*',
  'rocrtst/rocrtstFunc.Max_Reference_Count',
  'rocrtst/rocrtstFunc.Memory_Alignment_Test',
  'rocrtst/rocrtstFunc.IPC',
  'rocrtst/rocrtstStress.*',
  'rocrtst/rocrtst.Test_Example',
];

beforeAll(async () => {
  if (!existsSync(ROCM_SRC)) throw new Error(`no ROCm sources at ${ROCM_SRC}: set SVMTEST_ROCM_SRC to the directory of the snapshot tarballs`);
  debianKernel();
  dir = tempDir('svmtest-real-');
  out = join(dir, 'demo');
  demo = await svmtest(['demo', '--real-suites', '--rocm-src', ROCM_SRC, '-o', out, ...LEFT_OUT.flatMap((f) => ['-f', `-${f}`])]);
}, 3_600_000); // ROCm builds, then ~100 kfdtest processes per variant in TCG, beside the other test lane

describe('svmtest demo --real-suites: kfdtest, rocrtst and hip-tests built from source, A/B on a CPU-only KFD', () => {
  it('gives a clean verdict on unchanged kernels, the known failures expected', () => {
    expect(demo.exitCode, demo.stderr.slice(-3000)).toBe(0);
    const comparison = readJson<ComparisonFile>(join(out, 'comparison.json'));
    for (const bad of ['regression', 'new-fail', 'missing', 'unexpected-pass'] as const) expect(comparison.counts[bad], bad).toBe(0);
    expect(comparison.counts['expected-fail']).toBeGreaterThan(80);
    // The tests left out are in no report: not run, not missing.
    expect(comparison.entries.some((e) => e.name.startsWith('KFDQMTest.') || e.name === 'rocrtstFunc.Max_Reference_Count')).toBe(false);
    expect(demo.stderr).toMatch(/a DEMONSTRATION of the pipeline on this machine, not a GPU result/);
  });

  it('runs every selected test of each suite in both variants, as the binaries behave without a GPU', () => {
    for (const variant of ['legacy', 'gpusvm']) {
      const run = readJson<RunFile>(join(out, variant, 'run.json'));
      expect(run.run.status, variant).toBe('complete');
      const kfdtest = suiteTests(run, 'kfdtest');
      expect(kfdtest).toHaveLength(200 - 103 - 24);
      expect(count(kfdtest, 'notrun')).toBe(4); // DISABLED_
      expect(count(kfdtest, 'pass')).toBeGreaterThanOrEqual(3);
      expect(count(kfdtest, 'fail')).toBeGreaterThanOrEqual(30);
      // The SVM tests segfault in their fixture here; none of them is a pass.
      const svm = kfdtest.filter((t) => t.name.startsWith('KFDSVM'));
      expect(svm).toHaveLength(52 - 24);
      expect(svm.some((t) => t.name.startsWith('KFDSVMRangeTest.') && t.name.endsWith('/1'))).toBe(false);
      expect(svm.every((t) => t.status === 'crash')).toBe(true);
      const rocrtst = suiteTests(run, 'rocrtst');
      expect(rocrtst).toHaveLength(54 - 10);
      expect(count(rocrtst, 'pass')).toBeGreaterThanOrEqual(4);
      expect(count(rocrtst, 'timeout')).toBe(0); // Max_Reference_Count, which hangs here, is left out
      // The performance suites need a GPU agent: planned skips here, with the reason, never run.
      const perf = rocrtst.filter((t) => t.name.startsWith('rocrtstPerf.') && !t.name.includes('.DISABLED_')); // a disabled one stays notrun
      expect(perf.length).toBeGreaterThanOrEqual(1);
      for (const test of perf) expect(test, test.name).toMatchObject({ status: 'skip', message: expect.stringContaining('needs a GPU agent') });
      const hip = suiteTests(run, 'hip-tests');
      expect(hip).toHaveLength(13);
      expect(count(hip, 'skip')).toBe(1); // HIP_SKIP_THIS_TEST
      expect(count(hip, 'crash') + count(hip, 'fail')).toBeGreaterThanOrEqual(5);
    }
  });

  it('every test whose output says it skipped is a skip, never a pass', () => {
    for (const variant of ['legacy', 'gpusvm']) {
      const runDir = join(out, variant);
      const run = readJson<RunFile>(join(runDir, 'run.json'));
      for (const test of run.tests.filter((t) => t.log)) {
        const log = readFileSync(join(runDir, test.log!), 'utf8');
        if (/^\[(?: {10}|-{10})\] (?:Skipping test\b|Test is skipped\b)/m.test(log) && test.status === 'pass')
          throw new Error(`${test.suite}/${test.name} printed a skip but is a pass`);
      }
    }
  });

  it('the svm profile selects all 52 SVM tests of the built kfdtest', async () => {
    const r = await svmtest(['list', '--suite', 'kfdtest', '--profile', 'svm', '--variant', 'legacy', '-c', demoConfig(), '--target', 'host', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as { suites: Array<{ tests: Array<{ name: string; action: string }> }> };
    const names = listed.suites[0]!.tests.map((t) => t.name);
    expect(names).toHaveLength(52);
    expect(names.filter((n) => n.startsWith('KFDSVMEvictTest.'))).toEqual([
      'KFDSVMEvictTest.BasicTest/0',
      'KFDSVMEvictTest.BasicTest/1',
      'KFDSVMEvictTest.QueueTest/0',
      'KFDSVMEvictTest.QueueTest/1',
    ]);
  });

  it('rocrtst trees without SvmMemory tests: the svm profile runs the memory tests and says so', async () => {
    const r = await svmtest(['list', '--suite', 'rocrtst', '--profile', 'svm', '--variant', 'legacy', '-c', demoConfig(), '--target', 'host', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as { suites: Array<{ tests: Array<{ name: string }>; notes: string[] }> };
    const names = listed.suites[0]!.tests.map((t) => t.name);
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(names.every((n) => /^rocrtst(Func|Neg)\.(Memory|VirtMemory)/.test(n))).toBe(true);
    expect(listed.suites[0]!.notes[0]).toMatch(/rocrtst: this tree has none of the svm tests .*runs its nearest tests instead/);
  });

  it('with kfdtest.exclude and a gfx942 topology, exactly the tests --gtest_filter=FILTER[gfx942] selects run', async () => {
    const config = demoConfig();
    const sysfs = fakeSysfs(join(dir, 'sys942'), [{ version: 90402, name: 'MI300X' }]);
    const r = await svmtest([
      'list',
      '--suite',
      'kfdtest',
      '--profile',
      'full',
      '--variant',
      'legacy',
      '-c',
      config,
      '--target',
      'host',
      '--sysfs-root',
      sysfs,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as { suites: Array<{ location: string; tests: Array<{ name: string; action: string }> }> };
    const kfdtest = listed.suites[0]!.location;
    const toRun = listed.suites[0]!.tests.filter((t) => t.action === 'run').map((t) => t.name);
    const exclude = join(kfdtest, '..', '..', 'share', 'kfdtest', 'kfdtest.exclude');
    // The exclude list as kfdtest's own script applies it: bash evaluates it, gtest filters with it.
    const keys = await filterOf(exclude, 'gfx942');
    const upstream = await filterOf(exclude, 'upstream');
    const inTree = !readFileSync('/proc/kallsyms', 'utf8').includes(' rdma_get_pages');
    const filter = `${keys}${inTree && upstream ? `:${upstream.replace(/^-/, '')}` : ''}`;
    const gtest = await execa(kfdtest, ['--gtest_list_tests', `--gtest_filter=${filter}`]);
    const expected = parseGtestList(gtest.stdout)
      .tests.filter((t) => !t.disabled)
      .map((t) => t.name);
    expect([...toRun].sort()).toEqual([...expected].sort());
  });
});
