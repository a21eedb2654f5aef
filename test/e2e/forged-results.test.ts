import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { expectForgedChannelCaught, expectForgeTruth, expectRecordsOnTheirTests, statusOf } from '../helpers/forge.js';
import { forgeProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

// Tests that print forged gtest markers: results must come from gtest's result stream and the
// process's end, on the host and in a QEMU guest (the SSH target: test/e2e/ssh-lab.test.ts).
let program: string;
let dir: string;
let config: string;

beforeAll(async () => {
  program = await forgeProgram();
  // Inside the repository: a QEMU guest sees the host's /tmp hidden under its own tmpfs.
  dir = tempDir('svmtest-forge-');
  config = writeConfig(dir, { retries: 0 }, { qemu: { memory: 1024, bootTimeout: 240, modprobe: [] } });
}, SETUP_TIMEOUT_MS);

const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;

/**
 * `svmtest run` of the forge program as suite `suite` (its environment `env`) into `dir/out`:
 * the exit, and the run.json it wrote.
 */
async function runForge(suite: string, out: string, args: readonly string[], env: Record<string, string> = {}) {
  const file = writeSuiteFile(dir, { name: suite, kind: 'gtest', command: [program], timeout: 60, env });
  const r = await svmtest(['run', '-c', config, '--suite-file', file, '-o', join(dir, out), ...args]);
  return { r, run: () => readRunFile(join(dir, out)), dir: join(dir, out) };
}

const qemuArgs = () => {
  const k = debianKernel();
  return ['--target', 'qemu', '--kernel', k.kernel, '--modules', k.modules];
};
const IGNORE_EVENTS = ['--kernel-events', 'ignore'];
const RECORDS = { FORGE_KERNEL_RECORDS: '1', FORGE_KMSG_FLOOD: '1' };

describe('results come from the framework, not from what a test prints (host)', () => {
  it('batch mode: a forged OK line before a segfault or a failure changes nothing; a name with a space runs, and so do the tests after it', async () => {
    const { r, run } = await runForge('forge', 'host-batch', ['-f', '-forge/Forty/*', ...IGNORE_EVENTS]);
    expect(r.exitCode, r.stderr).toBe(1);
    expectForgeTruth(run());
  }, 120_000);

  it('isolated mode: the same results; a test whose process dies by a signal after it passed is a crash', async () => {
    const { r, run } = await runForge('forge-exit', 'host-isolate', ['-f', '-forge-exit/Forty/*', '--isolate', ...IGNORE_EVENTS], { FORGE_DIE_AT_EXIT: '1' });
    expect(r.exitCode, r.stderr).toBe(1);
    expectForgeTruth(run(), { 'Exit.DiesAfterPass': 'crash' });
    expect(run().tests.find((t) => t.name === 'Exit.DiesAfterPass')!.message).toMatch(/SIGABRT after the test reported pass/);
  }, 120_000);

  it('batch mode: a death between two tests is a batch crash — no pass turned into anything else', async () => {
    const filters = ['-f', 'forge-exit-batch/Forge.Honest', '-f', 'forge-exit-batch/Exit.*'];
    const { r, run } = await runForge('forge-exit-batch', 'host-batch-exit', [...filters, ...IGNORE_EVENTS], { FORGE_DIE_AT_EXIT: '1' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the batch process was killed by SIGABRT after Exit\.DiesAfterPass ended, between tests/);
    expect(statusOf(run())).toEqual({ 'Forge.Honest': 'pass', 'Exit.DiesAfterPass': 'pass' });
  }, 120_000);

  it('a test that writes a forged end into its own result stream is caught by the XML report of gtest: fail, and exit 3', async () => {
    const filters = ['-f', 'channel/Channel.*', '-f', 'channel/Forge.Honest'];
    const { r, run } = await runForge('channel', 'host-channel-forged', [...filters, ...IGNORE_EVENTS], { FORGE_CHANNEL: '1' });
    expect(r.exitCode, r.stderr).toBe(3);
    expectForgedChannelCaught(run());
    expect(statusOf(run())['Forge.Honest']).toBe('pass');
  }, 120_000);

  it('a test that hangs after a forged OK line times out on svmtest clock, from its start event', async () => {
    const started = Date.now();
    const filters = ['-f', 'forge-hang/Forge.HangAfterOk', '-f', 'forge-hang/Forge.After'];
    const { r, run } = await runForge('forge-hang', 'host-hang', [...filters, '--timeout', '3', ...IGNORE_EVENTS], { FORGE_HANG: '1' });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(statusOf(run())).toEqual({ 'Forge.HangAfterOk': 'timeout', 'Forge.After': 'pass' });
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);

  it('a binary with no result channel falls back to its console, and run.json and the reports say so', async () => {
    // A stand-in for an old or stripped gtest binary: it lists and prints markers, streams nothing.
    const fake = join(dir, 'fake-gtest.sh');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'case "$*" in *--gtest_list_tests*) printf "Fake.\\n  One\\n  Two\\n"; exit 0 ;; esac',
        'printf "[ RUN      ] Fake.One\\n[       OK ] Fake.One (0 ms)\\n[ RUN      ] Fake.Two\\n[       OK ] Fake.Two (0 ms)\\n"',
        '',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    const suite = writeSuiteFile(dir, { name: 'fake', kind: 'gtest', command: [fake] });
    const out = join(dir, 'console-fallback');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '--kernel-events', 'ignore']);
    expect(r.exitCode, r.stderr).toBe(0);
    const run = readRunFile(out);
    expect(run.run.resultSources).toEqual({ fake: 'console' });
    expect(run.run.warnings?.join('\n')).toMatch(/fake: .* streams no results .* read from its console output/);
    expect(r.stderr).toMatch(/WARNING: fake: .*console output/);
    expect(statusOf(run)).toEqual({ 'Fake.One': 'pass', 'Fake.Two': 'pass' });
  }, 120_000);
});

describe('kernel records land on their test by marks in the kernel log, not by clock', () => {
  it('host: 20 tests log a record each between tests that log none, while another process floods /dev/kmsg', async () => {
    const { r, run } = await runForge('records', 'marks-host', ['-f', 'records/Forty/*', '--kernel-events', 'warn'], RECORDS);
    expect(r.exitCode, r.stderr).toBe(0);
    expectRecordsOnTheirTests(run());
  }, 120_000);

  it('QEMU: the agent marks each test in the guest as gtest reports it; the same 20 records land on their own tests', async () => {
    const { r, run, dir: out } = await runForge('records', 'marks-qemu', ['-f', 'records/Forty/*', '--kernel-events', 'warn', ...qemuArgs()], RECORDS);
    expect(r.exitCode, r.stderr).toBe(0);
    expectRecordsOnTheirTests(run());
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toMatch(/forge flood \d+/);
  }, 300_000);
});

describe('results come from the framework, not from what a test prints (QEMU guest)', () => {
  it('batch and isolated runs in the guest give the framework results too', async () => {
    const qemu = [...qemuArgs(), ...IGNORE_EVENTS];
    const batch = await runForge('forge', 'qemu-batch', ['-f', '-forge/Forty/*', ...qemu]);
    expect(batch.r.exitCode, batch.r.stderr).toBe(1);
    expectForgeTruth(batch.run());
    const isolated = await runForge('forge-exit', 'qemu-isolate', ['-f', '-forge-exit/Forty/*', '--isolate', ...qemu], { FORGE_DIE_AT_EXIT: '1' });
    expect(isolated.r.exitCode, isolated.r.stderr).toBe(1);
    expectForgeTruth(isolated.run(), { 'Exit.DiesAfterPass': 'crash' });
    const forged = await runForge('channel', 'qemu-channel-forged', ['-f', 'channel/Channel.*', ...qemu], { FORGE_CHANNEL: '1' });
    expect(forged.r.exitCode, forged.r.stderr).toBe(3);
    expectForgedChannelCaught(forged.run());
  }, 600_000);
});
