import { execa } from 'execa';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildInitramfs } from './initramfs.js';
import { qemuArgv } from './qemu-command.js';

export interface AccelChoice {
  readonly accel: 'kvm' | 'tcg';
  readonly why: string;
}

const PROBE_TIMEOUT_MS = 20_000;

/**
 * KVM when it actually works: /dev/kvm existing is not enough (on some machines an ordinary
 * guest aborts or hangs under it), so a tiny guest is booted once under KVM; the verdict is
 * cached until the host reboots.
 */
export async function chooseAccel(
  wanted: 'auto' | 'kvm' | 'tcg',
  probe: { kernel: string; cacheDir: string; modulesDir?: string; release?: string },
): Promise<AccelChoice> {
  if (wanted !== 'auto') return { accel: wanted, why: `${wanted.toUpperCase()} as configured` };
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', why: 'no usable /dev/kvm; using TCG (software emulation, slower)' };
  }
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  const cacheFile = join(probe.cacheDir, `kvm-probe-${bootId}.json`);
  const cached = await readFile(cacheFile, 'utf8')
    .then((t) => JSON.parse(t) as AccelChoice)
    .catch(() => undefined);
  if (cached) return cached;
  const initramfs = await buildInitramfs({
    cacheDir: probe.cacheDir,
    ...(probe.modulesDir ? { modulesDir: probe.modulesDir } : {}),
    ...(probe.release ? { release: probe.release } : {}),
  });
  const argv = qemuArgv({
    kernel: probe.kernel,
    initramfs,
    runDir: '/',
    accel: 'kvm',
    memoryMiB: 512,
    cpus: 1,
    boot: 0,
    cmdline: [],
    vfio: [],
    network: false,
    probe: true,
  });
  const qemu = execa('qemu-system-x86_64', argv, { reject: false, stdin: 'ignore', buffer: false, encoding: 'utf8', detached: true });
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
    createInterface({ input: qemu.stdout! }).on('line', (line) => {
      if (line.includes('SVMTEST-PROBE-OK')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void qemu.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  qemu.kill('SIGKILL');
  await qemu;
  const choice: AccelChoice = ok
    ? { accel: 'kvm', why: 'KVM works here' }
    : { accel: 'tcg', why: 'KVM did not boot a test guest here; using TCG (software emulation, slower)' };
  await mkdir(probe.cacheDir, { recursive: true });
  await writeFile(cacheFile, JSON.stringify(choice));
  return choice;
}
