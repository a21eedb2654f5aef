import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { loadYamlFile } from '../../src/model/yaml-file.js';
import type { ComparisonFile } from '../../src/model/comparison.js';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

let program: string;
let dir: string;

beforeAll(async () => {
  program = await gtestProgram();
  dir = tempDir('svmtest-ci-');
  debianKernel(); // the demo boots it: fail here, clearly, if it was not fetched
}, SETUP_TIMEOUT_MS);

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('svmtest demo (the README quick start): the whole pipeline in QEMU', () => {
  it('boots both variants, runs the demo suite, and finds a regression, a fix and a crash', async () => {
    const out = join(dir, 'demo');
    const r = await svmtest(['demo', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/a DEMONSTRATION of the pipeline on this machine, not a GPU result/);
    expect(r.stderr).toMatch(/time per stage: build .* · boot legacy .* · run legacy .* · boot gpusvm .* · run gpusvm .* · compare and report/);
    const comparison = readJson<ComparisonFile>(join(out, 'comparison.json'));
    const verdict = (name: string) => comparison.entries.find((e) => e.name === name);
    expect(verdict('DemoSvm.DefaultRetryPolicy')).toMatchObject({ verdict: 'regression', candidate: { status: 'fail' } });
    expect(verdict('DemoSvm.FaultPathSurvives')).toMatchObject({ verdict: 'regression', candidate: { status: 'crash' } });
    expect(verdict('DemoSvm.RetryFaultsEnabledForXnack')).toMatchObject({ verdict: 'fixed' });
    expect(verdict('DemoKfd.DevKfdOpens')?.verdict).toBe('pass');
    for (const file of ['junit.xml', 'summary.md', 'legacy/run.json', 'gpusvm/run.json', 'legacy/console.log'])
      expect(existsSync(join(out, file)), file).toBe(true);
    const candidate = readJson<RunFile>(join(out, 'gpusvm', 'run.json'));
    expect(candidate.run.target).toBe('qemu');
    expect(candidate.run.preflight!.find((c) => c.name === '/dev/kfd')?.ok).toBe(true);
    // Each of the crash's processes (the batch's, alone, the retry) left its segfault record, the
    // test's by its pid even where the record came before the test's start mark: none is the batch's.
    const crash = candidate.tests.find((t) => t.name === 'DemoSvm.FaultPathSurvives')!;
    const faults = crash.kernelEvents.filter((e) => e.kind === 'user-fault').map((e) => /\[(\d+)\]: segfault/.exec(e.summary)?.[1]);
    expect(new Set(faults).size, JSON.stringify(crash.kernelEvents)).toBe(3);
    expect(candidate.kernelEvents ?? []).toEqual([]);
    expect(r.stdout).toMatch(/REGRESSION svm-demo\/DemoSvm.FaultPathSurvives \(pass → crash\)/);
  }, 600_000);
});

describe('svmtest ci on the host', () => {
  it('ci --history imports both runs and the comparison at the end of a nightly', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const config = writeConfig(
      dir,
      { suiteFiles: [suite], suites: [], profile: 'full' },
      { variants: { legacy: { expect: { kfd: false } }, gpusvm: { expect: { kfd: false } } } },
    );
    const db = join(dir, 'nightly.db');
    const r = await svmtest(['ci', '-c', config, '-o', join(dir, 'nightly'), '-f', 'fixture/Nightly.*', '--history', db], {
      env: { SVMTEST_FIXTURE_FAIL: '' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/history .*nightly\.db: .*comparison\.json added/);
    const trend = JSON.parse((await svmtest(['history', 'trend', '--db', db, '--json'])).stdout) as { kind: string; items: Array<{ variant: string }> };
    expect(trend.kind).toBe('trend');
    expect(new Set(trend.items.map((n) => n.variant))).toEqual(new Set(['legacy', 'gpusvm']));
  });

  it('an infrastructure failure in one variant gives exit 3 and no verdict', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const config = writeConfig(
      dir,
      { suiteFiles: [suite], suites: [], profile: 'full' },
      {
        variants: {
          legacy: { expect: { kfd: false } },
          gpusvm: { expect: { kfd: false, kconfig: { DRM_AMDGPU_SVM: 'y' } } },
        },
      },
    );
    const out = join(dir, 'infra');
    const r = await svmtest(['ci', '-c', config, '-o', out, '-f', 'fixture/Basic.Passes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/no verdict — the infrastructure failed for gpusvm/);
    expect(existsSync(join(out, 'comparison.json'))).toBe(false);
    expect(readJson<RunFile>(join(out, 'legacy', 'run.json')).tests).toHaveLength(1);
  });

  it('shards 1/3 + 2/3 + 3/3 merged equal an unsharded run; merge refuses overlaps and reports missing shards', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const config = writeConfig(dir);
    const filters = ['-f', 'fixture/Basic*', '-f', 'fixture/Crash*', '-f', 'fixture/Gen*', '-f', 'fixture/Output.FakeMarkers'];
    const run = (out: string, ...extra: string[]) => svmtest(['run', '-c', config, '--suite-file', suite, '-o', join(dir, out), ...filters, ...extra]);
    await run('whole');
    for (const i of [1, 2, 3]) await run(`shard${i}`, '--shard', `${i}/3`);
    const merged = await svmtest(['merge', join(dir, 'shard1'), join(dir, 'shard2'), join(dir, 'shard3'), '-o', join(dir, 'merged')]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    const statuses = (out: string) =>
      readJson<RunFile>(join(dir, out, 'run.json'))
        .tests.map((t) => `${t.name}=${t.status}`)
        .sort();
    expect(statuses('merged')).toEqual(statuses('whole'));
    const overlap = await svmtest(['merge', join(dir, 'shard1'), join(dir, 'whole'), '-o', join(dir, 'bad')]);
    expect(overlap.exitCode).toBe(2);
    expect(overlap.stderr).toMatch(/shards must not overlap/);
    const partial = await svmtest(['merge', join(dir, 'shard1'), join(dir, 'shard3'), '-o', join(dir, 'partial')]);
    expect(partial.exitCode).toBe(3);
    expect(partial.stderr).toMatch(/missing shards: 2 of 3/);
    // Shards balanced by the durations of an earlier run are still a partition.
    const balanced = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const r = await svmtest(['list', '-c', config, '--suite-file', suite, ...filters, '--shard', `${i}/3`, '--durations', join(dir, 'whole'), '--json']);
        return (JSON.parse(r.stdout).suites[0].tests as Array<{ name: string }>).map((t) => t.name);
      }),
    );
    expect(balanced.flat().sort()).toEqual(
      readJson<RunFile>(join(dir, 'whole', 'run.json'))
        .tests.map((t) => t.name)
        .sort(),
    );
  });

  it('merge refuses runs of different variants', async () => {
    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    const config = writeConfig(dir, {}, { variants: { a: { expect: { kfd: false } }, b: { expect: { kfd: false } } } });
    await svmtest(['run', '-c', config, '--variant', 'a', '--suite-file', suite, '-o', join(dir, 'va'), '-f', 'fixture/Basic.Passes']);
    await svmtest(['run', '-c', config, '--variant', 'b', '--suite-file', suite, '-o', join(dir, 'vb'), '-f', 'fixture/Basic.Fails']);
    const r = await svmtest(['merge', join(dir, 'va'), join(dir, 'vb'), '-o', join(dir, 'vab')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/variant b, but .* is a; merge combines shards of one variant/);
  });
});

describe('configuration files', () => {
  it('the default config and every example config load and validate', () => {
    const files = [
      join(REPO_ROOT, 'config', 'default.yaml'),
      ...readdirSync(join(REPO_ROOT, 'config', 'examples'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(REPO_ROOT, 'config', 'examples', f)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) expect(() => loadYamlFile(file, configSchema), file).not.toThrow();
  });
});
