import { execa } from 'execa';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { BisectFile } from '../../src/model/bisect.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { bisectProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeSuiteFile } from '../helpers/suite-files.js';
import { bisectConfig, makeBisectSeries } from '../lab/bisect-series.mjs';
import { startLab } from '../lab/lab.mjs';

// svmtest bisect end to end: a real kernel (Debian's linux-source-6.1, tinyconfig + the QEMU
// fragment + what the lab DUT needs), the six-patch series of test/lab/bisect-series.mjs, each step
// built and booted in QEMU (and, last, kexec'd on the lab's DUT over SSH), the test program run in the guest.
const LINUX = process.env.SVMTEST_TEST_LINUX ?? join(REPO_ROOT, '.cache', 'linux-source', 'linux');

let dir: string;
let config: string;
let suite: string;
let cache: string;
const env = () => ({ SVMTEST_CACHE: cache });
const readBisect = (out: string) => JSON.parse(readFileSync(join(out, 'bisect.json'), 'utf8')) as BisectFile;
const patchOf = (file: BisectFile, commit: string) => file.steps.find((s) => s.commit.commit === commit)?.commit.patch;

beforeAll(async () => {
  if (!existsSync(join(LINUX, '.git'))) throw new Error(`no kernel source at ${LINUX}: run bash scripts/fetch-linux-source.sh .cache/linux-source`);
  const program = await bisectProgram();
  dir = tempDir('svmtest-bisect-');
  cache = inject('kernelCache');
  await makeBisectSeries(LINUX, dir, join(dir, 'series.mbox'));
  suite = writeSuiteFile(dir, { name: 'series', kind: 'gtest', command: [program], timeout: 60 });
  config = join(dir, 'svmtest.yaml');
  writeFileSync(config, stringify(bisectConfig(LINUX, 'series.mbox')));
}, SETUP_TIMEOUT_MS);

/** The commits of the series as the bisect worktree has them: patch k is commits[k - 1], the base is `base`. */
async function seriesCommits(): Promise<{ base: string; patches: string[] }> {
  const worktrees = (await execa('git', ['-C', LINUX, 'worktree', 'list', '--porcelain'])).stdout;
  const wt = worktrees
    .split('\n')
    .filter((l) => l.startsWith('worktree ') && l.includes(cache) && l.endsWith('gpusvm.bisect'))
    .map((l) => l.slice('worktree '.length))[0]!;
  const tip = readFileSync(`${wt}.tip`, 'utf8').trim();
  const base = (await execa('git', ['-C', LINUX, 'rev-parse', 'base^{commit}'])).stdout.trim();
  const patches = (await execa('git', ['-C', wt, 'rev-list', '--reverse', `${base}..${tip}`])).stdout.split('\n');
  return { base, patches };
}

/** The first test's bisect: its steps' kernels are what the later tests (and the lab DUT) reuse. */
let first: BisectFile;

describe('svmtest bisect on a real kernel series in QEMU', () => {
  it('finds patch 4 in at most ceil(log2 7) + 1 steps; killed with kill -9 mid-step and resumed, it runs no finished step again', async () => {
    const out = join(dir, 'domain');
    const args = ['bisect', '-c', config, '--suite-file', suite, '-t', 'series/Series.DomainName', '--target', 'qemu', '--runs', '2', '-o', out];
    const child = execa(process.execPath, [BIN, ...args], { reject: false, cwd: REPO_ROOT, env: { ...env(), NO_COLOR: '1' } });
    // Killed once the first search step has finished one run: that run (and every earlier step) must survive.
    const journal = join(out, 'journal.jsonl');
    // The run's one cold kernel build may come first (the kernel cache is shared with kernel-build),
    // beside the other test lane: 26 min were measured on a 2-core machine.
    const waitMs = 3_000_000;
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const records = existsSync(journal)
        ? readFileSync(journal, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
      if (records.some((r) => r.type === 'run' && r.role === 'step')) break;
      if (child.exitCode !== null) throw new Error(`bisect ended before its first step: ${child.exitCode}\n${(await child).stderr}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    child.kill('SIGKILL');
    await child;
    const before = readFileSync(journal, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const stepRun = before.find((r) => r.type === 'run' && r.role === 'step');
    if (!stepRun) throw new Error(`no search step had finished a run after ${Math.round(waitMs / 60_000)} min (journal: ${journal})`);
    const runFile = join(out, stepRun.run.dir, 'run.json');
    const runMtime = statSync(runFile).mtimeMs;
    const decidedBefore = before.filter((r) => r.type === 'step');
    expect(decidedBefore.slice(0, 2).map((r) => r.step.role)).toEqual(['good-end', 'bad-end']);
    const partial = !decidedBefore.some((r) => r.step.commit.commit === stepRun.commit);

    const resumed = await svmtest(['bisect', '--resume', out], { env: env() });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    first = readBisect(out);
    expect(first.bisect.outcome).toBe('found');
    expect(first.firstBad?.patch).toBe(4);
    expect(first.firstBad?.subject).toBe('uts: set a default domain name');
    expect(first.firstBad?.author).toBe('A. Developer <dev@example.org>');
    expect(first.firstBad?.diffstat).toMatch(/include\/linux\/uts\.h \| 2 \+-/);
    expect(first.firstBad?.messageId).toMatch(/@/);
    expect(first.firstBad?.lore).toBe(`https://lore.kernel.org/r/${first.firstBad?.messageId}`);
    const search = first.steps.filter((s) => s.role === 'step');
    expect(search.length).toBeLessThanOrEqual(Math.ceil(Math.log2(7)) + 1);
    // Nothing finished before the kill ran again: the ends once each, the interrupted step's first run kept as it was.
    expect(first.steps.filter((s) => s.role !== 'step')).toHaveLength(2);
    expect(new Set(first.steps.map((s) => `${s.role} ${s.commit.commit}`)).size).toBe(first.steps.length);
    expect(statSync(runFile).mtimeMs).toBe(runMtime);
    const interrupted = first.steps.find((s) => s.commit.commit === stepRun.commit)!;
    expect(interrupted.runs[0]?.dir).toBe(stepRun.run.dir);
    expect(resumed.stderr).toMatch(new RegExp(`resuming bisect .*: ${decidedBefore.length} steps already decided`));
    // The interrupted step's kernel was built before the kill: on resume, a cache hit.
    if (partial) expect(resumed.stderr).toContain('build: cache hit');
    // Ends: passes at base, fails every run at the last patch; each failing run carries the test's message.
    const [good, bad] = first.steps;
    expect(good).toMatchObject({ role: 'good-end', verdict: 'good' });
    expect(good!.runs.map((r) => r.tests[0]!.status)).toEqual(['pass', 'pass']);
    expect(bad).toMatchObject({ role: 'bad-end', verdict: 'bad' });
    expect(bad!.runs.map((r) => r.tests[0]!.status)).toEqual(['fail', 'fail']);
    expect(bad!.runs[0]!.tests[0]!.message).toMatch(/svmtest-bisect/);
    // Each step: build (with make's own share), boot, runs.
    for (const step of first.steps) {
      expect(step.runs.length).toBeGreaterThan(0);
      for (const run of step.runs) expect(run.bootMs).toBeGreaterThan(0);
      if (!step.build.cacheHit && step.n > 0) {
        // An incremental step's build is make and little else: ≤ 1.1 × make alone.
        expect(step.build.ms, JSON.stringify(step.build)).toBeLessThanOrEqual(step.build.makeMs! * 1.1);
      }
    }
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('uts: set a default domain name');
    const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'junit.xml'), 'utf8'));
    expect(JSON.stringify(junit)).toContain(first.firstBad!.commit);
    expect(existsSync(join(out, 'bisect.log'))).toBe(true);
  }, 3_900_000);

  it('a patch that does not build is a skip: the answer is one of the two commits git bisect could not separate (exit 3)', async () => {
    const out = join(dir, 'helper');
    const r = await svmtest(['bisect', '-c', config, '--suite-file', suite, '-t', 'series/Series.NoHelper', '--target', 'qemu', '--runs', '1', '-o', out], {
      env: env(),
    });
    expect(r.exitCode, r.stderr).toBe(3);
    const file = readBisect(out);
    expect(file.bisect.outcome).toBe('ambiguous');
    expect(file.candidates?.map((c) => c.patch).sort()).toEqual([2, 3]);
    const skipped = file.steps.find((s) => s.verdict === 'skip')!;
    expect(skipped.commit.patch).toBe(2);
    expect(skipped.reason).toMatch(/^build failed: .*svmtest_bisect_helper/);
    expect(r.stdout).toMatch(/ambiguous: the first bad commit is one of 2 commits/);
  }, 1_200_000);

  it('a test that fails one run in three at bad is reported as flaky, not bisected (exit 2, with the runs to use)', async () => {
    const out = join(dir, 'flaky');
    const r = await svmtest(['bisect', '-c', config, '--suite-file', suite, '-t', 'series/Series.FlakyAtBad', '--target', 'qemu', '--runs', '3', '-o', out], {
      env: env(),
    });
    expect(r.exitCode, r.stderr).toBe(2);
    const file = readBisect(out);
    expect(file.bisect.outcome).toBe('flaky');
    expect(file.steps.find((s) => s.role === 'bad-end')!.runs.map((r) => r.tests[0]!.status)).toEqual(['pass', 'fail', 'pass']);
    expect(file.bisect.message).toMatch(/failed 1 of 3 runs.*--runs \d+/);
    expect(file.steps.filter((s) => s.role === 'step')).toHaveLength(0);
  }, 900_000);

  it('an end that disagrees stops with exit 2 and says which', async () => {
    const { patches } = await seriesCommits();
    const out = join(dir, 'disagree');
    const r = await svmtest(
      ['bisect', '-c', config, '--suite-file', suite, '-t', 'series/Series.DomainName', '--good', patches[3]!, '--target', 'qemu', '--runs', '1', '-o', out],
      { env: env() },
    );
    expect(r.exitCode, r.stderr).toBe(2);
    const file = readBisect(out);
    expect(file.bisect.outcome).toBe('ends-disagree');
    expect(file.bisect.message).toMatch(/the test does not pass at good .*uts: set a default domain name/);
  }, 600_000);

  it('--from-history bisects between the kernels of the last good and the first bad night', async () => {
    const { patches } = await seriesCommits();
    const db = join(dir, 'history.db');
    const xml = (failed: boolean) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="1" failures="${failed ? 1 : 0}" name="AllTests"><testsuite name="Series" tests="1" failures="${failed ? 1 : 0}"><testcase name="DomainName" status="run" result="completed" time="0.01" classname="Series">${failed ? '<failure message="domain name" type=""/>' : ''}</testcase></testsuite></testsuites>\n`;
    for (const [night, commit, failed] of [
      ['2026-11-20', patches[1], false],
      ['2026-11-21', patches[2], false],
      ['2026-11-22', patches[4], true],
      ['2026-11-23', patches[5], true],
    ] as const) {
      const file = join(dir, `night-${night}.xml`);
      writeFileSync(file, xml(failed));
      const parsed = await svmtest([
        'parse',
        file,
        '--suite',
        'series',
        '--variant',
        'gpusvm',
        '--commit',
        commit!,
        '--night',
        night,
        '-o',
        join(dir, `night-${night}`),
      ]);
      expect(parsed.exitCode, parsed.stderr).toBe(0);
      const imported = await svmtest(['history', 'import', join(dir, `night-${night}`), '--db', db]);
      expect(imported.exitCode, imported.stderr).toBe(0);
    }
    const out = join(dir, 'from-history');
    const r = await svmtest(
      ['bisect', '-c', config, '--suite-file', suite, '--from-history', 'series/Series.DomainName', '--db', db, '--target', 'qemu', '--runs', '1', '-o', out],
      { env: env() },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const file = readBisect(out);
    expect(file.bisect.fromHistory).toMatchObject({
      lastGood: { night: '2026-11-21', commit: patches[2] },
      firstBad: { night: '2026-11-22', commit: patches[4] },
    });
    expect(file.bisect.good.commit).toBe(patches[2]);
    expect(file.bisect.bad.commit).toBe(patches[4]);
    expect(file.firstBad?.commit).toBe(patches[3]);
    expect(patchOf(file, patches[3]!)).toBe(4);
    // Every step's kernel was built by an earlier bisect of the same series: all cache hits.
    expect(file.steps.every((s) => s.build.cacheHit)).toBe(true);
  }, 900_000);
});

describe('svmtest bisect --target ssh on the lab in a box', () => {
  let lab: Awaited<ReturnType<typeof startLab>> | undefined;

  afterAll(async () => {
    await lab?.stop();
  });

  it("kexecs each step's kernel on the DUT and finds the same patch; ssh.restore reboots the DUT once, at the end", async () => {
    const { patches } = await seriesCommits();
    // The DUT runs the series' base kernel (built by the first test), as a lab machine runs its distribution's.
    const baseKernel = first.steps.find((s) => s.role === 'good-end')!.build.artifact!;
    lab = await startLab('bisect', { kernel: join(baseKernel, 'bzImage') });
    await lab.waitForSsh(240_000);
    const sshConfig = join(dir, 'ssh.yaml');
    const base = parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(sshConfig, stringify({ ...base, ssh: lab.sshConfig({ initrd: lab.initramfs, bootTimeout: 240, restore: true }) }));
    const out = join(dir, 'ssh');
    const r = await svmtest(
      [
        'bisect',
        '-c',
        sshConfig,
        '--suite-file',
        suite,
        '-t',
        'series/Series.DomainName',
        '--good',
        patches[2]!,
        '--bad',
        patches[4]!,
        '--target',
        'ssh',
        '--runs',
        '1',
        '-o',
        out,
      ],
      { env: env() },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const file = readBisect(out);
    expect(file.firstBad?.commit).toBe(patches[3]);
    expect(file.bisect.target).toBe('ssh');
    const kexecs = (r.stderr.match(/booting \S+ on the DUT with kexec/g) ?? []).length;
    expect(kexecs).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/rebooting the DUT into its default kernel \(ssh\.restore\)/);
    expect((r.stderr.match(/rebooting the DUT into its default kernel/g) ?? []).length).toBe(1);
    // Each step ran on the kernel built for it: the DUT's release and the step's commit agree.
    for (const step of file.steps) expect(step.runs[0]!.tests[0]!.status).toBe(step.verdict === 'good' ? 'pass' : 'fail');
  }, 1_200_000);
});
