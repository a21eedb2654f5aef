// The real kfdtest (built from the ROCm snapshot by `svmtest demo --real-suites`) on this host, the
// way a user without svmtest runs it — one kfdtest process for the tests, or a shell loop of one
// `--gtest_filter` process per test — against `svmtest run` and `svmtest run --isolate` on the same
// tests. Without /dev/kfd each test fails in its fixture within milliseconds: what is measured is
// the process and framework cost around a test, which is all svmtest can add.
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fmtMs, row } from './measure.js';

const TESTS = 40;

const cacheDir = () => process.env.SVMTEST_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'svmtest');

/** kfdtest from the cache svmtest builds it into; built first (`svmtest demo --real-suites`) when absent. */
async function kfdtestBinary(root, bin) {
  const find = () => {
    const userspace = join(cacheDir(), 'userspace');
    if (!existsSync(userspace)) return undefined;
    for (const dir of readdirSync(userspace).filter((d) => d.startsWith('kfdtest-'))) {
      const binary = join(userspace, dir, 'prefix', 'bin', 'kfdtest');
      if (existsSync(binary)) return binary;
    }
    return undefined;
  };
  const built = find();
  if (built) return built;
  const rocmSrc = process.env.SVMTEST_ROCM_SRC ?? join(root, '..', 'shared', 'rocm-src');
  const demo = await execa(process.execPath, [bin, 'demo', '--real-suites', '--rocm-src', rocmSrc, '-o', join(root, 'bench', '.data', 'kfdtest-build')], {
    reject: false,
  });
  const binary = find();
  if (!binary) throw new Error(`kfdtest could not be built (svmtest demo --real-suites exit ${demo.exitCode}): ${demo.stderr.slice(-1500)}`);
  return binary;
}

/** Best of `repeat` wall times of an async step. */
async function best(step, repeat = 3) {
  let ms = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await step(i);
    ms = Math.min(ms, performance.now() - start);
  }
  return ms;
}

/** The figures: whole-run times of the four ways, and the ratios the goals name. */
export async function kfdtestHostFigures(root, bin, dataDir) {
  mkdirSync(dataDir, { recursive: true });
  const kfdtest = await kfdtestBinary(root, bin);
  const listing = (await execa(kfdtest, ['--gtest_list_tests'], { reject: false })).stdout;
  const tests = [];
  let group = '';
  for (const line of listing.split('\n')) {
    if (/^\S+\.$/.test(line)) group = line;
    else if (/^ {2}\S/.test(line)) tests.push(`${group}${line.trim().split(/\s+/)[0]}`);
  }
  // Tests that end without a crash here (the SVM ones segfault without a GPU): both ways run the same.
  const sample = tests.filter((t) => /^KFD(Topology|Memory|Event|QM)Test\./.test(t)).slice(0, TESTS);
  if (sample.length < TESTS) throw new Error(`kfdtest lists ${sample.length} topology/memory/event/queue tests, expected ${TESTS}`);

  const rawBatch = await best(() => execa(kfdtest, [`--gtest_filter=${sample.join(':')}`], { reject: false, stdout: 'ignore', stderr: 'ignore' }));
  // The loop a user writes: the test names are the loop's arguments, never part of the script.
  const loop = 'for t in "$@"; do "$0" --gtest_filter="$t" >/dev/null 2>&1; done';
  const rawLoop = await best(() => execa('bash', ['-c', loop, kfdtest, ...sample], { reject: false }));

  const suite = join(dataDir, 'kfdtest.yaml');
  writeFileSync(suite, stringify({ name: 'kfdtest', kind: 'gtest', command: [kfdtest], timeout: 120 }));
  const config = join(dataDir, 'config.yaml');
  writeFileSync(config, stringify({ run: { retries: 0 } }));
  const through = (isolate) =>
    best(async (i) => {
      const out = join(dataDir, `run-${isolate ? 'isolate' : 'batch'}-${i}`);
      rmSync(out, { recursive: true, force: true });
      const args = ['run', '-c', config, '--suite-file', suite, ...(isolate ? ['--isolate'] : []), '-o', out, ...sample.flatMap((t) => ['-f', `kfdtest/${t}`])];
      const r = await execa(process.execPath, [bin, ...args], { reject: false, env: { NO_COLOR: '1' } });
      // Every test fails here (no /dev/kfd): exit 1 with all of them recorded is the expected end.
      if (r.exitCode !== 1) throw new Error(`svmtest ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(-1500)}`);
    });
  const batch = await through(false);
  const isolated = await through(true);
  return { tests: sample.length, rawBatch, rawLoop, batch, isolated, batchRatio: batch / rawBatch, isolateRatio: isolated / rawLoop };
}

/** The table from the figures. */
export function kfdtestHostTable(f) {
  return [
    `### kfdtest on the host (${f.tests} tests of the real kfdtest, no /dev/kfd: each fails in its fixture; best of 3, CLI start included)`,
    '',
    row(['what', 'time', 'ratio', 'goal']),
    row(['---', '---:', '---:', '---:']),
    row(['one raw `kfdtest --gtest_filter=A:B:…` process', fmtMs(f.rawBatch), '', '']),
    row(['`svmtest run` (batch)', fmtMs(f.batch), `${f.batchRatio.toFixed(2)}×`, `≤ 1.2× ${f.batchRatio <= 1.2 ? '✓' : '✗'}`]),
    row(['a shell loop of one `kfdtest --gtest_filter=T` per test', fmtMs(f.rawLoop), '', '']),
    row(['`svmtest run --isolate`', fmtMs(f.isolated), `${f.isolateRatio.toFixed(2)}×`, `≤ 1.2× ${f.isolateRatio <= 1.2 ? '✓' : '✗'}`]),
  ].join('\n');
}
