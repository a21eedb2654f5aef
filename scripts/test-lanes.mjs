#!/usr/bin/env node
// The whole test suite in two lanes at once, each one file at a time (vitest's fileParallelism is off:
// real VMs and timeouts): a 2-core machine runs a kernel build or a TCG guest in each. The lanes
// share the machine as equals: with the kernel's autogroup scheduling a niced lane only yields to
// its own session, not to the QEMU guests (sessions of their own), and a starved lane is the run's
// long pole. Extra arguments go to both vitest runs. Exit: non-zero when either lane fails. In CI,
// the temporary directories the run made are removed at the end (after both lanes: one lane's
// teardown must not pull the other's files away).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTemporaryDirs } from '../test/helpers/temp-cleanup.mjs';

/**
 * The build lane: the kernel builds (sharing one kernel cache, global-setup.ts; the sequencer runs
 * them first in the lane), then the userspace builds, the performance verdicts, the fresh clone
 * (whose demo runs in QEMU) and the LAVA tests (last: LAVA starts in the background; start-scripts
 * stops its worker, so the two stay in one lane), which even out the lanes' lengths (the other
 * checkout test, checkout-anywhere, runs in the main lane for the same reason). Files that run
 * tests on the host stay together in the main lane, the SSH lab's included: records written to the
 * host's kernel log land on whatever host test is running, whichever process wrote them. (The
 * exceptions write no records, and their runs do not let records decide a status: perf's and
 * userspace-build's host runs, with --kernel-events ignore, and the fresh clone's unit tests.)
 */
export const BUILD_LANE = [
  'test/e2e/bisect.test.ts',
  'test/e2e/kernel-build.test.ts',
  'test/e2e/userspace-build.test.ts',
  'test/e2e/perf.test.ts',
  'test/e2e/fresh-clone.test.ts',
  'test/e2e/lava.test.ts',
  'test/e2e/start-scripts.test.ts',
];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const children = [];

function lane(name, argv) {
  const child = spawn(process.execPath, [VITEST, ...argv], { cwd: ROOT, env: { ...process.env, SVMTEST_TEST_LANES: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  // Whole lines only, each marked with its lane, so the two runs stay readable side by side.
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
    stream.on('end', () => rest && out.write(`[${name}] ${rest}\n`));
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ name, code: code ?? (signal ? 128 : 1) })));
}

// Ctrl-C reaches both vitest runs (the terminal signals the whole group): the runner waits for
// their reports; a SIGTERM sent to the runner alone is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => {
  for (const child of children) child.kill('SIGTERM');
});

const started = Date.now() - 1000;
const extra = process.argv.slice(2);
const results = await Promise.all([
  lane('build', ['run', ...BUILD_LANE, ...extra]),
  lane('main', ['run', ...BUILD_LANE.flatMap((file) => ['--exclude', file]), ...extra]),
]);
const seconds = Math.round((Date.now() - started) / 1000);
for (const { name, code } of results) process.stdout.write(`${name} lane: ${code === 0 ? 'passed' : `failed (exit ${code})`}\n`);
process.stdout.write(`both lanes done in ${Math.floor(seconds / 60)} min ${seconds % 60} s\n`);
if (process.env.CI === 'true' && process.env.SVMTEST_KEEP_TEST_TMP !== '1') removeTemporaryDirs(started);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
