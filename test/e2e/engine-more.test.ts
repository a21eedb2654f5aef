import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { ctestProject, gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { fakeSysfs } from '../helpers/sysfs.js';

let program: string;
let ctestBuild: string;
let dir: string;
let config: string;

beforeAll(async () => {
  [program, ctestBuild] = await Promise.all([gtestProgram(), ctestProject()]);
  dir = tempDir('svmtest-engine2-');
  config = writeConfig(dir);
}, SETUP_TIMEOUT_MS);

const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;

describe('ctest suites (a real Catch2 project registered like hip-tests)', () => {
  it('runs through ctest: pass, fail, HIP skip, segfault crash, ctest timeout', async () => {
    const suite = writeSuiteFile(dir, { name: 'hip-like', kind: 'ctest', dir: ctestBuild, timeout: 20, skipRegex: 'HIP_SKIP_THIS_TEST' });
    const out = join(dir, 'ctest');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out]);
    expect(r.exitCode, r.stderr).toBe(1);
    const statuses = Object.fromEntries(readRunFile(out).tests.map((t) => [t.name, t.status]));
    expect(statuses).toEqual({
      Unit_hipMallocManaged_Basic: 'pass',
      Unit_hipMemAdvise_Negative: 'fail',
      Unit_hipSVMTestFineGrain: 'skip',
      Unit_hipMemPrefetchAsync_Crash: 'crash',
      shell_timeout: 'timeout',
    });
    const failed = readRunFile(out).tests.find((t) => t.name === 'Unit_hipMemAdvise_Negative')!;
    expect(failed.message).toMatch(/FAILED:/);
  });
});

describe('list, shards, GPUs, skip lists, preflight and bad suite files', () => {
  it('list --json: shard 1/2 and 2/2 are disjoint and cover the selection', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const list = async (...extra: string[]) => {
      const r = await svmtest(['list', '-c', config, '--suite-file', suite, '--json', ...extra]);
      expect(r.exitCode, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).suites[0].tests as Array<{ name: string }>).map((t) => t.name);
    };
    const all = await list();
    const one = await list('--shard', '1/2');
    const two = await list('--shard', '2/2');
    expect([...one, ...two].sort()).toEqual([...all].sort());
    expect(one.filter((n) => two.includes(n))).toEqual([]);
    expect(one.length).toBeGreaterThan(0);
    const bad = await svmtest(['list', '-c', config, '--suite-file', suite, '--shard', '3/2']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--shard <i\/n>' argument '3\/2' is invalid. expected i\/n/);
  });

  it('a profile with a fallback uses it where its tests are missing; one that selects nothing says so and the run records it', async () => {
    const suite = writeSuiteFile(dir, {
      name: 'profiled',
      kind: 'gtest',
      command: [program],
      profiles: { svm: { tests: ['SvmMemory_*'], otherwise: ['Basic.*'] }, empty: ['Nothing.*'] },
    });
    const fallback = await svmtest(['list', '-c', config, '--suite-file', suite, '--profile', 'svm', '--json']);
    const listed = JSON.parse(fallback.stdout) as { suites: Array<{ tests: Array<{ name: string }>; notes: string[] }> };
    expect(listed.suites[0]!.tests.map((t) => t.name).every((n) => n.startsWith('Basic.'))).toBe(true);
    expect(listed.suites[0]!.notes[0]).toMatch(
      /profiled: this tree has none of the svm tests \(SvmMemory_\*\); profile svm runs its nearest tests instead: Basic\.\* \(5\)/,
    );
    // A requested suite that selects nothing is refused (exit 2): a run of nothing must not report green.
    const refused = await svmtest(['run', '-c', config, '--suite-file', suite, '--profile', 'empty', '-o', join(dir, 'empty-refused')]);
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/profiled: profile empty selects none of its \d+ tests \(Nothing\.\*\); nothing of this suite runs: .*--allow-empty/);
    const out = join(dir, 'empty-profile');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '--profile', 'empty', '--allow-empty', '-o', out, '-r', 'terminal,markdown']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/profiled: profile empty selects none of its \d+ tests \(Nothing\.\*\); nothing of this suite runs/);
    expect(readRunFile(out).run.selection?.notes?.[0]).toMatch(/profile empty selects none/);
    expect(readRunFile(out).run.warnings?.[0]).toMatch(/^--allow-empty: profiled: profile empty selects none/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/--allow-empty: profiled: profile empty selects none/);
    expect(readRunFile(out).tests).toEqual([]);
  });

  it('GPU discovery from a copied topology, and --jobs runs one worker per GPU', async () => {
    const sysfs = fakeSysfs(join(dir, 'sys'), [
      { version: 90402, name: 'MI300X' },
      { version: 90402, name: 'MI300X' },
    ]);
    const suite = writeSuiteFile(dir, {
      name: 'gpus',
      kind: 'gtest',
      command: [program],
      gpu: { args: ['--node={node}'], env: { ROCR_VISIBLE_DEVICES: '{index}' } },
    });
    const listed = await svmtest(['list', '-c', config, '--suite-file', suite, '--sysfs-root', sysfs, '--json']);
    expect(JSON.parse(listed.stdout).gpus).toEqual([
      { node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true },
      { node: 2, gfx: 'gfx942', name: 'MI300X', xnack: true },
    ]);
    const runlog = join(dir, 'jobs-runlog.txt');
    const out = join(dir, 'jobs');
    const started = Date.now();
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '--sysfs-root', sysfs, '-j', '2', '-o', out, '-f', 'gpus/Slow*'], {
      env: { SVMTEST_FIXTURE_RUNLOG: runlog },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = readFileSync(runlog, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(new Set(lines.map((l) => l.split(' ')[1]))).toEqual(new Set(['node=1', 'node=2']));
    for (const l of lines) expect(l).toMatch(/node=1 rocr=0|node=2 rocr=1/);
    expect(Date.now() - started).toBeLessThan(8 * 150 + 4000);
    expect(readRunFile(out).run.environment.gpus).toHaveLength(2);
  });

  it('kfdtest.exclude is read by bash: FILTER[<gfx>] and, on in-tree kernels, FILTER[upstream]', async () => {
    const sysfs = fakeSysfs(join(dir, 'sys-exclude'), [{ version: 90402, name: 'MI300X' }]);
    const exclude = join(dir, 'kfdtest.exclude');
    writeFileSync(
      exclude,
      [
        'declare -A FILTER',
        'BLACKLIST_ALL_ASICS=\\',
        '"Basic.Fails:"\\',
        '"Crash.*"',
        'FILTER[gfx942]=\\',
        '"-$BLACKLIST_ALL_ASICS:"\\',
        '"Basic.Skips"',
        'FILTER[gfx1100]="-Basic.Passes"',
        'FILTER[upstream]="-Output.Loud"',
        '',
      ].join('\n'),
    );
    const suite = writeSuiteFile(dir, { name: 'kfdlike', kind: 'gtest', command: [program], skips: { kfdtestExclude: [exclude] } });
    const r = await svmtest(['list', '-c', config, '--suite-file', suite, '--sysfs-root', sysfs, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const tests = JSON.parse(r.stdout).suites[0].tests as Array<{ name: string; action: string; reason?: string }>;
    const action = (name: string) => tests.find((t) => t.name === name);
    expect(action('Basic.Fails')).toMatchObject({ action: 'skip', reason: expect.stringContaining('FILTER[gfx942]') });
    expect(action('Crash.Abort')?.action).toBe('skip');
    expect(action('Basic.Skips')?.action).toBe('skip');
    expect(action('Basic.Passes')?.action).toBe('run'); // FILTER[gfx1100] does not apply
    const kallsyms = readFileSync('/proc/kallsyms', 'utf8');
    expect(action('Output.Loud')?.action).toBe(/\brdma_get_pages\b/.test(kallsyms) ? 'run' : 'skip');
  });

  it('skips.needsGpu: the tests that need a GPU are skips with the reason on a CPU-only KFD, and run where there is a GPU', async () => {
    const suite = writeSuiteFile(dir, { name: 'perflike', kind: 'gtest', command: [program], skips: { needsGpu: ['Basic.Fail*'] } });
    const planOn = async (sysfs: string) => {
      const r = await svmtest(['list', '-c', config, '--suite-file', suite, '--sysfs-root', sysfs, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(r.stdout).suites[0].tests as Array<{ name: string; action: string; reason?: string }>;
    };
    const cpuOnly = await planOn(fakeSysfs(join(dir, 'sys-cpu-only'), []));
    expect(cpuOnly.find((t) => t.name === 'Basic.Fails')).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/needs a GPU agent and this machine's KFD topology has none \(.*skips\.needsGpu\)/),
    });
    expect(cpuOnly.find((t) => t.name === 'Basic.Passes')?.action).toBe('run');
    const withGpu = await planOn(fakeSysfs(join(dir, 'sys-one-gpu'), [{ version: 90402, name: 'MI300X' }]));
    expect(withGpu.find((t) => t.name === 'Basic.Fails')?.action).toBe('run');

    // The run records the skip and its reason: nothing of the test ran.
    const out = join(dir, 'needs-gpu');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '--sysfs-root', join(dir, 'sys-cpu-only'), '-f', 'perflike/Basic.*', '-o', out]);
    const fails = readRunFile(out).tests.find((t) => t.name === 'Basic.Fails');
    expect(fails, r.stderr).toMatchObject({ status: 'skip', message: expect.stringContaining('needs a GPU agent') });
  });

  it('preflight: a variant whose kernel is not running stops the run with exit 3, naming the check and what was found', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const out = join(dir, 'preflight');
    const r = await svmtest(['run', '--variant', 'gpusvm', '--suite-file', suite, '-o', out]);
    expect(r.exitCode).toBe(3);
    const output = r.stdout + r.stderr;
    expect(output).toMatch(/preflight kernel-config CONFIG_DRM_AMDGPU_SVM: expected CONFIG_DRM_AMDGPU_SVM=y, found /);
    // Each failed check is said once, not again as an infrastructure error.
    expect(output.match(/\/dev\/kfd: expected \/dev\/kfd opens/g)).toHaveLength(1);
    const run = readRunFile(out);
    expect(run.tests).toEqual([]);
    expect(run.run.preflight!.find((c) => c.name === 'kallsyms amdgpu_svm_init')).toMatchObject({ ok: false });
  });

  it('preflight checks that pass are recorded in run.json', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const cfg = writeConfig(join(dir), {}, { variants: { plainhost: { expect: { kfd: false, kallsyms: { amdgpu_svm_init: false } } } } });
    const out = join(dir, 'preflight-ok');
    const r = await svmtest(['run', '-c', cfg, '--variant', 'plainhost', '--suite-file', suite, '-o', out, '-f', 'fixture/Basic.Passes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const checks = readRunFile(out).run.preflight!;
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['kallsyms amdgpu_svm_init', true],
      ['suites', true],
    ]);
    writeConfig(dir); // restore the shared config
  });

  it('bad suite files and missing binaries: file:line errors (exit 2) and infrastructure errors (exit 3)', async () => {
    const bad = join(dir, 'bad-suite.yaml');
    writeFileSync(bad, 'name: x\nkind: gtest\ncommand: [/bin/true]\ntimeout: fast\n');
    let r = await svmtest(['run', '-c', config, '--suite-file', bad, '-o', join(dir, 'bad1')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`svmtest: ${bad}:4: timeout: Expected number, received string`);
    writeFileSync(bad, 'name: x\nkind: gtest\ncommand: [/bin/true]\ntimout: 5\n');
    r = await svmtest(['list', '-c', config, '--suite-file', bad]);
    expect(r.stderr.trim()).toBe(`svmtest: ${bad}:4: timout: unknown key "timout"`);
    writeFileSync(bad, 'name: x\nkind: [gtest\n');
    r = await svmtest(['list', '-c', config, '--suite-file', bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${bad}:\\d+: not valid YAML`));
    const missing = writeSuiteFile(dir, { name: 'missing', kind: 'gtest', command: ['/nonexistent/kfdtest'] });
    r = await svmtest(['run', '-c', config, '--suite-file', missing, '-o', join(dir, 'missing')]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/preflight suites: expected suite binaries found and listable, found suite missing: \/nonexistent\/kfdtest not found/);
  });

  it('--suite with an unknown name lists the known suites', async () => {
    const r = await svmtest(['list', '--suite', 'nosuch']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown suite; known suites: hip-tests, kfdtest, rocrtst/);
  });
});
