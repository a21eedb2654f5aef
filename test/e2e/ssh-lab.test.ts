import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { startLab, type Lab } from '../lab/lab.js';

let lab: Lab;
let program: string;
let dir: string;
let suite: string;

beforeAll(async () => {
  program = await gtestProgram();
  lab = await startLab('main');
  dir = tempDir('svmtest-ssh-');
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 120, env: { SVMTEST_ALLOW_GUEST_PANIC: '1' } });
  await lab.waitForSsh(240_000);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await lab?.stop();
});

const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
const statuses = (run: RunFile) => run.tests.map((t) => [t.name, t.status] as const).sort();

describe('svmtest run --target ssh (a QEMU guest with sshd as the DUT)', () => {
  it('runs the real test program on the DUT with results identical to a host run', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none' }) });
    const filters = ['-f', 'fixture/Basic*', '-f', 'fixture/Crash*', '-f', 'fixture/Gen*', '-f', 'fixture/Output.FakeMarkers'];
    const hostOut = join(dir, 'host');
    const dutOut = join(dir, 'dut');
    await svmtest(['run', '-c', config, '--suite-file', suite, '-o', hostOut, ...filters]);
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', dutOut, '--target', 'ssh', ...filters]);
    expect(r.exitCode, r.stderr).toBe(1);
    const dut = readRunFile(dutOut);
    expect(dut.run.target).toBe('ssh');
    expect(dut.run.environment.kernelRelease).toBe(lab.release);
    expect(statuses(dut)).toEqual(statuses(readRunFile(hostOut)));
  }, 300_000);

  it('deploys a kernel and kexecs into it; a kernel panic power-cycles the DUT, the kernel is booted again and the run completes', async () => {
    const config = writeConfig(
      dir,
      {},
      {
        ssh: lab.sshConfig({
          kernel: lab.kernel,
          initrd: lab.initramfs,
          powerCommand: lab.powerCommand,
          consoleCommand: lab.consoleCommand,
          bootTimeout: 240,
          watchdog: 30,
        }),
        variants: { gpusvm: { cmdline: ['svmtest.lab_variant=gpusvm'], expect: { kfd: false } } },
      },
    );
    const out = join(dir, 'kexec-panic');
    const r = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      suite,
      '-o',
      out,
      '--target',
      'ssh',
      '--variant',
      'gpusvm',
      '-f',
      'fixture/Basic.Passes',
      '-f',
      'fixture/Guest.Panic',
      '-f',
      'fixture/Gen*',
    ]);
    console.log(r.stderr);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/booting .* on the DUT with kexec/);
    expect(r.stderr).toMatch(/power-cycling the DUT \(1 of at most 3\)/);
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    const panic = run.tests.find((t) => t.name === 'Guest.Panic')!;
    expect(panic.status).toBe('crash');
    expect(panic.message).toMatch(/DUT's kernel panicked/);
    expect(panic.kernelEvents.map((e) => e.kind)).toContain('panic');
    expect(run.tests.filter((t) => t.name !== 'Guest.Panic').map((t) => t.status)).toEqual(['pass', 'pass', 'pass']);
    // After the power cycle the variant's kernel was booted again: the DUT runs it now.
    const cmdline = (await lab.ssh('cat /proc/cmdline')).stdout;
    expect(cmdline).toMatch(/svmtest\.lab_variant=gpusvm/);
    expect(cmdline).toMatch(/svmtest\.dut_boot=[0-9a-f]{12}/);
  }, 900_000);
});
