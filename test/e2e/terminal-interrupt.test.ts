import { execa } from 'execa';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { tempDir } from '../helpers/cli.js';
import { BIN } from '../helpers/paths.js';
import { debianKernel } from '../helpers/kernel.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { svmtestInTerminal, type Terminal } from '../helpers/terminal.js';
import { journaled, sleep, waitFor } from '../helpers/wait.js';

// A user's Ctrl-C in a real terminal reaches svmtest's whole foreground process group (listr2,
// the test's helpers, ssh, QEMU), not only node: svmtest must still stop the running test, write
// run.json as interrupted, free the run directory and exit 130 — with listr2 drawing and without.
let dir: string;
let config: string;
let suite: string;
let program: string;
const open: Terminal[] = [];

beforeAll(async () => {
  program = await gtestProgram();
  dir = tempDir('svmtest-tty-');
  config = writeConfig(dir, {}, { qemu: { memory: 1024, bootTimeout: 240, modprobe: [] } });
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 120 });
}, SETUP_TIMEOUT_MS);

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

const readRun = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;

async function start(args: readonly string[], options: Parameters<typeof svmtestInTerminal>[2] = {}): Promise<Terminal> {
  const t = await svmtestInTerminal(dir, args, options);
  open.push(t);
  return t;
}

/** Ctrl-C once the hanging test is running: exit 130, run.json interrupted, the lock gone. */
async function interruptDuringHang(out: string, extra: readonly string[], options: Parameters<typeof svmtestInTerminal>[2] = {}) {
  const runlog = join(out, '..', `${out.split('/').pop()}.runlog`);
  const t = await start(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Basic.Passes', '-f', 'fixture/Hang.Forever', ...extra], {
    ...options,
    env: { SVMTEST_FIXTURE_RUNLOG: runlog, ...options.env },
  });
  // Basic.Passes's result journaled: the hanging test is next.
  await waitFor('the hanging test to start', () => journaled(out, 'Basic.Passes'), 240_000);
  await sleep(300);
  await t.interrupt();
  const { exitCode, screen } = await t.ended();
  expect(screen).toMatch(/interrupted: stopping the running test and writing run\.json/);
  expect(exitCode, screen).toBe(130);
  expect(existsSync(join(out, 'run.lock')), 'run.lock left behind').toBe(false);
  const run = readRun(out);
  expect(run.run.status).toBe('interrupted');
  expect(run.tests.find((x) => x.name === 'Basic.Passes')?.status).toBe('pass');
  expect(run.tests.find((x) => x.name === 'Hang.Forever')?.status).toBe('notrun');
  return screen;
}

describe('Ctrl-C in a real terminal (tmux send-keys)', () => {
  it('with listr2 drawing the progress: exit 130, run.json written, no stale lock', async () => {
    const screen = await interruptDuringHang(join(dir, 'listr'), []);
    expect(screen).toMatch(/resume with: svmtest run --resume/);
    // listr2's own SIGINT handler (exit 127, "Interrupted.") never runs.
    expect(screen).not.toMatch(/Interrupted\./);
  }, 120_000);

  it('in CI mode (plain lines): the same', async () => {
    const screen = await interruptDuringHang(join(dir, 'plain'), [], { env: { CI: 'true' } });
    expect(screen).toMatch(/\[fixture\] 2 tests to run/);
  }, 120_000);

  it('through `| tee`: the reader dies with the Ctrl-C, svmtest still writes run.json and exits 130', async () => {
    await interruptDuringHang(join(dir, 'tee'), [], { pipe: `| tee ${join(dir, 'tee.txt')}` });
  }, 120_000);

  it('during start-up (test listing): acknowledged, and no test starts after it', async () => {
    const slowList = join(dir, 'slow-list.sh');
    // The real program, but its listing takes 4 s: long enough to press Ctrl-C in the middle.
    writeFileSync(slowList, `#!/bin/sh\ncase "$*" in *--gtest_list_tests*) sleep 4 ;; esac\nexec ${program} "$@"\n`);
    chmodSync(slowList, 0o755);
    const slowSuite = writeSuiteFile(join(dir), { name: 'slowlist', kind: 'gtest', command: [slowList], timeout: 60 });
    const out = join(dir, 'listing');
    const runlog = join(dir, 'listing.runlog');
    const t = await start(['run', '-c', config, '--suite-file', slowSuite, '-o', out, '-f', 'slowlist/Slow.*'], { env: { SVMTEST_FIXTURE_RUNLOG: runlog } });
    await waitFor('the run to start listing', () => existsSync(join(out, 'request.json')), 60_000);
    await sleep(1000);
    await t.interrupt();
    const { exitCode, screen } = await t.ended();
    expect(screen).toMatch(/interrupted:/);
    expect(exitCode, screen).toBe(130);
    expect(existsSync(runlog), `tests ran after the Ctrl-C:\n${existsSync(runlog) ? readFileSync(runlog, 'utf8') : ''}`).toBe(false);
    const run = readRun(out);
    expect(run.run.status).toBe('interrupted');
    expect(run.tests).toHaveLength(8);
    expect(run.tests.every((x) => x.status === 'notrun')).toBe(true);
  }, 120_000);

  it('under `script` (a terminal that reports no width): plain lines, not one character per line', async () => {
    const out = join(dir, 'script');
    const command = [process.execPath, BIN, 'run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Basic.Passes'];
    // script(1) takes one command line: every part here is a path of this test's own making.
    const r = await execa('script', ['-qec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], {
      reject: false,
      env: { NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '' },
    });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\[fixture\] 1 tests to run/);
    expect(r.stdout.split('\n').filter((l) => l.trim().length === 1)).toEqual([]);
  }, 60_000);

  it('on the QEMU target: the guest outlives the Ctrl-C long enough to stop the test; exit 130 and run.json', async () => {
    const k = debianKernel();
    await interruptDuringHang(join(dir, 'qemu'), ['--target', 'qemu', '--kernel', k.kernel, '--modules', k.modules]);
  }, 300_000);
});
