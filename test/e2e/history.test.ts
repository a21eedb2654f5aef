import { execa } from 'execa';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrationsFor } from '../../src/history/migrations.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { launchChromium } from '../helpers/browser.js';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { makeRun, result } from '../helpers/runs.js';
import { freshStore, type StoreKind } from '../helpers/stores.js';
import { serveStatic } from '../helpers/static-server.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

// A seeded history: six nights of the real engine running the project's gtest program as the
// baseline (legacy) and the candidate (gpusvm), failures injected at known nights:
//   Nightly.BreaksLater fails in the candidate from night 4 on — a regression, first bad on night 4;
//   Nightly.Flickers fails in the candidate on nights 2, 4 and 6 — a flake, never a regression.
const NIGHTS = 6;
const ENGINE_SOURCE = join(REPO_ROOT, 'test/fixtures/programs/engine_tests.cc');
/** The 1-based line of the fixture's source that defines a test, so that editing the fixture does not break the check. */
const sourceLineOf = (testDef: string) => {
  const index = readFileSync(ENGINE_SOURCE, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(`TEST(${testDef})`));
  if (index < 0) throw new Error(`${ENGINE_SOURCE} defines no TEST(${testDef})`);
  return index + 1;
};
const night = (i: number) => `2026-11-0${i}`;
const FAILS: Record<number, string> = {
  2: 'Nightly.Flickers',
  3: '',
  4: 'Nightly.BreaksLater,Nightly.Flickers',
  5: 'Nightly.BreaksLater',
  6: 'Nightly.BreaksLater,Nightly.Flickers',
};

let dir: string;
let nightDirs: string[];

async function seedNight(i: number, config: string, suite: string): Promise<string> {
  const out = join(dir, `night-${i}`);
  for (const variant of ['legacy', 'gpusvm']) {
    const env = { SVMTEST_FIXTURE_FAIL: variant === 'gpusvm' ? (FAILS[i] ?? '') : '' };
    const r = await svmtest(['run', '-c', config, '--variant', variant, '--suite-file', suite, '-f', 'fixture/Nightly.*', '-o', join(out, variant)], { env });
    expect([0, 1]).toContain(r.exitCode);
  }
  const cmp = await svmtest(['compare', join(out, 'legacy'), join(out, 'gpusvm'), '-o', out, '-r', 'json']);
  expect([0, 1]).toContain(cmp.exitCode);
  return out;
}

beforeAll(async () => {
  const program = await gtestProgram();
  dir = tempDir('svmtest-history-');
  const config = writeConfig(dir, {}, { variants: { legacy: { expect: { kfd: false } }, gpusvm: { expect: { kfd: false } } } });
  const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
  nightDirs = [];
  for (let i = 1; i <= NIGHTS; i++) nightDirs.push(await seedNight(i, config, suite));
}, SETUP_TIMEOUT_MS);

async function importAll(db: string): Promise<void> {
  for (let i = 1; i <= NIGHTS; i++) {
    const r = await svmtest(['history', 'import', '--db', db, '--night', night(i), nightDirs[i - 1]!]);
    expect(r.exitCode, r.stderr).toBe(0);
  }
}

/** A history command's --json envelope: {schemaVersion, kind, items} and what it puts beside the items. */
const json = async <T>(args: string[]) => {
  const r = await svmtest([...args, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  const envelope = JSON.parse(r.stdout) as { schemaVersion: number; kind: string; items: unknown[] } & T;
  expect(envelope.schemaVersion).toBe(1);
  expect(Array.isArray(envelope.items)).toBe(true);
  return envelope;
};

describe.each(['sqlite', 'postgres'] as StoreKind[])('the history store (%s)', (kind) => {
  let db: string;
  beforeAll(async () => {
    db = await freshStore(kind, dir);
    await importAll(db);
  }, 300_000);

  it('a regression: first bad night, last good night; the flake beside it is never called one', async () => {
    type Report = {
      items: Array<{ name: string; firstBad: { night: string }; lastGood: { night: string }; candidate: string; baseline: string }>;
      flakyApart: Array<{ name: string }>;
    };
    const report = await json<Report>(['history', 'regressions', '--db', db]);
    expect(report.kind).toBe('regressions');
    expect(report.items.map((r) => r.name)).toEqual(['Nightly.BreaksLater']);
    expect(report.items[0]).toMatchObject({ firstBad: { night: night(4) }, lastGood: { night: night(3) }, candidate: 'gpusvm', baseline: 'legacy' });
    expect(report.flakyApart.map((f) => f.name)).toEqual(['Nightly.Flickers']);
  });

  it('flake scoring tells "fails every night since X" from "fails some nights"', async () => {
    const flaky = (
      await json<{ items: Array<{ name: string; variant: string; score: { failures: number; nights: number; flips: number } }> }>([
        'history',
        'flaky',
        '--db',
        db,
      ])
    ).items;
    expect(flaky.map((f) => [f.name, f.variant])).toEqual([['Nightly.Flickers', 'gpusvm']]);
    expect(flaky[0]!.score).toMatchObject({ failures: 3, nights: 6, flips: 5 });
    const show = await json<{
      items: Array<{ variant: string; nights: Array<{ status: string }>; score: { pattern: string; since?: string } }>;
      verdicts: Array<{ night: string; verdict: string }>;
    }>(['history', 'show', '--db', db, 'fixture/Nightly.BreaksLater']);
    expect(show.kind).toBe('test-history');
    const gpusvm = show.items.find((s) => s.variant === 'gpusvm')!;
    expect(gpusvm.nights.map((n) => n.status)).toEqual(['pass', 'pass', 'pass', 'fail', 'fail', 'fail']);
    expect(gpusvm.score).toMatchObject({ pattern: 'failing-since', since: night(4) });
    // "pass" verdicts are implied, not stored: they come back all the same.
    expect(show.verdicts.map((v) => v.verdict)).toEqual(['pass', 'pass', 'pass', 'regression', 'regression', 'regression']);
    const text = await svmtest(['history', 'show', '--db', db, 'fixture/Nightly.Flickers']);
    expect(text.stdout).toMatch(/gpusvm\s+no GPU\s+\.F\.F\.F {2}intermittent/);
  });

  it('trend: counts per night and variant, regressions per night', async () => {
    const t = await json<{
      items: Array<{ night: string; variant: string; counts: Record<string, number> }>;
      regressions: Array<{ night: string; count: number }>;
    }>(['history', 'trend', '--db', db]);
    expect(new Set(t.items.map((n) => n.night)).size).toBe(NIGHTS);
    expect(t.items.find((n) => n.night === night(5) && n.variant === 'gpusvm')?.counts).toEqual({ pass: 2, fail: 1 });
    expect(t.regressions.map((r) => [r.night, r.count])).toEqual([
      [night(2), 1],
      [night(4), 2],
      [night(5), 1],
      [night(6), 2],
    ]);
  });

  it('importing the same nights again changes nothing', async () => {
    const outcomes: string[] = [];
    for (let i = 1; i <= NIGHTS; i++) {
      for (const r of (await json<{ items: Array<{ outcome: string }> }>(['history', 'import', '--db', db, '--night', night(i), nightDirs[i - 1]!])).items)
        outcomes.push(r.outcome);
    }
    expect(outcomes).toHaveLength(NIGHTS * 3);
    expect(new Set(outcomes)).toEqual(new Set(['unchanged']));
    const t = await json<{ items: unknown[] }>(['history', 'trend', '--db', db]);
    expect(t.items).toHaveLength(NIGHTS * 2);
  });

  it('two shard jobs importing at once lose nothing; a shard alone is marked incomplete', async () => {
    const shardsDir = join(dir, `shards-${kind}`);
    const config = writeConfig(tempDir('svmtest-shard-cfg-'));
    const suite = writeSuiteFile(tempDir('svmtest-shard-suite-'), { name: 'fixture', kind: 'gtest', command: [await gtestProgram()] });
    for (const i of [1, 2, 3]) {
      await svmtest(['run', '-c', config, '--suite-file', suite, '-f', 'fixture/Slow.*', '--shard', `${i}/3`, '-o', join(shardsDir, `s${i}`)]);
    }
    const [a, b] = await Promise.all(
      [1, 2].map((i) => svmtest(['history', 'import', '--db', db, '--night', '2026-11-10', join(shardsDir, `s${i}`), '--json'])),
    );
    expect(a!.exitCode, a!.stderr).toBe(0);
    expect(b!.exitCode, b!.stderr).toBe(0);
    const missing = [...JSON.parse(a!.stdout).items, ...JSON.parse(b!.stdout).items].map((r: { missingShards?: number[] }) => r.missingShards ?? []);
    expect(missing.some((m) => m.includes(3))).toBe(true);
    const last = await json<{ items: Array<{ missingShards?: number[] }> }>(['history', 'import', '--db', db, '--night', '2026-11-10', join(shardsDir, 's3')]);
    expect(last.items[0]!.missingShards).toBeUndefined();
    const show = await json<{ items: Array<{ nights: Array<{ night: string }> }> }>(['history', 'show', '--db', db, 'fixture/Slow.Step0']);
    expect(show.items[0]!.nights.map((n) => n.night)).toContain('2026-11-10');
  });
});

describe.each(['sqlite', 'postgres'] as StoreKind[])('the history store refuses what would make it lie (%s)', (kind) => {
  const runFile = (name: string, run: ReturnType<typeof makeRun>) => {
    const file = join(dir, `${kind}-${name}.json`);
    writeFileSync(file, JSON.stringify(run));
    return file;
  };
  const refused = async (args: string[], pattern: RegExp) => {
    const r = await svmtest(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error/);
  };

  it('a comparison alone imports the runs it names from beside it; one whose runs are nowhere is refused', async () => {
    const db = await freshStore(kind, dir);
    const alone = join(dir, `${kind}-alone`);
    mkdirSync(alone);
    copyFileSync(join(nightDirs[3]!, 'comparison.json'), join(alone, 'comparison.json'));
    await refused(
      ['history', 'import', '--db', db, join(alone, 'comparison.json')],
      /its baseline run .* is neither in the history nor imported with it; import its run\.json too/,
    );
    const r = await svmtest(['history', 'import', '--db', db, join(nightDirs[3]!, 'comparison.json')]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = await json<{ items: Array<{ name: string }> }>(['history', 'regressions', '--db', db]);
    // Night 4 alone: both failures are regressions (no earlier nights to tell the flake).
    expect(report.items.map((i) => i.name).sort()).toEqual(['Nightly.BreaksLater', 'Nightly.Flickers']);
  });

  it('a night in the future, a reused run id, overlapping shards and names with NUL are refused, naming the conflict', async () => {
    const db = await freshStore(kind, dir);
    const future = runFile('future', makeRun('gpusvm', [result('s', 'A.a', 'pass')], { startedAt: '9999-12-31T00:00:00.000Z' }));
    await refused(['history', 'import', '--db', db, future], /night 9999-12-31 is in the future/);
    await refused(['history', 'import', '--db', db, '--night', '9999-12-31', nightDirs[0]!], /--night: night 9999-12-31 is in the future/);

    const first = makeRun('gpusvm', [result('s', 'A.a', 'pass')], { id: 'run-one', startedAt: '2026-11-20T00:00:00.000Z' });
    expect((await svmtest(['history', 'import', '--db', db, runFile('first', first)])).exitCode).toBe(0);
    const impostor = makeRun('legacy', [result('s', 'A.a', 'fail')], { id: 'run-one', startedAt: '2026-11-21T00:00:00.000Z' });
    await refused(['history', 'import', '--db', db, runFile('impostor', impostor)], /run id run-one is already in the history as another run \(variant gpusvm/);

    const shard = (id: string, index: number, total: number) =>
      runFile(id, makeRun('gpusvm', [result('s', `T.${id}`, 'pass')], { id, startedAt: '2026-11-22T00:00:00.000Z', shard: { index, total } }));
    expect((await svmtest(['history', 'import', '--db', db, shard('s1of2', 1, 2)])).exitCode).toBe(0);
    await refused(['history', 'import', '--db', db, shard('again1of2', 1, 2)], /shard 1\/2 of gpusvm on 2026-11-22 .*overlaps run s1of2/);
    await refused(['history', 'import', '--db', db, shard('s2of3', 2, 3)], /shard 2\/3 of gpusvm on 2026-11-22 .*overlaps run s1of2 .*\(shard of 2\)/);

    for (const [suite, name] of [
      ['a\u0000b', 'c'],
      ['a', 'b\u0000c'],
      ['a', 'x'.repeat(1_000_000)],
    ] as const) {
      await refused(['history', 'import', '--db', db, runFile('names', makeRun('gpusvm', [result(suite, name, 'pass')]))], /tests\[0\]\.(suite|name)/);
    }
  });
});

describe('the history store refuses what it cannot read', () => {
  it('a reader never creates a store: a mistyped --db is exit 2, not an empty green history; a foreign SQLite file is never written', async () => {
    const typo = join(dir, 'histroy.db');
    for (const command of [['regressions'], ['flaky'], ['trend'], ['show', 'fixture/Nightly.Flickers']]) {
      const r = await svmtest(['history', ...command, '--db', typo]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/histroy\.db: no history store there; svmtest history import .* creates one/);
    }
    const site = await svmtest(['dashboard', '--db', typo, '-o', join(dir, 'typo-site')]);
    expect(site.exitCode).toBe(2);
    expect(existsSync(typo)).toBe(false);

    const foreign = join(dir, 'app.db');
    const app = new Database(foreign);
    app.exec("create table users (id integer primary key, name text); insert into users (name) values ('alice')");
    app.close();
    const r = await svmtest(['history', 'import', '--db', foreign, nightDirs[0]!]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/app\.db: holds tables that are not svmtest's \(users\)/);
    const after = new Database(foreign);
    expect(after.prepare("select name from sqlite_master where type = 'table'").all()).toEqual([{ name: 'users' }]);
    after.close();
  });

  it('a misspelled or unknown URL scheme is refused without echoing the URL; a password with an @ is redacted whole', async () => {
    for (const url of ['postgress://ci:hunter2secret@db/hist', 'mysql://ci:hunter2secret@db/hist']) {
      const r = await svmtest(['history', 'import', nightDirs[0]!], { env: { SVMTEST_HISTORY_DB: url } });
      expect(r.exitCode).toBe(2);
      expect(r.stdout + r.stderr).not.toContain('hunter2');
      expect(existsSync(join(REPO_ROOT, 'postgress:'))).toBe(false);
    }
    const mixed = await svmtest(['history', 'trend'], { env: { SVMTEST_HISTORY_DB: 'Postgres://svm:w/rd#1@x@127.0.0.1:9/svm' } });
    expect(mixed.exitCode).toBe(3);
    expect(mixed.stderr).toMatch(/Postgres:\/\/svm:\*\*\*@127\.0\.0\.1:9\/svm: cannot connect/);
    expect(mixed.stderr).not.toMatch(/w\/rd/);
  });

  it('a foreign file as the database, a non-run file to import: exit 2 naming it', async () => {
    const text = join(dir, 'not-a-db.db');
    writeFileSync(text, 'hello, this is not SQLite\n');
    const r = await svmtest(['history', 'trend', '--db', text]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/not-a-db\.db: is not a SQLite database/);
    const notRun = join(dir, 'notes.json');
    writeFileSync(notRun, '{"hello": 1}\n');
    const imported = await svmtest(['history', 'import', '--db', join(dir, 'x.db'), notRun]);
    expect(imported.exitCode).toBe(2);
    expect(imported.stderr).toMatch(/notes\.json: schemaVersion is missing/);
  });

  it('$SVMTEST_HISTORY_DB names the store; a PostgreSQL password never reaches the output', async () => {
    // A closed port on this machine: the connection fails, and the message names the server without the secret.
    const r = await svmtest(['history', 'trend'], { env: { SVMTEST_HISTORY_DB: 'postgres://nightly:hunter2-secret@127.0.0.1:9/svm' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/127\.0\.0\.1:9\/svm: cannot connect to PostgreSQL/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });

  it('a store migrated to version 4 computes the same trend rollup from its results as import writes', async () => {
    const db = await freshStore('sqlite', dir);
    await importAll(db);
    const store = new Database(db);
    const written = store.prepare('select * from run_counts order by run_key, suite, status').all();
    expect(written.length).toBeGreaterThan(0);
    // Back to version 3: no rollup, the index it replaced, and none of the later columns.
    store.exec(
      "drop table perf_verdicts; drop table run_counts; create index results_by_test on results (test_id); alter table runs drop column warnings; alter table results drop column message; alter table results drop column first_event; alter table runs drop column kernel_build; alter table runs drop column userspace; delete from kysely_migration where name >= '004'",
    );
    store.close();
    expect((await svmtest(['history', 'trend', '--db', db])).exitCode).toBe(0);
    const migrated = new Database(db);
    expect(migrated.prepare('select * from run_counts order by run_key, suite, status').all()).toEqual(written);
    migrated.close();
  });

  it('an older database is migrated; a newer one is refused', async () => {
    const old = join(dir, 'old.db');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(old) }) });
    const migrations = migrationsFor('sqlite');
    await new Migrator({ db, provider: { getMigrations: async () => ({ '001_initial': migrations['001_initial']! }) } }).migrateToLatest();
    await db.destroy();
    // What version 1 stored: every verdict, "pass" (index 9) included.
    const v1 = new Database(old);
    v1.prepare("insert into comparisons values ('c1', 'a', 'b', '2026-11-01', '', '2026-11-01T00:00:00Z', '{}')").run();
    v1.prepare("insert into tests (id, suite, name) values (1, 's', 'passes'), (2, 's', 'regressed')").run();
    v1.prepare("insert into verdicts values ('c1', 1, 9), ('c1', 2, 0)").run();
    v1.close();
    const migrated = await svmtest(['history', 'import', '--db', old, nightDirs[0]!]);
    expect(migrated.exitCode, migrated.stderr).toBe(0);
    const check = new Database(old);
    expect(check.prepare("select count(*) as n from pragma_table_info('runs') where name = 'tool_version'").get()).toEqual({ n: 1 });
    expect(check.prepare("select test_id, verdict from verdicts where comparison_id = 'c1'").all()).toEqual([{ test_id: 2, verdict: 0 }]);
    check.prepare("insert into kysely_migration (name, timestamp) values ('999_from_the_future', '2027-01-01')").run();
    check.close();
    const newer = await svmtest(['history', 'trend', '--db', old]);
    expect(newer.exitCode).toBe(2);
    expect(newer.stderr).toMatch(/old\.db: was written by a newer svmtest/);
  });
});

describe('concurrent writers of one SQLite store', () => {
  it('4 importers of large runs (60,000 tests each) at once: each waits its turn, none fails with "database is locked"', async () => {
    const db = await freshStore('sqlite', dir);
    const files = [0, 1, 2, 3].map((i) => {
      const tests = Array.from({ length: 60_000 }, (_, n) => result('big', `Case${Math.floor(n / 100)}.T${n % 100}`, n % 97 === i ? 'fail' : 'pass'));
      const file = join(dir, `big-${i}.json`);
      writeFileSync(file, JSON.stringify(makeRun(i % 2 === 0 ? 'legacy' : 'gpusvm', tests, { startedAt: `2026-11-1${i}T01:00:00.000Z` })));
      return file;
    });
    const imports = await Promise.all(files.map((f, i) => svmtest(['history', 'import', '--db', db, '--night', `2026-11-1${i}`, f, '--json'])));
    for (const r of imports) {
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/locked|internal error/);
    }
    const trend = await json<{ items: unknown[] }>(['history', 'trend', '--db', db]);
    expect(trend.items).toHaveLength(4);
  }, 300_000);
});

describe('files outside the output directory are never written', () => {
  it('dashboard -o DIR holding symlinks (a file, the vendor directory) replaces the links, never the files they point to', async () => {
    const db = await freshStore('sqlite', dir);
    await importAll(db);
    const site = join(dir, 'site-links');
    const victim = join(dir, 'victim.txt');
    const victimDir = join(dir, 'victim-dir');
    mkdirSync(join(site), { recursive: true });
    mkdirSync(victimDir, { recursive: true });
    writeFileSync(victim, 'precious\n');
    writeFileSync(join(victimDir, 'uPlot.iife.min.js'), 'precious too\n');
    symlinkSync(victim, join(site, 'index.html'));
    symlinkSync(victim, join(site, 'data.js'));
    symlinkSync(victimDir, join(site, 'vendor'));
    const r = await svmtest(['dashboard', '--db', db, '-o', site]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(join(victimDir, 'uPlot.iife.min.js'), 'utf8')).toBe('precious too\n');
    expect(lstatSync(join(site, 'index.html')).isSymbolicLink()).toBe(false);
    expect(lstatSync(join(site, 'vendor')).isDirectory()).toBe(true);
    expect(readFileSync(join(site, 'index.html'), 'utf8')).toMatch(/<html/i);
  });

  it('dashboard -o FILE is one line, exit 2', async () => {
    const db = await freshStore('sqlite', dir);
    await importAll(db);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await svmtest(['dashboard', '--db', db, '-o', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/a-file: is a file, not a directory/);
  });

  it('a reader that goes away (`| true`, `| head`) ends svmtest quietly: no EPIPE stack trace', async () => {
    const db = await freshStore('sqlite', dir);
    await importAll(db);
    for (const reader of ['true', 'head -c 1']) {
      const r = await execa('bash', ['-c', `set -o pipefail; "$0" "$1" history trend --db "$2" | ${reader}`, process.execPath, BIN, db], {
        reject: false,
        env: { NO_COLOR: '1' },
      });
      expect(r.stderr, reader).not.toMatch(/EPIPE|internal error|\n\s+at /);
      expect([0, 141], `${reader}: ${r.stderr}`).toContain(r.exitCode);
    }
  });
});

describe('the dashboard, in a real browser', () => {
  const XSS = '<img src=x onerror="window.__xss=1">';
  let site: string;
  let db: string;
  beforeAll(async () => {
    db = await freshStore('sqlite', dir);
    await importAll(db);
    // A regression whose name is markup: it must show as text.
    const hostile = join(dir, 'hostile');
    const env = { gpus: [], kernelRelease: '6.18.0' };
    writeFileSync(
      join(dir, 'hostile-legacy.json'),
      JSON.stringify(makeRun('legacy', [result('evil', XSS, 'pass')], { environment: env, startedAt: '2026-11-06T01:00:00.000Z' })),
    );
    writeFileSync(
      join(dir, 'hostile-gpusvm.json'),
      JSON.stringify(
        makeRun('gpusvm', [result('evil', XSS, 'fail', { message: '<script>window.__xss=2</script>' })], {
          environment: env,
          startedAt: '2026-11-06T02:00:00.000Z',
          warnings: [`the DUT's SSH host key was not checked (--ssh-option StrictHostKeyChecking=no): the machine tested may not be ${XSS}`],
        }),
      ),
    );
    expect((await svmtest(['compare', join(dir, 'hostile-legacy.json'), join(dir, 'hostile-gpusvm.json'), '-o', hostile])).exitCode).toBe(1);
    await svmtest([
      'history',
      'import',
      '--db',
      db,
      '--night',
      night(6),
      join(dir, 'hostile-legacy.json'),
      join(dir, 'hostile-gpusvm.json'),
      join(hostile, 'comparison.json'),
    ]);
    site = join(dir, 'site');
    const built = await svmtest(['dashboard', '--db', db, '-o', site, '--nights', '10']);
    expect(built.exitCode, built.stderr).toBe(0);
  }, 300_000);

  it('renders from file:// with no console errors; filters narrow the tables; a regression shows its first bad night; markup stays text', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      let dialogs = 0;
      page.on('dialog', async (d) => {
        dialogs++;
        await d.dismiss();
      });
      await page.goto(`file://${join(site, 'index.html')}`);
      await page.waitForSelector('body[data-ready=true]');
      expect(await page.locator('#latest .card h3').first().textContent()).toBe(`no GPU — ${night(6)}`);
      // A run's warning stays with it through history into the overview, as text.
      expect(await page.locator('#warnings li').first().textContent()).toBe(
        `${night(6)} gpusvm on no GPU: the DUT's SSH host key was not checked (--ssh-option StrictHostKeyChecking=no): the machine tested may not be ${XSS}`,
      );
      await page.screenshot({ path: join(REPO_ROOT, 'test', '.tmp', 'dashboard.png') });

      await page.goto(`file://${join(site, 'index.html')}#regressions`);
      const rows = page.locator('#regression-table tbody tr');
      expect(await rows.count()).toBe(2);
      await page.fill('#f-text', 'BreaksLater');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('td').nth(5).textContent()).toBe(night(4));
      expect(await rows.first().locator('td').nth(6).textContent()).toBe(night(3));
      // The log (or run) link points into the run directory, which exists here.
      const href = (await rows.first().locator('a').first().getAttribute('href')) ?? '';
      expect(href).toMatch(/^file:\/\//);
      expect(existsSync(decodeURI(href.slice('file://'.length)).replace(/\/$/, ''))).toBe(true);

      await page.goto(`file://${join(site, 'index.html')}#tests`);
      await page.fill('#f-text', 'Nightly.BreaksLater');
      await page.selectOption('#f-variant', 'gpusvm');
      const strip = page.locator('#strip-table tbody tr td.strip').first();
      expect(await strip.getAttribute('data-statuses')).toBe('....PPPFFF');
      // What is drawn: the last good night green, the first bad night red (one cell per night).
      const pixel = (night: number) =>
        strip
          .locator('canvas')
          .evaluate(
            (c: HTMLCanvasElement, n) => [...(c.getContext('2d')?.getImageData(Math.floor(((n + 0.5) * c.width) / 10), 6, 1, 1).data ?? [])].slice(0, 3),
            night,
          );
      expect(await pixel(6)).toEqual([0x6c, 0xc2, 0x83]);
      expect(await pixel(7)).toEqual([0xe0, 0x64, 0x5a]);

      // The payload is a test name on the page, as text: no image element, no script ran.
      await page.fill('#f-text', '');
      await page.selectOption('#f-variant', '');
      await page.goto(`file://${join(site, 'index.html')}#regressions`);
      await expect.poll(() => page.locator('#regression-table td.test', { hasText: XSS }).count()).toBe(1);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(dialogs).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('published with its runs (--runs), served over HTTP: every link resolves; a regression shows why; a night page per comparison; deep links keep the header in view', async () => {
    const published = join(dir, 'site-published');
    const built = await svmtest(['dashboard', '--db', db, '-o', published, '--nights', '10', '--runs', dir]);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/\d+ night pages, \d+ run directories published/);
    const server = await serveStatic(published);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${server.url}/index.html#regressions`);
      await page.waitForSelector('body[data-ready=true]');
      // The deep link selects the tab with the header in view.
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      expect(await page.locator('header h1').isVisible()).toBe(true);
      const row = page.locator('#regression-table tbody tr', { hasText: 'Nightly.BreaksLater' });
      // The failure's first line names the assertion's place in the fixture's source.
      expect(await row.locator('td.why').textContent()).toContain(`engine_tests.cc:${sourceLineOf('Nightly, BreaksLater')}:`);
      // Every link of the dashboard and of each night page answers over HTTP; none points at this machine's files.
      const hrefs = new Set<string>();
      const collect = async () => {
        for (const href of await page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))) hrefs.add(href);
      };
      await collect();
      const nightPages = [...hrefs].filter((h) => h.includes('/nights/'));
      expect(nightPages.length).toBeGreaterThan(0);
      for (const nightPage of nightPages) {
        await page.goto(nightPage);
        await collect();
      }
      // The hostile night's page shows the name as text.
      const hostile = [...hrefs].find((h) => h.includes(`/nights/${night(6)}`))!;
      await page.goto(hostile);
      expect(await page.locator('td.test', { hasText: XSS }).count()).toBeGreaterThan(0);
      expect(await page.locator('img').count()).toBe(0);
      const logs = [...hrefs].filter((h) => h.includes('/runs/'));
      expect(logs.length).toBeGreaterThan(0);
      // A strip's failing night opens that night's log (or run.json); it answers too.
      await page.goto(`${server.url}/index.html#tests`);
      await page.waitForSelector('body[data-ready=true]');
      await page.fill('#f-text', 'Nightly.BreaksLater');
      await page.selectOption('#f-variant', 'gpusvm');
      const canvas = page.locator('#strip-table tbody tr td.strip canvas').first();
      const box = (await canvas.boundingBox())!;
      const [response] = await Promise.all([page.waitForNavigation(), canvas.click({ position: { x: box.width - 2, y: 5 } })]);
      expect(page.url()).toMatch(/\/runs\/[^/]+\/(run\.json|logs\/)/);
      expect(response?.status()).toBe(200);
      for (const href of hrefs) {
        if (href.startsWith('file:')) throw new Error(`a published link points at a local file: ${href}`);
        if (!href.startsWith(server.url)) continue;
        const r = await fetch(href.replace(/#.*$/, ''));
        expect(r.status, href).toBe(200);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it('--links publishes log links under one URL; anything but http(s) is refused', async () => {
    const db = await freshStore('sqlite', dir);
    await importAll(db);
    const linked = join(dir, 'site-linked');
    expect((await svmtest(['dashboard', '--db', db, '-o', linked, '--links', 'https://ci.example/runs/'])).exitCode).toBe(0);
    const data = readFileSync(join(linked, 'data.js'), 'utf8');
    expect(data).toContain('"linkBase":"https://ci.example/runs"');
    const bad = await svmtest(['dashboard', '--db', db, '-o', join(dir, 'site-bad'), '--links', 'javascript:alert(1)']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--links: expected an http\(s\) URL/);
  });
});
