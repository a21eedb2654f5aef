// The nightly history at scale: 365 nights × 2 variants × 5,000 tests, generated through the store's
// own import path, then the figures issue 13 sets — import one night, history regressions, the
// dashboard build, the largest page in Chromium, the store's size — on SQLite and on PostgreSQL.
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { compareRuns } from '../dist/compare/compare-runs.js';
import { NO_EXPECTATIONS } from '../dist/compare/expectations.js';
import { importComparison, importRun } from '../dist/history/import.js';
import { openStore } from '../dist/history/open-store.js';
import { fmtMb, fmtMs, row } from './measure.js';

const NIGHTS = Number(process.env.SVMTEST_BENCH_NIGHTS ?? 365);
const TESTS = 5000;
const SUITES = ['kfdtest', 'rocrtst', 'hip-tests'];
const FIRST_NIGHT = Date.parse('2025-11-26T00:00:00Z');
const nightOf = (n) => new Date(FIRST_NIGHT + n * 86_400_000).toISOString().slice(0, 10);

/** A small deterministic generator: the same history every time. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * One night's two runs. Legacy: a few known failures and rare flakes. gpusvm: the same, plus one
 * test in 100 that breaks on its own night (some fixed a month later), and flakier tests.
 */
export function nightRuns(n) {
  const rnd = random(n * 7919 + 1);
  const tests = { legacy: [], gpusvm: [] };
  for (let i = 0; i < TESTS; i++) {
    const suite = SUITES[i % SUITES.length];
    const name = `Svm${Math.floor(i / 50)}.Case${i % 50}/${i % 4}`;
    const knownFail = i % 250 === 0;
    const legacyFail = knownFail || (i % 500 === 7 && rnd() < 0.2);
    const breaks = (i * 7919) % NIGHTS;
    const regressed = i % 100 === 3 && n >= breaks && !(i % 200 === 3 && n >= breaks + 30);
    const gpusvmFail = knownFail || regressed || (i % 333 === 5 && rnd() < 0.15);
    for (const [variant, failing] of [
      ['legacy', legacyFail],
      ['gpusvm', gpusvmFail],
    ]) {
      const status = failing ? (regressed && i % 3 === 0 && variant === 'gpusvm' ? 'crash' : 'fail') : 'pass';
      const durationMs = Math.round(5 + rnd() * 400);
      tests[variant].push({
        suite,
        name,
        status,
        durationMs,
        attempts: [{ status, durationMs }],
        kernelEvents: status === 'crash' ? [{ kind: 'gpu-page-fault', timestamp: 812.5, summary: 'amdgpu 0000:03:00.0: [gfxhub] page fault', lines: [] }] : [],
        ...(failing ? { message: 'Value of: ret\n  Actual: 1\nExpected: 0', log: `logs/${suite}/${name.replace(/\W/g, '_')}.log` } : {}),
      });
    }
  }
  const run = (variant) => ({
    schemaVersion: 1,
    run: {
      id: `${variant}-night-${n}`,
      variant,
      target: 'qemu',
      startedAt: `${nightOf(n)}T0${variant === 'legacy' ? 1 : 3}:00:00.000Z`,
      finishedAt: `${nightOf(n)}T0${variant === 'legacy' ? 2 : 4}:00:00.000Z`,
      status: 'complete',
      environment: {
        gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }],
        kernelRelease: `6.18.0-svm-w${Math.floor(n / 7)}`,
        kernelVersion: `#1 SMP ${nightOf(n)}`,
        rocmVersion: '6.4.0',
      },
      toolVersion: '0.1.0',
    },
    tests: tests[variant],
    errors: [],
  });
  const legacy = run('legacy');
  const gpusvm = run('gpusvm');
  const comparison = compareRuns(legacy, gpusvm, { expectations: NO_EXPECTATIONS, now: new Date(`${nightOf(n)}T05:00:00Z`), toolVersion: '0.1.0' });
  return { legacy, gpusvm, comparison };
}

/** All nights but the last into the store, through the import path the CLI uses. */
export async function seed(location) {
  const store = await openStore(location, { create: true });
  try {
    for (let n = 0; n < NIGHTS - 1; n++) {
      const { legacy, gpusvm, comparison } = nightRuns(n);
      await importRun(store, legacy, { runDir: `/srv/svmtest/runs/${nightOf(n)}/legacy` });
      await importRun(store, gpusvm, { runDir: `/srv/svmtest/runs/${nightOf(n)}/gpusvm` });
      await importComparison(store, comparison);
      if (n % 50 === 0) process.stderr.write(`  seeded ${n + 1}/${NIGHTS - 1} nights\n`);
    }
  } finally {
    await store.close();
  }
}

const svmtest = (bin, args) => execa(process.execPath, [bin, ...args], { env: { NO_COLOR: '1' }, stdout: 'pipe', stderr: 'pipe' });

async function best(fn, repeat = 3) {
  let ms = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - start);
  }
  return ms;
}

/** Navigation start to the page's data-ready mark (rendered, handlers attached), best of 3. */
async function pageInteractive(site, tab) {
  const browser = await chromium.launch({
    executablePath: process.env.SVMTEST_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`file://${join(site, 'index.html')}#${tab}`);
      await page.waitForSelector('body[data-ready=true]');
      ms = Math.min(ms, await page.evaluate(() => performance.now()));
      await page.close();
    }
    return ms;
  } finally {
    await browser.close();
  }
}

/** The same figures for one store: `fresh` gives a copy of the seeded store to import the last night into. */
/** The last night's run and comparison files, as a nightly job hands them to `history import`. */
function lastNightFiles(dir) {
  const last = nightRuns(NIGHTS - 1);
  return ['legacy', 'gpusvm', 'comparison'].map((name) => {
    const file = join(dir, `last-${name}.json`);
    writeFileSync(file, JSON.stringify(name === 'comparison' ? last.comparison : last[name]));
    return file;
  });
}

async function figures(bin, dir, label, fresh, size) {
  const location = await fresh();
  const files = lastNightFiles(dir);
  const importMs = await best(() => svmtest(bin, ['history', 'import', '--db', location, ...files]), 1);
  const regressions = await svmtest(bin, ['history', 'regressions', '--db', location, '--json']);
  const found = JSON.parse(regressions.stdout);
  const regressionsMs = await best(() => svmtest(bin, ['history', 'regressions', '--db', location, '--json']));
  const site = join(dir, `site-${label}`);
  const dashboardMs = await best(() => svmtest(bin, ['dashboard', '--db', location, '-o', site, '--nights', String(NIGHTS)]));
  const overviewMs = await pageInteractive(site, 'overview');
  const stripsMs = await pageInteractive(site, 'tests');
  const bytes = await size(location);
  const data = statSync(join(site, 'data.js')).size;
  return { importMs, regressionsMs, dashboardMs, overviewMs, stripsMs, bytes, data, regressions: found.items.length, flaky: found.flakyApart.length };
}

/** The store of every night but the last, seeded once and kept (it takes minutes). */
async function seededSqlite(dir) {
  const seeded = join(dir, `seeded-${NIGHTS}.db`);
  if (!existsSync(seeded)) {
    const partial = `${seeded}.partial`;
    rmSync(partial, { force: true });
    await seed(partial); // closing the last connection folds the WAL back into the file
    copyFileSync(partial, seeded);
    rmSync(partial, { force: true });
    rmSync(`${partial}-wal`, { force: true });
    rmSync(`${partial}-shm`, { force: true });
  }
  return seeded;
}

function freshCopy(seeded, work) {
  for (const f of [work, `${work}-wal`, `${work}-shm`]) rmSync(f, { force: true });
  copyFileSync(seeded, work);
  return work;
}

/** Importing the last night into the seeded SQLite store: best of 3, a fresh copy of the store each time. */
export async function importFigure(bin, dir) {
  mkdirSync(dir, { recursive: true });
  const seeded = await seededSqlite(dir);
  const files = lastNightFiles(dir);
  const work = join(dir, 'import.db');
  let ms = Infinity;
  for (let i = 0; i < 3; i++) {
    freshCopy(seeded, work);
    const start = performance.now();
    await svmtest(bin, ['history', 'import', '--db', work, ...files]);
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, nights: NIGHTS };
}

async function sqliteFigures(bin, dir) {
  const seeded = await seededSqlite(dir);
  const work = join(dir, 'work.db');
  return figures(
    bin,
    dir,
    'sqlite',
    async () => freshCopy(seeded, work),
    async (file) => {
      // The file as it rests: the WAL folded back in.
      const store = await openStore(file);
      await store.close();
      return statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    },
  );
}

async function postgresFigures(bin, dir, root) {
  const base = process.env.SVMTEST_TEST_POSTGRES ?? (await execa('bash', [join(root, 'scripts', 'start-postgres.sh')])).stdout.trim();
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const urlOf = (name) => Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  const seeded = `svmtest_bench_seeded_${NIGHTS}`;
  if ((await admin(`select 1 from pg_database where datname = '${seeded}'`)).rowCount === 0) {
    await admin(`drop database if exists ${seeded}_partial`);
    await admin(`create database ${seeded}_partial`);
    await seed(urlOf(`${seeded}_partial`));
    await admin(`alter database ${seeded}_partial rename to ${seeded}`);
  }
  return figures(
    bin,
    dir,
    'postgres',
    async () => {
      await admin('drop database if exists svmtest_bench_work');
      await admin(`create database svmtest_bench_work template ${seeded}`);
      return urlOf('svmtest_bench_work');
    },
    async () => {
      await admin('vacuum');
      return Number((await admin(`select pg_database_size('svmtest_bench_work') as n`)).rows[0].n);
    },
  );
}

export async function historyBench(root, bin, dir) {
  mkdirSync(dir, { recursive: true });
  const sqlite = await sqliteFigures(bin, dir);
  const postgres = await postgresFigures(bin, dir, root);
  const goal = (ms, limit) => `≤ ${limit / 1000} s ${ms <= limit ? '✓' : '✗'}`;
  const lines = [
    `### Nightly history (${NIGHTS} nights × 2 variants × ${TESTS.toLocaleString('en')} tests; CLI start included)`,
    '',
    row(['what', 'SQLite', 'PostgreSQL', 'goal (SQLite)']),
    row(['---', '---:', '---:', '---:']),
    row(['import one night (2 runs, 10,000 results, and the comparison)', fmtMs(sqlite.importMs), fmtMs(postgres.importMs), goal(sqlite.importMs, 1000)]),
    row([
      `history regressions (${sqlite.regressions} regressions, ${sqlite.flaky} flaky apart)`,
      fmtMs(sqlite.regressionsMs),
      fmtMs(postgres.regressionsMs),
      goal(sqlite.regressionsMs, 1000),
    ]),
    row([`dashboard --nights ${NIGHTS}`, fmtMs(sqlite.dashboardMs), fmtMs(postgres.dashboardMs), goal(sqlite.dashboardMs, 5000)]),
    row(['overview page interactive (Chromium)', fmtMs(sqlite.overviewMs), fmtMs(postgres.overviewMs), goal(sqlite.overviewMs, 2000)]),
    row(['test-history page interactive (largest: all strips)', fmtMs(sqlite.stripsMs), fmtMs(postgres.stripsMs), goal(sqlite.stripsMs, 2000)]),
    row(['store size', fmtMb(sqlite.bytes), fmtMb(postgres.bytes), `≤ 200 MB ${sqlite.bytes <= 200 * 1024 * 1024 ? '✓' : '✗'}`]),
    row(['dashboard data.js', `${Math.round(sqlite.data / 1024)} KiB`, `${Math.round(postgres.data / 1024)} KiB`, '—']),
  ];
  return lines.join('\n');
}
