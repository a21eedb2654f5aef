import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { bzImageRelease } from '../../src/targets/ssh/kernel-image.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { journaled, waitFor } from '../helpers/wait.js';

// Real QEMU (TCG here), Debian's real kernel, the project's real gtest program inside the guest.
let program: string;
let dir: string;
let suite: string;
let config: string;
let kernelArgs: string[];

beforeAll(async () => {
  program = await gtestProgram();
  const k = debianKernel();
  kernelArgs = ['--target', 'qemu', '--kernel', k.kernel, '--modules', k.modules];
  // Run directories inside the repository: the guest sees the host's /tmp hidden under its own tmpfs.
  dir = tempDir('svmtest-qemu-');
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 120, env: { SVMTEST_ALLOW_GUEST_PANIC: '1' } });
  config = writeConfig(dir, {}, { qemu: { memory: 1024, bootTimeout: 240, modprobe: [] } });
}, SETUP_TIMEOUT_MS);

/** `svmtest run` of the fixture suite in the QEMU guest, into `out`. */
const inGuest = (out: string, ...flags: string[]) => ['run', '-c', config, '--suite-file', suite, '-o', out, ...kernelArgs, ...flags];
const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
const statuses = (run: RunFile) => run.tests.map((t) => [t.name, t.status] as const).sort();

describe("Debian's real bzImage", () => {
  it('its boot header names the release the kernel package says it is (a copy too)', () => {
    const k = debianKernel();
    expect(bzImageRelease(k.kernel)).toBe(k.release);
    const copy = join(tempDir(), 'copy');
    copyFileSync(k.kernel, copy);
    expect(bzImageRelease(copy)).toBe(k.release);
  });
});

describe('svmtest run --target qemu', () => {
  it('runs a real gtest program in the guest with results identical to a host run', async () => {
    const filters = ['-f', 'fixture/Basic*', '-f', 'fixture/Crash*', '-f', 'fixture/Gen*', '-f', 'fixture/Output.FakeMarkers'];
    const hostOut = join(dir, 'host');
    const guestOut = join(dir, 'guest');
    await svmtest(['run', '-c', config, '--suite-file', suite, '-o', hostOut, ...filters]);
    const r = await svmtest(inGuest(guestOut, ...filters));
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/QEMU: .*(TCG|KVM)/);
    const guest = readRunFile(guestOut);
    expect(guest.run.target).toBe('qemu');
    expect(guest.run.environment.kernelRelease).toBe(debianKernel().release);
    expect(statuses(guest)).toEqual(statuses(readRunFile(hostOut)));
    expect(readFileSync(join(guestOut, 'console.log'), 'utf8')).toMatch(/svmtest: guest agent ready/);
    // Debian's xz bzImage: its ELF, unpacked once on the host, entered through its PVH note.
    expect(guest.run.notes).toContain('kernel booted through its PVH entry (its ELF, unpacked once from the bzImage into the cache)');
    expect(readFileSync(join(guestOut, 'console.log'), 'utf8')).toMatch(/-kernel \S+\/kernels\/vmlinux-[0-9a-f]{16} /);
  }, 300_000);

  it('killed with kill -9 while the guest runs a test and resumed: the new guest boots in a directory of its own and the run completes', async () => {
    const out = join(dir, 'killed');
    const first = svmtest(inGuest(out, '-f', 'fixture/Basic.Passes', '-f', 'fixture/Hang.Forever', '--timeout', '8'));
    // Basic.Passes's result is journaled: the guest is inside Hang.Forever, its requests in boot-1/req.
    await waitFor('the first test in the guest', () => journaled(out, 'Basic.Passes'), 240_000);
    first.kill('SIGKILL');
    await first.catch(() => undefined);
    const resumed = await svmtest(['run', '--resume', out]);
    expect(resumed.exitCode, resumed.stderr).toBe(1); // Hang.Forever times out
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    expect(statuses(run)).toEqual([
      ['Basic.Passes', 'pass'],
      ['Hang.Forever', 'timeout'],
    ]);
    expect(
      readdirSync(join(out, '.agent'))
        .filter((f) => f.startsWith('boot-'))
        .sort(),
    ).toEqual(['boot-1', 'boot-2']);
  }, 400_000);

  it('a guest kernel panic is a crash with the panic in its kernel events; the guest boots again and the run completes', async () => {
    const out = join(dir, 'panic');
    const r = await svmtest(inGuest(out, '-f', 'fixture/Basic.Passes', '-f', 'fixture/Guest.Panic', '-f', 'fixture/Gen*'));
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/booting the guest again \(reboot 1 of at most 3\)/);
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    const panic = run.tests.find((t) => t.name === 'Guest.Panic')!;
    expect(panic.status).toBe('crash');
    expect(panic.message).toMatch(/guest kernel panicked/);
    expect(panic.kernelEvents.map((e) => e.kind)).toContain('panic');
    expect(panic.kernelEvents.find((e) => e.kind === 'panic')!.summary).toMatch(/sysrq triggered crash/);
    expect(run.tests.filter((t) => t.name.startsWith('Gen/')).map((t) => t.status)).toEqual(['pass', 'pass']);
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toMatch(/===== svmtest: boot 2/);
  }, 400_000);

  it('a guest that stops making progress trips the watchdog: crash, hang event, reboot, run goes on', async () => {
    const out = join(dir, 'hang');
    const r = await svmtest(inGuest(out, '--guest-watchdog', '8', '-f', 'fixture/Guest.StopAgent', '-f', 'fixture/Basic.Passes'));
    expect(r.stderr).toMatch(/guest watchdog: no progress for 8 s; killing QEMU/);
    const run = readRunFile(out);
    const hung = run.tests.find((t) => t.name === 'Guest.StopAgent')!;
    expect(hung).toMatchObject({ status: 'crash', message: expect.stringMatching(/stopped responding/) });
    expect(hung.kernelEvents.map((e) => e.kind)).toContain('hung-task');
    expect(run.tests.find((t) => t.name === 'Basic.Passes')!.status).toBe('pass');
  }, 400_000);

  it('after --max-reboots the remaining tests are notrun and the run is incomplete (exit 3)', async () => {
    const out = join(dir, 'maxreboots');
    const r = await svmtest(inGuest(out, '--max-reboots', '0', '-f', 'fixture/Guest.Panic', '-f', 'fixture/Gen*'));
    expect(r.exitCode).toBe(3);
    const run = readRunFile(out);
    expect(run.run.status).toBe('incomplete');
    expect(run.errors.map((e) => e.stage)).toContain('boot');
    expect(run.tests.filter((t) => t.name.startsWith('Gen/')).map((t) => t.status)).toEqual(['notrun', 'notrun']);
  }, 400_000);

  it('a kernel that cannot boot fails fast with exit 3 and says why', async () => {
    const garbage = join(dir, 'garbage-bzImage');
    writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
    const started = Date.now();
    const r = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      suite,
      '-o',
      join(dir, 'garbage'),
      '--target',
      'qemu',
      '--kernel',
      garbage,
      '--accel',
      'tcg',
    ]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/the guest did not boot: QEMU exited/);
    expect(Date.now() - started).toBeLessThan(60_000);
    // The run still has its run.json: incomplete, the boot failure as its error, no test pretended run.
    const failed = readRunFile(join(dir, 'garbage'));
    expect(failed.run).toMatchObject({ status: 'incomplete', target: 'qemu' });
    expect(failed.errors).toEqual([{ stage: 'boot', message: expect.stringMatching(/the guest did not boot: QEMU exited/) }]);
    expect(failed.tests).toEqual([]);
    const k = debianKernel();
    // qemu.pvh off: the bzImage itself, unpacking itself in the guest.
    const badCmdline = writeConfig(
      join(dir),
      {},
      { qemu: { memory: 1024, bootTimeout: 60, pvh: false, cmdline: ['root=/dev/nonexistent', 'init=/nonexistent'] } },
    );
    const r2 = await svmtest([
      'run',
      '-c',
      badCmdline,
      '--suite-file',
      suite,
      '-o',
      join(dir, 'badinit'),
      '--target',
      'qemu',
      '--kernel',
      k.kernel,
      '--accel',
      'tcg',
    ]);
    expect(r2.exitCode).toBe(3);
    expect(r2.stderr).toMatch(/the guest did not boot/);
    expect(r2.stderr).toMatch(/--- console \(last lines\) ---/);
    expect(r2.stderr).toMatch(/QEMU: kernel booted as given \(qemu\.pvh: false\)/);
    expect(readFileSync(join(dir, 'badinit', 'console.log'), 'utf8')).toContain(`-kernel ${k.kernel} `);
    writeConfig(dir, {}, { qemu: { memory: 1024, bootTimeout: 240, modprobe: [] } });
  }, 300_000);

  it('with amdgpu loaded in the guest, /dev/kfd appears (CPU-only topology) and preflight reports it', async () => {
    const cfg = join(dir, 'kfd.yaml');
    writeFileSync(
      cfg,
      readFileSync(config, 'utf8').replace('modprobe: []', 'modprobe: [amdgpu]') +
        'variants:\n  cpukfd:\n    expect: { kfd: true, kconfig: { DRM_AMDGPU: m }, kallsyms: { amdgpu_svm_init: false } }\n',
    );
    const out = join(dir, 'kfd');
    const r = await svmtest(['run', '-c', cfg, '--variant', 'cpukfd', '--suite-file', suite, '-o', out, ...kernelArgs, '-f', 'fixture/Guest.Kfd']);
    expect(r.exitCode, r.stderr).toBe(0);
    const run = readRunFile(out);
    expect(run.run.preflight!.find((c) => c.name === '/dev/kfd')).toMatchObject({ ok: true, found: 'opens' });
    expect(run.tests[0]).toMatchObject({ name: 'Guest.Kfd', status: 'pass' });
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toMatch(/Virtual CRAT table created for CPU/);
  }, 300_000);

  it('a module the guest could not load is a warning in run.json and every report, not a fact hidden in the agent log', async () => {
    const cfg = join(dir, 'blacklisted.yaml');
    writeFileSync(cfg, readFileSync(config, 'utf8').replace('modprobe: []', 'modprobe: [amdgpu]\n  cmdline: [module_blacklist=amdgpu]'));
    const out = join(dir, 'blacklisted');
    const r = await svmtest(['run', '-c', cfg, '--suite-file', suite, '-o', out, ...kernelArgs, '-f', 'fixture/Basic.Passes', '-r', 'terminal,markdown']);
    expect(r.exitCode, r.stderr).toBe(0);
    const warning = readRunFile(out).run.warnings?.find((w) => /the guest could not load amdgpu/.test(w));
    expect(warning, JSON.stringify(readRunFile(out).run.warnings)).toBeDefined();
    expect(r.stderr + r.stdout).toMatch(/WARNING: the guest could not load amdgpu/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/the guest could not load amdgpu/);
  }, 300_000);
});
