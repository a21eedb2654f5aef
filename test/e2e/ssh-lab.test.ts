import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonFile } from '../../src/model/comparison.js';
import type { RunFile } from '../../src/model/run.js';
import { bzImageRelease } from '../../src/targets/ssh/kernel-image.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { expectForgedChannelCaught, expectForgeTruth, expectRecordsOnTheirTests } from '../helpers/forge.js';
import { forgeProgram, gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { startLab } from '../lab/lab.mjs';

type Lab = Awaited<ReturnType<typeof startLab>>;

// A lab in a box: the DUT is a QEMU guest running Debian's kernel and Debian's sshd, reached by
// svmtest over real SSH with a strict known_hosts; kexec, panics and power cycles are real.
let lab: Lab;
let program: string;
let forgeBinary: string;
let dir: string;
let suite: string;

beforeAll(async () => {
  program = await gtestProgram();
  forgeBinary = await forgeProgram();
  lab = await startLab('e2e');
  dir = tempDir('svmtest-ssh-');
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 120, env: { SVMTEST_ALLOW_GUEST_PANIC: '1' } });
  await lab.waitForSsh(240_000);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await lab?.stop();
});

const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
const statuses = (run: RunFile) => run.tests.map((t) => [t.name, t.status] as const).sort();
const VARIANTS = {
  legacy: { expect: { kfd: false } },
  gpusvm: { cmdline: ['svmtest.lab_variant=gpusvm'], expect: { kfd: false } },
};

/** The lab DUT after a test took it down: powered on again, as an engineer would. */
async function powerOn(): Promise<void> {
  await lab.cycle();
  await lab.waitForSsh(240_000);
}

describe('svmtest run --target ssh (the DUT: a QEMU guest with sshd)', () => {
  it('runs the real test program on the DUT with results identical to a host run; a kernel record lands on its test', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none' }) });
    const filters = [
      '-f',
      'fixture/Basic*',
      '-f',
      'fixture/Crash*',
      '-f',
      'fixture/Gen*',
      '-f',
      'fixture/Kernel.PageFault',
      '-f',
      'fixture/Output.FakeMarkers',
    ];
    const hostOut = join(dir, 'host');
    const dutOut = join(dir, 'dut');
    await svmtest(['run', '-c', config, '--suite-file', suite, '-o', hostOut, ...filters]);
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', dutOut, '--target', 'ssh', ...filters]);
    expect(r.exitCode, r.stderr).toBe(1);
    const dut = readRunFile(dutOut);
    expect(dut.run.target).toBe('ssh');
    expect(dut.run.environment.kernelRelease).toBe(lab.release);
    expect(dut.run.warnings).toBeUndefined();
    expect(statuses(dut)).toEqual(statuses(readRunFile(hostOut)));
    // Written to the DUT's /dev/kmsg by the test, followed over SSH, attributed to that test only.
    const fault = dut.tests.find((t) => t.name === 'Kernel.PageFault')!;
    expect(fault.kernelEvents.map((e) => e.kind)).toEqual(['gpu-page-fault']);
    expect(dut.tests.filter((t) => t.name !== 'Kernel.PageFault' && t.kernelEvents.some((e) => e.kind === 'gpu-page-fault'))).toEqual([]);
  }, 300_000);

  it('results come from the gtest stream through a remote forward, not from forged lines, in batch and isolated runs', async () => {
    const config = writeConfig(dir, { retries: 0 }, { ssh: lab.sshConfig({ boot: 'none' }) });
    const batch = join(dir, 'forge-batch');
    const forge = writeSuiteFile(dir, { name: 'forge', kind: 'gtest', command: [forgeBinary], timeout: 60 });
    const r1 = await svmtest(['run', '-c', config, '--suite-file', forge, '-f', '-forge/Forty/*', '-o', batch, '--target', 'ssh', '--kernel-events', 'ignore']);
    expect(r1.exitCode, r1.stderr).toBe(1);
    expectForgeTruth(readRunFile(batch));
    const isolated = join(dir, 'forge-isolate');
    const dies = writeSuiteFile(dir, { name: 'forge-exit', kind: 'gtest', command: [forgeBinary], timeout: 60, env: { FORGE_DIE_AT_EXIT: '1' } });
    const r2 = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      dies,
      '-f',
      '-forge-exit/Forty/*',
      '-o',
      isolated,
      '--target',
      'ssh',
      '--isolate',
      '--kernel-events',
      'ignore',
    ]);
    expect(r2.exitCode, r2.stderr).toBe(1);
    expectForgeTruth(readRunFile(isolated), { 'Exit.DiesAfterPass': 'crash' });
    const forgedOut = join(dir, 'forge-channel');
    const channel = writeSuiteFile(dir, { name: 'channel', kind: 'gtest', command: [forgeBinary], timeout: 60, env: { FORGE_CHANNEL: '1' } });
    const r3 = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      channel,
      '-f',
      'channel/Channel.*',
      '-o',
      forgedOut,
      '--target',
      'ssh',
      '--kernel-events',
      'ignore',
    ]);
    expect(r3.exitCode, r3.stderr).toBe(3);
    expectForgedChannelCaught(readRunFile(forgedOut));
  }, 300_000);

  it('kernel records land on their own test by svmtest marks in the DUT kernel log, while another process floods it', async () => {
    const config = writeConfig(dir, { retries: 0 }, { ssh: lab.sshConfig({ boot: 'none' }) });
    const out = join(dir, 'marks-dut');
    const records = writeSuiteFile(dir, {
      name: 'records',
      kind: 'gtest',
      command: [forgeBinary],
      timeout: 60,
      // Marks over SSH are written when svmtest hears of a test's start or end: a record must come
      // more than a round trip after the start (README, "Kernel records land on the right test").
      env: { FORGE_KERNEL_RECORDS: '1', FORGE_KMSG_FLOOD: '1', FORGE_SETUP_MS: '1500' },
    });
    const r = await svmtest(['run', '-c', config, '--suite-file', records, '-o', out, '--target', 'ssh', '-f', 'records/Forty/*', '--kernel-events', 'warn']);
    expect(r.exitCode, r.stderr).toBe(0);
    expectRecordsOnTheirTests(readRunFile(out));
  }, 300_000);

  it('deploys a kernel and kexecs into it; a kernel panic power-cycles the DUT (off, on, status as on a BMC), the kernel is booted again and the run completes', async () => {
    // The BMC form of power control, as LAVA's device dictionaries have it, and a console stop before each attach.
    const { powerOff, powerOn, powerStatus, consoleStop } = lab.bmc;
    const ssh = {
      kernel: lab.kernel,
      initrd: lab.initramfs,
      powerOff,
      powerOn,
      powerStatus,
      powerOffDelay: 1,
      consoleStop,
      consoleCommand: lab.consoleCommand,
      bootTimeout: 240,
    };
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig(ssh), variants: VARIANTS });
    const stops = join(lab.dir, 'console-stops');
    rmSync(stops, { force: true });
    const out = join(dir, 'kexec-panic');
    const filters = ['-f', 'fixture/Basic.Passes', '-f', 'fixture/Guest.Panic', '-f', 'fixture/Gen*'];
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '--target', 'ssh', '--variant', 'gpusvm', ...filters]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/booting 6\.\S+ on the DUT with kexec/);
    expect(r.stderr).toMatch(/the DUT died: a kernel panic on the console/);
    expect(r.stderr).toMatch(
      /power-cycling the DUT \(1 of at most 3\): .*lab-dut\.mjs off .*; wait 1 s; .*lab-dut\.mjs on .*; until .*lab-dut\.mjs status .* says on/,
    );
    // One power cycle for the panic; a kexec that hung (seen in a loaded CI) adds one of its own, said as such.
    const hungBoots = r.stderr.match(/; booting it again after a power cycle/g)?.length ?? 0;
    expect(r.stderr.match(/power-cycling the DUT \(\d/g)).toHaveLength(1 + hungBoots);
    // The console was stopped before it was attached (it stays attached through the power cycle).
    expect(readFileSync(stops, 'utf8').trim().split('\n')).toHaveLength(1);
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    const panic = run.tests.find((t) => t.name === 'Guest.Panic')!;
    expect(panic.status).toBe('crash');
    expect(panic.message).toMatch(/DUT's kernel panicked/);
    expect(panic.kernelEvents.find((e) => e.kind === 'panic')?.summary).toMatch(/sysrq triggered crash/);
    // Nothing lost, nothing run twice: every other test passed once.
    expect(run.tests.filter((t) => t.name !== 'Guest.Panic').map((t) => [t.status, t.attempts.length])).toEqual([
      ['pass', 1],
      ['pass', 1],
      ['pass', 1],
    ]);
    // After the power cycle the variant's kernel was deployed and booted again: the DUT runs it now.
    const cmdline = (await lab.ssh('cat /proc/cmdline')).stdout;
    expect(cmdline).toMatch(/svmtest\.lab_variant=gpusvm/);
    expect(cmdline).toMatch(/svmtest\.dut_boot=[0-9a-f]{12}/);
    expect(readFileSync(lab.console, 'utf8')).toMatch(/kexec_core: Starting new kernel/);
  }, 900_000);

  it('a non-root login with passwordless sudo: deploy, kexec and the kernel log go through sudo -n', async () => {
    const config = writeConfig(
      dir,
      {},
      {
        ssh: lab.sshConfig({ user: 'ci', kernel: lab.kernel, initrd: lab.initramfs, kernelDir: '/var/tmp/svmtest-kernels', bootTimeout: 240 }),
        variants: VARIANTS,
      },
    );
    const out = join(dir, 'sudo');
    // The login is not root: it runs a copy of the program it can reach, wherever the checkout is.
    const shared = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [lab.share(program)], timeout: 60 }, 'fixture-shared');
    const r = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      shared,
      '-o',
      out,
      '--target',
      'ssh',
      '--variant',
      'gpusvm',
      '-f',
      'fixture/Basic.Passes',
      '-f',
      'fixture/Gen*',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/kernel log not followed/);
    expect(readRunFile(out).tests.map((t) => t.status)).toEqual(['pass', 'pass', 'pass']);
    expect((await lab.ssh('cat /proc/cmdline')).stdout).toMatch(/svmtest\.lab_variant=gpusvm svmtest\.dut_boot=/);
    const doctor = await svmtest(['doctor', '-c', config, '--target', 'ssh', '--json']);
    const checks = (JSON.parse(doctor.stdout) as { items: Array<{ area: string; ok: boolean; found: string }> }).items;
    expect(checks.find((c) => c.area === 'root or sudo')).toMatchObject({ ok: true, found: 'passwordless sudo' });
  }, 600_000);

  it('a DUT that comes back on another kernel than the one deployed is an infrastructure failure (exit 3)', async () => {
    // The artifact says it is release "…-amd6x"; what kexec boots reports the real release.
    const fake = join(dir, 'vmlinuz-mislabelled');
    copyFileSync(lab.kernel, fake);
    const image = readFileSync(fake);
    const at = image.indexOf(Buffer.from(`${lab.release} (`));
    image.write('x', at + lab.release.length - 1, 'latin1');
    writeFileSync(fake, image);
    expect(bzImageRelease(fake)).toBe(`${lab.release.slice(0, -1)}x`);
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ kernel: fake, initrd: lab.initramfs, bootTimeout: 240 }), variants: VARIANTS });
    const r = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      suite,
      '-o',
      join(dir, 'wrong-kernel'),
      '--target',
      'ssh',
      '--variant',
      'legacy',
      '-f',
      'fixture/Basic.Passes',
    ]);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toContain(`the DUT booted kernel ${lab.release}, but the deployed kernel is ${lab.release.slice(0, -1)}x`);
  }, 600_000);

  it('without a power command a dead DUT stops the run as incomplete (exit 3), resumable', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', consoleCommand: lab.consoleCommand }) });
    const out = join(dir, 'no-power');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '--target', 'ssh', '-f', 'fixture/Guest.Panic', '-f', 'fixture/Gen*']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/the DUT is lost: .*no power control is configured \(ssh\.powerCommand, or ssh\.powerOff and ssh\.powerOn\)/);
    const run = readRunFile(out);
    expect(run.run.status).toBe('incomplete');
    expect(run.tests.find((t) => t.name === 'Guest.Panic')!.status).toBe('crash');
    expect(run.tests.filter((t) => t.name.startsWith('Gen/')).map((t) => t.status)).toEqual(['notrun', 'notrun']);
    await powerOn();
    const resumed = await svmtest(['run', '--resume', out]);
    expect(resumed.exitCode, resumed.stderr).toBe(1);
    const after = readRunFile(out);
    expect(after.run.status).toBe('complete');
    expect(after.tests.filter((t) => t.name.startsWith('Gen/')).map((t) => t.status)).toEqual(['pass', 'pass']);
  }, 600_000);

  it('after --max-reboots power cycles the remaining tests are notrun and the run is incomplete (exit 3)', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', powerCommand: lab.powerCommand, consoleCommand: lab.consoleCommand }) });
    const out = join(dir, 'max-reboots');
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
      '--max-reboots',
      '0',
      '-f',
      'fixture/Guest.Panic',
      '-f',
      'fixture/Gen*',
    ]);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/the DUT is lost: .*giving up after --max-reboots 0/);
    const run = readRunFile(out);
    expect(run.run.status).toBe('incomplete');
    expect(run.tests.filter((t) => t.name.startsWith('Gen/')).map((t) => t.status)).toEqual(['notrun', 'notrun']);
    await powerOn();
  }, 600_000);

  it('a DUT that stops answering over SSH (no console) is dead after --guest-watchdog seconds: crash, power cycle, the run goes on', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', powerCommand: lab.powerCommand }) });
    const out = join(dir, 'no-answer');
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
      '--guest-watchdog',
      '8',
      '-f',
      'fixture/Guest.Panic',
      '-f',
      'fixture/Gen*',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    // Whichever notices first: the heartbeat, or the command whose connection dropped.
    expect(r.stderr).toMatch(/the DUT died: no (answer|heartbeat) over SSH for \d+ s/);
    expect(r.stderr).toMatch(/power-cycling the DUT \(1 of at most 3\)/);
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    const dead = run.tests.find((t) => t.name === 'Guest.Panic')!;
    expect(dead).toMatchObject({ status: 'crash', message: expect.stringMatching(/DUT (went down|stopped answering over SSH)/) });
    expect(dead.kernelEvents.map((e) => e.kind)).toContain('hung-task');
    expect(run.tests.filter((t) => t.name.startsWith('Gen/')).map((t) => t.status)).toEqual(['pass', 'pass']);
  }, 600_000);

  it('a wrong host key is refused, and an unreachable DUT fails fast, both as infrastructure failures (exit 3)', async () => {
    const otherKey = join(dir, 'known_hosts_other');
    writeFileSync(otherKey, `[127.0.0.1]:${lab.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHGOHBA6ZXd8IzjUDZiTnBHHJmk1fmOihhHFQwYSLZ9e\n`);
    const wrong = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', knownHosts: otherKey }) });
    const r = await svmtest(['run', '-c', wrong, '--suite-file', suite, '-o', join(dir, 'wrong-key'), '--target', 'ssh', '-f', 'fixture/Basic.Passes']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/Host key verification failed/);

    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none' }) });
    const started = Date.now();
    const gone = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      suite,
      '-o',
      join(dir, 'unreachable'),
      '--target',
      'ssh',
      '--ssh',
      'root@127.0.0.1:1',
      '-f',
      'fixture/Basic.Passes',
    ]);
    expect(gone.exitCode, gone.stderr).toBe(3);
    expect(gone.stderr).toMatch(/ssh 127\.0\.0\.1: .*Connection refused/);
    expect(Date.now() - started).toBeLessThan(20_000);

    // Host-key checking off only when asked, and then the run says so.
    const out = join(dir, 'insecure');
    const ok = await svmtest([
      'run',
      '-c',
      wrong,
      '--suite-file',
      suite,
      '-o',
      out,
      '--target',
      'ssh',
      '--no-ssh-host-key-check',
      '-f',
      'fixture/Basic.Passes',
    ]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(readRunFile(out).run.warnings?.join('\n')).toMatch(/host key was not checked/);
  }, 300_000);

  it('nothing svmtest started on the DUT outlives it: kill -9, or a second Ctrl-C while a test ignores SIGTERM; the control directory goes too', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none' }) });
    const onDut = async () => (await lab.ssh('pgrep -f "[e]ngine_tests.*Hang" || true')).stdout.trim();
    const muxDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('svmtest-sshmux-'));
    const before = new Set(muxDirs());
    for (const how of ['kill -9', 'Ctrl-C twice'] as const) {
      const out = join(dir, `outlive-${how.replace(/\W/g, '')}`);
      const child = svmtest(['run', '-c', config, '--suite-file', suite, '--target', 'ssh', '-o', out, '-f', 'fixture/Hang.IgnoresTerm', '--timeout', '300']);
      const deadline = Date.now() + 60_000;
      while ((await onDut()) === '') {
        if (Date.now() > deadline) throw new Error(`the test never started on the DUT (${how})`);
        await new Promise((r) => setTimeout(r, 300));
      }
      if (how === 'kill -9') child.kill('SIGKILL');
      else {
        child.kill('SIGINT');
        await new Promise((r) => setTimeout(r, 1000)); // the test ignores the SIGTERM the first one sends
        child.kill('SIGINT');
      }
      await child.catch(() => undefined);
      const gone = Date.now() + 15_000;
      while ((await onDut()) !== '' && Date.now() < gone) await new Promise((r) => setTimeout(r, 300));
      expect(
        await onDut(),
        `${how}: the test still runs on the DUT:\n${(await lab.ssh('ps -eo pid,pgid,ppid,stat,args | grep -v "\\["; ls -la /tmp/svmtest-groups-*; cat /tmp/svmtest-groups-*/*')).stdout}`,
      ).toBe('');
      // The reaper gives the groups 2 s of grace before it removes the directory.
      const left = () => muxDirs().filter((d) => !before.has(d));
      for (const end = Date.now() + 10_000; left().length > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 200));
      expect(left(), `${how}: control directory left behind`).toEqual([]);
    }
  }, 300_000);

  it('ssh options that weaken host-key checking warn like --no-ssh-host-key-check; a readable key and a host that is an option are refused', async () => {
    const otherKey = join(dir, 'known_hosts_wrong');
    writeFileSync(otherKey, `[127.0.0.1]:${lab.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHGOHBA6ZXd8IzjUDZiTnBHHJmk1fmOihhHFQwYSLZ9e\n`);
    // (writeConfig writes dir/svmtest.yaml: each config is used before the next one replaces it.)
    const wrong = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', knownHosts: otherKey }) });
    const base = ['--suite-file', suite, '--target', 'ssh', '-f', 'fixture/Basic.Passes'];
    // doctor is a gate that can fail: a connection refused for its host key is exit 3, and --json says what is missing.
    const doctor = await svmtest(['doctor', '-c', wrong, '--target', 'ssh', '--json']);
    expect(doctor.exitCode, doctor.stderr).toBe(3);
    const report = JSON.parse(doctor.stdout) as { ready: boolean; missing: string[] };
    expect(report.ready).toBe(false);
    expect(report.missing).toContain('SSH connection');
    // StrictHostKeyChecking=no reaches a host whose key is wrong: the run must say so everywhere.
    const out = join(dir, 'weak-option');
    const r = await svmtest(['run', '-c', wrong, ...base, '-o', out, '--ssh-option', 'StrictHostKeyChecking=no', '-r', 'terminal,markdown']);
    expect(r.exitCode, r.stderr).toBe(0);
    const warning = /the DUT's SSH host key was not checked \(--ssh-option StrictHostKeyChecking=no\)/;
    expect(readRunFile(out).run.warnings?.join('\n')).toMatch(warning);
    expect(r.stdout + r.stderr).toMatch(warning);
    // Markdown escapes its punctuation; the words are the same.
    expect(readFileSync(join(out, 'summary.md'), 'utf8').replaceAll('\\', '')).toMatch(warning);
    // accept-new trusts whatever key a first connection meets.
    const empty = join(dir, 'known_hosts_empty');
    writeFileSync(empty, '');
    const fresh = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', knownHosts: empty, options: { StrictHostKeyChecking: 'accept-new' } }) });
    const acceptNew = await svmtest(['run', '-c', fresh, ...base, '-o', join(dir, 'accept-new')]);
    expect(acceptNew.exitCode, acceptNew.stderr).toBe(0);
    expect(readRunFile(join(dir, 'accept-new')).run.warnings?.join('\n')).toMatch(/not checked \(ssh\.options StrictHostKeyChecking=accept-new\)/);
    // A private key others can read: ssh would only say "Permission denied (publickey)".
    const readable = join(dir, 'readable_key');
    copyFileSync(lab.identity, readable);
    chmodSync(readable, 0o644);
    const key = await svmtest([
      'run',
      '-c',
      writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', identityFile: readable }) }),
      ...base,
      '-o',
      join(dir, 'key'),
    ]);
    expect(key.exitCode, key.stderr).toBe(2);
    expect(key.stderr).toMatch(/mode 0644 lets others read the private key.*fix: chmod 600/);
    // A host that would reach ssh as an option.
    const optionHost = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none', host: '-oProxyCommand=touch /tmp/svmtest-pwned' }) });
    const hostile = await svmtest(['run', '-c', optionHost, ...base, '-o', join(dir, 'option-host')]);
    expect(hostile.exitCode, hostile.stderr).toBe(2);
    expect(hostile.stderr.trim()).toBe('svmtest: ssh.host "-oProxyCommand=touch /tmp/svmtest-pwned": a host name cannot start with -');
  }, 300_000);

  it('doctor --target ssh checks the DUT: connection, root, kexec-tools, kernel log, disk, power and console commands', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ powerCommand: lab.powerCommand }) });
    const r = await svmtest(['doctor', '-c', config, '--target', 'ssh', '--json']);
    // The lab DUT has no GPU: it cannot run the configured suites, and doctor says so with exit 3.
    expect(r.exitCode, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout) as {
      ready: boolean;
      missing: string[];
      items: Array<{ area: string; ok: boolean; found: string; fix?: string; required: boolean }>;
    };
    expect(report.ready).toBe(false);
    expect(report.missing).toEqual(expect.arrayContaining(['/dev/kfd', 'GPUs (KFD topology)']));
    expect(report.missing).not.toContain('SSH connection');
    const checks = report.items;
    const check = (area: string) => checks.find((c) => c.area === area);
    expect(check('SSH connection')).toMatchObject({ ok: true });
    expect(check('root or sudo')).toMatchObject({ ok: true, found: 'logged in as root' });
    expect(check('kexec-tools (DUT)')).toMatchObject({ ok: true });
    expect(check('kernel log (/dev/kmsg)')).toMatchObject({ ok: true });
    expect(check('kernel')?.found).toContain(lab.release);
    expect(check('/dev/kfd')).toMatchObject({ ok: false });
    expect(check('power command')).toMatchObject({ ok: true });
    // The BMC form: each command found; the status is read (harmless), the others never run.
    const { powerOff, powerOn, powerStatus, consoleStop } = lab.bmc;
    const bmc = writeConfig(dir, {}, { ssh: lab.sshConfig({ powerOff, powerOn, powerStatus, consoleStop, consoleCommand: lab.consoleCommand }) });
    const items = (JSON.parse((await svmtest(['doctor', '-c', bmc, '--target', 'ssh', '--json'])).stdout) as { items: typeof checks }).items;
    const area = (a: string) => items.find((c) => c.area === a);
    for (const a of ['power off command', 'power on command', 'power status command', 'console stop command']) expect(area(a), a).toMatchObject({ ok: true });
    expect(area('DUT power (status)')).toMatchObject({ ok: true, found: 'the power status command says on' });
    const badPower = writeConfig(dir, {}, { ssh: lab.sshConfig({ powerOff }) });
    const refused = await svmtest(['doctor', '-c', badPower, '--target', 'ssh']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/ssh\.powerOn: powerOff and powerOn go together/);
    expect(check('console command')).toMatchObject({ ok: false, fix: expect.stringMatching(/ssh\.consoleCommand/) });
  }, 120_000);
});

describe('svmtest ci --target ssh', () => {
  it('gives the same verdicts as the QEMU target on the same kernel, suites and variants', async () => {
    const k = debianKernel();
    const config = writeConfig(
      dir,
      { suites: [], suiteFiles: [suite], profile: 'full' },
      {
        // With power control and the console, as a lab has them: a boot that hangs is power-cycled and tried again.
        ssh: lab.sshConfig({ kernel: lab.kernel, initrd: lab.initramfs, bootTimeout: 240, ...lab.bmc, powerOffDelay: 1, consoleCommand: lab.consoleCommand }),
        qemu: { kernel: k.kernel, modules: k.modules, memory: 1024, bootTimeout: 240, modprobe: [] },
        variants: VARIANTS,
        baseline: 'legacy',
        candidate: 'gpusvm',
      },
    );
    const filters = ['-f', 'fixture/Basic*', '-f', 'fixture/Gen*', '-f', 'fixture/Kernel.PageFault'];
    const viaSsh = await svmtest(['ci', '-c', config, '--target', 'ssh', '-o', join(dir, 'ci-ssh'), '-r', 'json', ...filters]);
    expect([0, 1], viaSsh.stderr).toContain(viaSsh.exitCode);
    // Both variants boot the same kernel: it is copied at most once, and each boot says when the DUT was back.
    expect(viaSsh.stderr).toMatch(/kernel \S+ is already on 127\.0\.0\.1:\S+ \(same digest\): not copied again/);
    expect(viaSsh.stderr.match(/the DUT runs \S+ \(boot [0-9a-f]{12}\), up over SSH after [\d.]+ s/g)).toHaveLength(2);
    const viaQemu = await svmtest([
      'ci',
      '-c',
      config,
      '--target',
      'qemu',
      '--kernel',
      k.kernel,
      '--modules',
      k.modules,
      '-o',
      join(dir, 'ci-qemu'),
      '-r',
      'json',
      ...filters,
    ]);
    expect(viaQemu.exitCode, viaQemu.stderr).toBe(viaSsh.exitCode);
    const verdicts = (out: string) => {
      const c = JSON.parse(readFileSync(join(dir, out, 'comparison.json'), 'utf8')) as ComparisonFile;
      return c.entries.map((e) => [e.suite, e.name, e.verdict]).sort();
    };
    expect(verdicts('ci-ssh')).toEqual(verdicts('ci-qemu'));
    expect(verdicts('ci-ssh').length).toBeGreaterThan(4);
    const candidate = readRunFile(join(dir, 'ci-ssh', 'gpusvm'));
    expect(candidate.run.target).toBe('ssh');
  }, 900_000);
});
