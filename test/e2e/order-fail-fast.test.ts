import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { nightlyProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

// --order history and --fail-fast on real runs of a generated 60-test gtest program, with a history
// store seeded by real nightly runs: Area3.Case23 failed last night, Area7.Case47 flips between nights.
let dir: string;
let config: string;
let db: string;
const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
/** The tests in the order their results were journaled. */
const journalOrder = (out: string) =>
  readFileSync(join(out, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; test?: { name: string; status: string } })
    .flatMap((r) => (r.type === 'test' && r.test ? [r.test] : []));

const NIGHT_FAILS = ['Area7.Case47', '', 'Area7.Case47', '', 'Area3.Case23,Area7.Case47'];

beforeAll(async () => {
  const program = await nightlyProgram(60);
  dir = tempDir('svmtest-order-');
  const suite = writeSuiteFile(dir, { name: 'nightly', kind: 'gtest', command: [program] });
  config = writeConfig(
    dir,
    { suiteFiles: [suite], suites: [], profile: 'full' },
    { variants: { legacy: { expect: { kfd: false } }, gpusvm: { expect: { kfd: false } } } },
  );
  db = join(dir, 'history.db');
  for (const [i, fails] of NIGHT_FAILS.entries()) {
    const out = join(dir, `night-${i + 1}`);
    const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '-o', out], { env: { SVMTEST_FIXTURE_FAIL: fails } });
    expect(r.exitCode, r.stderr).toBe(fails ? 1 : 0);
    expect((await svmtest(['history', 'import', '--db', db, '--night', `2026-11-0${i + 1}`, out])).exitCode).toBe(0);
  }
}, SETUP_TIMEOUT_MS);

describe('--order history', () => {
  it('runs the test failing recently first, then the flaky one; the same tests as --order name', async () => {
    const byHistory = join(dir, 'by-history');
    const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '--order', 'history', '--history', db, '-o', byHistory]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--order history: 60 tests of gpusvm in the store, 2 failing recently or flaky run first/);
    expect(
      journalOrder(byHistory)
        .slice(0, 2)
        .map((t) => t.name),
    ).toEqual(['Area3.Case23', 'Area7.Case47']);
    const byName = join(dir, 'by-name');
    expect((await svmtest(['run', '-c', config, '--variant', 'gpusvm', '--order', 'name', '-o', byName])).exitCode).toBe(0);
    expect(journalOrder(byName)[0]!.name).toBe('Area0.Case0');
    const names = (out: string) =>
      readRunFile(out)
        .tests.map((t) => t.name)
        .sort();
    expect(names(byHistory)).toEqual(names(byName));
    expect(names(byHistory)).toHaveLength(60);
  });

  it("with --shard: both shards balanced by the store's durations, and a shard importing tonight first changes nothing for the other", async () => {
    const store = join(dir, 'shards.db');
    copyFileSync(db, store);
    const shard = async (index: number) => {
      const out = join(dir, `shard-${index}`);
      const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '--order', 'history', '--history', store, '--shard', `${index}/2`, '-o', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/--shard \d\/2: balanced by the store's median durations, not by hash/);
      expect(r.stderr).toMatch(/60 tests of gpusvm in the store \(nights before \d{4}-\d{2}-\d{2}\)/);
      return new Set(readRunFile(out).tests.map((t) => t.name));
    };
    const first = await shard(1);
    // Shard 1 finishes and imports tonight's results before shard 2 starts.
    const tonight = new Date().toISOString().slice(0, 10);
    expect((await svmtest(['history', 'import', '--db', store, '--night', tonight, join(dir, 'shard-1')])).exitCode).toBe(0);
    const second = await shard(2);
    expect([...first].filter((name) => second.has(name))).toEqual([]);
    expect(first.size + second.size).toBe(60);
    expect(first.size).toBeGreaterThan(0);
    expect(second.size).toBeGreaterThan(0);
    // The night a shard reads up to is saved with the run: resumed after midnight, it plans as it did.
    const requestFile = join(dir, 'shard-2', 'request.json');
    const saved = JSON.parse(readFileSync(requestFile, 'utf8')) as { request: { orderNight?: string } };
    expect(saved.request.orderNight).toBe(tonight);
    writeFileSync(requestFile, JSON.stringify({ ...saved, request: { ...saved.request, orderNight: '2026-11-30' } }));
    const resumed = await svmtest(['run', '--resume', join(dir, 'shard-2')]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/60 tests of gpusvm in the store \(nights before 2026-11-30\)/);
    expect(new Set(readRunFile(join(dir, 'shard-2')).tests.map((t) => t.name))).toEqual(second);
  });

  it('a store that is not there is one line, exit 2', async () => {
    const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '--order', 'history', '--history', join(dir, 'none.db'), '-o', join(dir, 'nostore')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/none\.db: no history store there/);
  });
});

describe('--fail-fast N --baseline-run DIR', () => {
  it('stops after the first regression; the rest is notrun and every report says why; old failures do not count', async () => {
    const baseline = join(dir, 'night-5'); // Area3.Case23 and Area7.Case47 failed there: not regressions
    const out = join(dir, 'fast');
    const r = await svmtest(
      // One process per test: a batch of 60 instant tests would have finished them all before the stop reached it.
      [
        'run',
        '-c',
        config,
        '--variant',
        'gpusvm',
        '--isolate',
        '--order',
        'history',
        '--history',
        db,
        '--fail-fast',
        '1',
        '--baseline-run',
        baseline,
        '-o',
        out,
      ],
      { env: { SVMTEST_FIXTURE_FAIL: 'Area3.Case23,Area7.Case47,Area1.Case11' } },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    expect(run.run.warnings!.join('\n')).toMatch(
      /stopped by --fail-fast 1 after 1 regression against .*night-5 \(nightly\/Area1\.Case11\); \d+ tests after it not run/,
    );
    expect(run.tests.find((t) => t.name === 'Area1.Case11')!.status).toBe('fail');
    const notrun = run.tests.filter((t) => t.status === 'notrun');
    expect(notrun.length).toBeGreaterThan(0);
    expect(notrun[0]!.message).toBe('not run: --fail-fast stopped the run');
    expect(r.stdout).toMatch(/WARNING: stopped by --fail-fast 1/);
  });

  it('--fail-fast without --baseline-run is an input error', async () => {
    const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '--fail-fast', '2', '-o', join(dir, 'nobase')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--fail-fast 2: give --baseline-run DIR/);
  });
});
