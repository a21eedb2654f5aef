import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonFile, PerfChange } from '../../src/model/comparison.js';
import { readComparison, readRun } from '../../src/model/run-file.js';
import { launchChromium } from '../helpers/browser.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { perfProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

// The performance verdict end to end: a real gtest program whose Perf.FaultHeavy sleeps 30 % longer
// under the candidate's environment, run by `svmtest ci --repeat 10` on the host (ten times over) and
// in a QEMU guest. Only that test may be flagged, and it must be, every time.
let dir: string;
let suite: string;
const VARIANTS = {
  legacy: { expect: { kfd: false } },
  gpusvm: { expect: { kfd: false }, env: { SVMTEST_FIXTURE_SLOW_FAULTS: '1' } },
};

beforeAll(async () => {
  const program = await perfProgram();
  // Inside the repository: the guest sees the host's /tmp hidden under its own tmpfs.
  dir = tempDir('svmtest-perf-');
  suite = writeSuiteFile(dir, {
    name: 'perf',
    kind: 'gtest',
    command: [program],
    timeout: 60,
    metrics: [
      { name: 'copy {size} bandwidth', pattern: '^Copy (?<size>\\w+): (?<value>[\\d.]+) GB/s', unit: 'GB/s', better: 'higher' },
      { name: 'dispatch latency', pattern: 'Average Time to Completion: (?<value>[\\d.]+) uS', unit: 'us', better: 'lower' },
    ],
  });
}, SETUP_TIMEOUT_MS);

const flagged = (c: ComparisonFile) => c.performance!.changes.filter((p) => p.verdict !== 'same');

function expectOnlyFaultHeavySlower(comparison: ComparisonFile): PerfChange {
  expect(flagged(comparison).map((p) => `${p.name} ${p.metric} ${p.verdict}`)).toEqual(['Perf.FaultHeavy duration slower']);
  const slow = flagged(comparison)[0]!;
  expect(slow.low!).toBeGreaterThan(1);
  expect(slow.ratio!).toBeGreaterThan(1.15);
  expect(slow.baseline.samples).toHaveLength(10);
  expect(slow.candidate.samples).toHaveLength(10);
  return slow;
}

describe('svmtest ci --repeat: slower, faster or the same, with a confidence', () => {
  it('on the host, 10 comparisons out of 10 flag the one slower test and nothing else', async () => {
    // The host's kernel log is shared with the other test lane, whose host tests write GPU fault
    // records: on this lane's host runs such a record would fail whatever test is running (it did, a
    // sample short), so their records do not decide a status here. (The QEMU guest below has its own.)
    const config = writeConfig(dir, { suiteFiles: [suite], suites: [], profile: 'full', kernelEvents: 'ignore' }, { variants: VARIANTS });
    const ratios: number[] = [];
    for (let i = 1; i <= 10; i++) {
      const out = join(dir, `host-${i}`);
      const r = await svmtest(['ci', '-c', config, '--repeat', '10', '-o', out, '-r', 'terminal,markdown,junit']);
      expect(r.exitCode, r.stderr).toBe(0); // slower is not a failure unless --fail-on says so
      const comparison = readComparison(join(out, 'comparison.json'));
      ratios.push(expectOnlyFaultHeavySlower(comparison).ratio!);
      if (i > 1) continue;
      // The first comparison, read closely: samples and metrics in run.json, every report's section.
      const candidate = readRun(join(out, 'gpusvm', 'run.json'));
      const copy = candidate.tests.find((t) => t.name === 'Perf.Copy')!;
      expect(copy.metrics!['copy 64M bandwidth']).toMatchObject({ unit: 'GB/s', better: 'higher' });
      expect(copy.samples).toHaveLength(10);
      expect(copy.samples!.every((s) => s.metrics!['copy 64M bandwidth']! > 11)).toBe(true);
      expect(candidate.run.repeat!.rounds).toBe(10);
      expect(comparison.performance!.changes.map((p) => p.metric)).toEqual(expect.arrayContaining(['copy 64M bandwidth', 'dispatch latency']));
      expect(r.stdout).toMatch(/SLOWER perf\/Perf\.FaultHeavy duration \(ms, lower is better\): 1\.\d\d× \[1\.\d\d, 1\.\d\d\]/);
      expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/### Performance[\s\S]*\| slower \| perf\/Perf\.FaultHeavy \|/);
      expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<property name="perf duration" value="slower 1\.\d\d× /);
      // The rounds alternate: round 2 runs the candidate first, round 3 the baseline.
      expect(r.stderr.indexOf('gpusvm: repeat round 2/10')).toBeLessThan(r.stderr.indexOf('legacy: repeat round 2/10'));
      expect(r.stderr.indexOf('legacy: repeat round 3/10')).toBeLessThan(r.stderr.indexOf('gpusvm: repeat round 3/10'));
      // --fail-on slower turns the verdict into exit 1; `report` computes the same verdicts again.
      const strict = await svmtest(['compare', join(out, 'legacy'), join(out, 'gpusvm'), '--fail-on', 'regression,slower', '-o', join(dir, 'strict')]);
      expect(strict.exitCode, strict.stderr).toBe(1);
      expect((await svmtest(['report', join(out, 'comparison.json')])).exitCode).toBe(0);
    }
    console.log(`Perf.FaultHeavy ratios over 10 comparisons: ${ratios.map((r) => r.toFixed(3)).join(' ')}`);
    // Three of them as three nights of a history store: "slower since" the first, like "failing since".
    const db = join(dir, 'history.db');
    for (const night of [1, 2, 3]) {
      const imported = await svmtest(['history', 'import', '--db', db, '--night', `2026-11-0${night}`, join(dir, `host-${night}`)]);
      expect(imported.exitCode, imported.stderr).toBe(0);
    }
    const perf = await svmtest(['history', 'perf', '--db', db]);
    expect(perf.exitCode, perf.stderr).toBe(0);
    expect(perf.stdout).toMatch(/^perf\/Perf\.FaultHeavy duration \(ms, no GPU\): SLOWER since 2026-11-01, latest 1\.\d\d×\[1\.\d\d,1\.\d\d\]$/m);
    expect(perf.stdout.match(/SLOWER since/g)).toHaveLength(1);
    const all = JSON.parse((await svmtest(['history', 'perf', '--db', db, '--all', '--json'])).stdout) as {
      items: Array<{ name: string; metric: string; nights: unknown[] }>;
    };
    expect(all.items).toHaveLength(7);
    expect(all.items.every((i) => i.nights.length === 3)).toBe(true);
    // The dashboard's Performance tab, in a real browser: the slower test, since the first night.
    const site = join(dir, 'site');
    const built = await svmtest(['dashboard', '--db', db, '-o', site, '--nights', '5']);
    expect(built.exitCode, built.stderr).toBe(0);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${join(site, 'index.html')}#performance`);
      await page.waitForSelector('body[data-ready=true]');
      const rows = page.locator('#perf-table tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('td').nth(0).textContent()).toBe('perf/Perf.FaultHeavy');
      expect(await rows.first().locator('td').nth(3).textContent()).toBe('slower since 2026-11-01');
      expect(await rows.first().locator('td').nth(5).textContent()).toMatch(/^▲1\.\d\d ▲1\.\d\d ▲1\.\d\d$/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 600_000);

  it("in a QEMU guest the same program gives the same verdict; a round runs on the guest its variant's previous run booted", async () => {
    const k = debianKernel();
    const config = writeConfig(
      dir,
      { suiteFiles: [suite], suites: [], profile: 'full' },
      { variants: VARIANTS, qemu: { memory: 1024, bootTimeout: 240, modprobe: [] } },
    );
    const out = join(dir, 'qemu');
    const r = await svmtest([
      'ci',
      '-c',
      config,
      '--target',
      'qemu',
      '--kernel',
      k.kernel,
      '--modules',
      k.modules,
      '--repeat',
      '10',
      '-o',
      out,
      '-r',
      'terminal',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const comparison = readComparison(join(out, 'comparison.json'));
    expect(comparison.candidate.target).toBe('qemu');
    expectOnlyFaultHeavySlower(comparison);
    // Rounds come in pairs (legacy, gpusvm | gpusvm, legacy | legacy, gpusvm …): the second of a
    // pair runs on the guest the first booted. 20 runs, 11 boots.
    expect(r.stderr.match(/^(legacy|gpusvm): on the machine its last run used$/gm)).toHaveLength(9);
    const booted = (variant: string, round: number) => existsSync(join(out, variant, ...(round === 1 ? [] : ['repeats', String(round)]), '.agent'));
    expect([1, 2, 3, 4, 5].map((round) => booted('gpusvm', round))).toEqual([true, false, true, false, true]);
    expect([1, 2, 3, 4, 5].map((round) => booted('legacy', round))).toEqual([true, true, false, true, false]);
    for (const variant of ['legacy', 'gpusvm']) {
      expect(
        readdirSync(join(out, variant, '.agent')).filter((f) => f.startsWith('boot-')),
        variant,
      ).toEqual(['boot-1']);
      // The guest's kernel-log marks go on numbering across runs: every round attributes by marks.
      for (let round = 2; round <= 10; round++) {
        const run = readRun(join(out, variant, 'repeats', String(round), 'run.json')).run;
        expect([run.status, run.kernelAttribution], `${variant} round ${round}`).toEqual(['complete', 'markers']);
      }
    }
  }, 900_000);
});
