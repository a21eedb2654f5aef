import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { row } from './measure.js';

const TESTS = 300;
const NIGHTS = 30;
/** The handful of tests that regress intermittently in the candidate: spread over the binary's order. */
const INTERMITTENT = ['Area7.Case137', 'Area2.Case182', 'Area9.Case219', 'Area4.Case254', 'Area1.Case291'];

async function nightlyProgram(dir) {
  const out = join(dir, `nightly-${TESTS}`);
  if (existsSync(out)) return out;
  const lines = [
    '#include <gtest/gtest.h>',
    '#include <cstdlib>',
    '#include <string>',
    'static bool told_to_fail(const char* name) {',
    '  const char* list = getenv("SVMTEST_FIXTURE_FAIL");',
    '  return list && (std::string(",") + list + ",").find(std::string(",") + name + ",") != std::string::npos;',
    '}',
  ];
  for (let i = 0; i < TESTS; i++) lines.push(`TEST(Area${i % 10}, Case${i}) { EXPECT_FALSE(told_to_fail("Area${i % 10}.Case${i}")); }`);
  writeFileSync(`${out}.cc`, `${lines.join('\n')}\n`);
  await execa('g++', ['-O0', '-o', out, `${out}.cc`, '-lgtest', '-lgtest_main', '-pthread']);
  return out;
}

/** A small seeded generator: the same 30 nights every time. */
function seeded(seed) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Tests that ran (had an attempt) up to and including the first regression, in journal order. */
function testsBeforeFirstRegression(runDir, regressions) {
  const records = readFileSync(join(runDir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const tests = records.filter((r) => r.type === 'test').map((r) => r.test);
  const first = tests.findIndex((t) => regressions.includes(t.name) && t.status === 'fail');
  return first < 0 ? undefined : first + 1;
}

/**
 * --order history against --order name on a store seeded with 30 real nightly runs of a generated
 * 300-test program in which five tests regress intermittently: how many tests run before tonight's
 * first regression (one process per test, so the order is exact; --fail-fast 1 stops there).
 */
export async function orderBench(bin, dataDir) {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const program = await nightlyProgram(join(dataDir, '..'));
  const suite = join(dataDir, 'nightly.yaml');
  writeFileSync(suite, stringify({ name: 'nightly', kind: 'gtest', command: [program] }));
  const config = join(dataDir, 'svmtest.yaml');
  const variants = { legacy: { expect: { kfd: false } }, gpusvm: { expect: { kfd: false } } };
  writeFileSync(config, stringify({ run: { retries: 0, suiteFiles: [suite], suites: [], profile: 'full' }, variants }));
  const db = join(dataDir, 'history.db');
  const svmtest = (args, env = {}) => execa(process.execPath, [bin, ...args], { reject: false, env: { NO_COLOR: '1', ...env } });
  const rnd = seeded(30);
  const seedStarted = performance.now();
  for (let night = 1; night <= NIGHTS; night++) {
    const fails = INTERMITTENT.filter(() => rnd() < 0.3);
    const out = join(dataDir, `night-${night}`);
    const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '-o', out], { SVMTEST_FIXTURE_FAIL: fails.join(',') });
    if (r.exitCode > 1) throw new Error(`night ${night}: ${r.stderr}`);
    const date = `2026-10-${String(night).padStart(2, '0')}`;
    const imported = await svmtest(['history', 'import', '--db', db, '--night', date, out]);
    if (imported.exitCode !== 0) throw new Error(`import night ${night}: ${imported.stderr}`);
  }
  const seedMs = performance.now() - seedStarted;
  const baseline = join(dataDir, 'baseline');
  await svmtest(['run', '-c', config, '--variant', 'legacy', '-o', baseline]);
  // Tonight two of the five regress.
  const tonight = [INTERMITTENT[2], INTERMITTENT[4]];
  const measure = async (order) => {
    const out = join(dataDir, `tonight-${order}`);
    const args = ['run', '-c', config, '--variant', 'gpusvm', '--isolate', '--order', order, '--fail-fast', '1', '--baseline-run', baseline, '-o', out];
    const started = performance.now();
    const r = await svmtest(order === 'history' ? [...args, '--history', db] : args, { SVMTEST_FIXTURE_FAIL: tonight.join(',') });
    if (r.exitCode !== 1) throw new Error(`--order ${order}: exit ${r.exitCode}: ${r.stderr}`);
    return { ran: testsBeforeFirstRegression(out, tonight), ms: performance.now() - started };
  };
  const byName = await measure('name');
  const byHistory = await measure('history');
  return [
    `### Test order (${TESTS} tests, ${NIGHTS} seeded nights, 5 intermittent regressors, 2 regress tonight; --isolate --fail-fast 1)`,
    '',
    row(['order', 'tests run up to the first regression', 'time to the first regression']),
    row(['---', '---:', '---:']),
    row(['`--order name`', String(byName.ran), `${(byName.ms / 1000).toFixed(1)} s`]),
    row(['`--order history`', String(byHistory.ran), `${(byHistory.ms / 1000).toFixed(1)} s`]),
    '',
    `(seeding the store: ${NIGHTS} runs and imports in ${(seedMs / 1000).toFixed(0)} s)`,
  ].join('\n');
}
