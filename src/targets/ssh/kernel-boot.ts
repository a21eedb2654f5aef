import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { copyToDut } from './copy-to-dut.js';
import { bzImageRelease, contentKey, filesDigest, modulesRelease, treeFingerprint } from './kernel-image.js';
import { SshConnection, sshComplaint } from './ssh-connection.js';
import type { SshEndpoint, SshSettings } from './ssh-settings.js';

/** A variant's kernel installed on the DUT, ready to boot. */
export interface DeployedKernel {
  readonly release: string;
  readonly image: string;
  readonly initrd?: string;
  /** The host file of the kernel's config, when it came with one (read on the controller). */
  readonly localConfig?: string;
  /** How the kernel reached the DUT this time; none: the DUT already held it. */
  readonly copiedWith: 'rsync' | 'scp' | 'none';
}

/** How the DUT looks right now: which boot this is, and whether it is the one svmtest asked for. */
export interface DutState {
  readonly bootId: string;
  readonly release: string;
  readonly cmdline: string;
}

/** The kernel argument that names one boot svmtest started: proof that the DUT runs it, not a stale kernel. */
export const BOOT_TOKEN = 'svmtest.dut_boot';

export function privileged(root: boolean, argv: readonly string[]): string[] {
  return root ? [...argv] : ['sudo', '-n', ...argv];
}

async function must(conn: SshConnection, argv: readonly string[], what: string): Promise<string> {
  const result = await conn.run(argv, { timeoutMs: 600_000, alone: true });
  if (result.exitCode !== 0) throw new InfraError(`${what} on the DUT failed (${argv.join(' ')}): ${sshComplaint(result.stderr || result.stdout)}`);
  return result.stdout;
}

export async function dutState(conn: SshConnection): Promise<DutState> {
  const out = await must(conn, ['sh', '-c', 'cat /proc/sys/kernel/random/boot_id; uname -r; cat /proc/cmdline'], 'reading the boot state');
  const [bootId = '', release = '', cmdline = ''] = out.split('\n');
  return { bootId, release, cmdline };
}

/** A marker svmtest leaves beside what it deployed: the digest of that content. */
const DEPLOYED_MARK = '.svmtest-digest';

/** What the DUT says it holds at `dir` (the digest svmtest wrote after its last complete copy). */
async function heldDigest(conn: SshConnection, dir: string): Promise<string | undefined> {
  const read = await conn.run(['cat', `${dir}/${DEPLOYED_MARK}`]);
  return read.exitCode === 0 ? read.stdout.trim() || undefined : undefined;
}

async function markDeployed(conn: SshConnection, root: boolean, dir: string, digest: string): Promise<void> {
  await must(conn, privileged(root, ['sh', '-c', 'printf "%s\\n" "$2" > "$1"', 'svmtest', `${dir}/${DEPLOYED_MARK}`, digest]), 'recording the deployed digest');
}

/** `work` with a line every 10 s while it lasts (a deploy over a slow link shows it is alive), then its time. */
async function withProgress<T>(note: (m: string) => void, what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => note(`${what}: ${Math.round((Date.now() - started) / 1000)} s so far`), 10_000);
  try {
    const result = await work;
    const seconds = (Date.now() - started) / 1000;
    if (seconds >= 1) note(`${what}: done in ${seconds.toFixed(1)} s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Copies the variant's kernel (image, initramfs, config, modules) to the DUT, where it is kept by
 * content. What the DUT already holds with the same digest (the other variant's identical kernel,
 * the same kernel after a power cycle) is not copied again.
 */
export async function deployKernel(conn: SshConnection, root: boolean, settings: SshSettings, note: (m: string) => void): Promise<DeployedKernel> {
  const image = settings.kernel!;
  const release = (settings.modules ? modulesRelease(settings.modules) : undefined) ?? bzImageRelease(image);
  if (!release) throw new InfraError(`${image}: cannot tell its kernel release (not a bzImage, and no --modules tree beside it)`);
  const dir = `${settings.kernelDir}/${release}-${contentKey(image)}`;
  const config = [join(dirname(image), 'config'), join(dirname(image), `config-${release}`)].find((p) => existsSync(p));
  const files = [image, ...(settings.initrd ? [settings.initrd] : []), ...(config ? [config] : [])];
  const digest = filesDigest(files);
  let copiedWith: 'rsync' | 'scp' | 'none' = 'none';
  if ((await heldDigest(conn, dir)) === digest) note(`kernel ${release} is already on ${conn.endpoint.host}:${dir} (same digest): not copied again`);
  else {
    await must(conn, privileged(root, ['mkdir', '-p', dir]), 'making the kernel directory');
    const size = files.reduce((sum, f) => sum + statSync(f).size, 0);
    copiedWith = await withProgress(
      note,
      `deploying kernel ${release} (${mib(size)}) to ${conn.endpoint.host}:${dir}`,
      copyToDut(conn, files, dir, { sudo: !root }),
    );
    await markDeployed(conn, root, dir, digest);
  }
  const base = (p: string) => p.split('/').pop()!;
  if (settings.modules) {
    const tree = `/lib/modules/${release}`;
    const source = join(settings.modules, 'lib', 'modules', release);
    const fingerprint = treeFingerprint(source);
    if ((await heldDigest(conn, tree)) === fingerprint) note(`modules ${release} are already on the DUT (same files): not copied again`);
    else {
      await must(conn, privileged(root, ['mkdir', '-p', tree]), 'making the module directory');
      const how = await withProgress(note, `copying modules ${release} to the DUT`, copyToDut(conn, [`${source}/`], tree, { sudo: !root, mirror: true }));
      await withProgress(note, 'depmod on the DUT', must(conn, privileged(root, ['depmod', '-a', release]), 'depmod'));
      await markDeployed(conn, root, tree, fingerprint);
      if (copiedWith === 'none') copiedWith = how;
    }
  }
  let initrd = settings.initrd ? `${dir}/${base(settings.initrd)}` : undefined;
  if (!initrd && settings.initrdCommand) {
    const argv = settings.initrdCommand.map((a) => a.replaceAll('{release}', release));
    await withProgress(note, 'making the initramfs on the DUT', must(conn, privileged(root, argv), 'making the initramfs'));
    initrd = settings.initrdPath.replaceAll('{release}', release);
  }
  return { release, image: `${dir}/${base(image)}`, ...(initrd ? { initrd } : {}), ...(config ? { localConfig: config } : {}), copiedWith };
}

/** The DUT's own command line, saved once so that each variant's arguments start from it, not from the last variant's. */
async function defaultCmdline(conn: SshConnection, root: boolean, settings: SshSettings): Promise<string[]> {
  const saved = `${settings.kernelDir}/default-cmdline`;
  const read = await conn.run(['cat', saved]);
  if (read.exitCode === 0 && read.stdout.trim()) return read.stdout.trim().split(/\s+/);
  const words = (await dutState(conn)).cmdline.split(/\s+/);
  // Saved before svmtest's first boot, on the DUT's disk. A DUT already on a kernel svmtest booted
  // (the file lost) gives its running line, the variant's own arguments removed.
  const ours = new Set([...settings.variantCmdline, ...settings.otherCmdline]);
  const current = words.filter(
    (w) => w && !/^(BOOT_IMAGE|initrd)=/.test(w) && !w.startsWith(`${BOOT_TOKEN}=`) && !(words.some((x) => x.startsWith(`${BOOT_TOKEN}=`)) && ours.has(w)),
  );
  await must(
    conn,
    privileged(root, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" > "$1"', 'svmtest', saved, current.join(' ')]),
    'saving the default command line',
  );
  return current;
}

/** The command line the deployed kernel boots with, ending in this boot's token. */
export async function bootCmdline(conn: SshConnection, root: boolean, settings: SshSettings, token: string): Promise<string> {
  const base = settings.cmdline ? [...settings.cmdline] : await defaultCmdline(conn, root, settings);
  const words = [...base, ...settings.variantCmdline].filter((w, i, all) => all.indexOf(w) === i);
  return [...words, `${BOOT_TOKEN}=${token}`].join(' ');
}

export function newToken(): string {
  return randomBytes(6).toString('hex');
}

// Detached from the SSH session so the command returns before the kernel goes: systemd's kexec
// where systemd runs (services stop cleanly), else kexec -e; a reboot for the boot-loader path.
const KEXEC_NOW = 'sleep 1; if [ -d /run/systemd/system ]; then systemctl kexec; else kexec -e; fi';
const REBOOT_NOW = 'sleep 1; if [ -d /run/systemd/system ]; then systemctl reboot; else reboot; fi';

function detached(root: boolean, script: string): string[] {
  return privileged(root, ['setsid', 'sh', '-c', `(${script}) </dev/null >/dev/null 2>&1 &`]);
}

/** Starts booting the deployed kernel (the connection drops as it does). */
export async function startBoot(conn: SshConnection, root: boolean, settings: SshSettings, kernel: DeployedKernel, cmdline: string): Promise<void> {
  if (settings.boot === 'kexec') {
    const load = ['kexec', '-l', kernel.image, ...(kernel.initrd ? ['--initrd', kernel.initrd] : []), '--append', cmdline];
    await must(conn, privileged(root, load), 'kexec -l (is kexec-tools installed?)');
    await must(conn, detached(root, KEXEC_NOW), 'starting kexec');
    return;
  }
  // grub: install as /boot/vmlinuz-<release>, regenerate the menu, pick its entry for the next boot only.
  const image = `/boot/vmlinuz-${kernel.release}`;
  await must(conn, privileged(root, ['cp', kernel.image, image]), 'installing the kernel in /boot');
  await must(conn, privileged(root, ['update-grub']), 'update-grub');
  await must(conn, privileged(root, ['grub-reboot', settings.grubEntry.replaceAll('{release}', kernel.release)]), 'grub-reboot');
  await must(conn, detached(root, REBOOT_NOW), 'rebooting');
}

/** Reboots the DUT into its default kernel (ssh.restore). */
export async function restoreDefault(conn: SshConnection, root: boolean): Promise<void> {
  await must(conn, detached(root, REBOOT_NOW), 'rebooting into the default kernel');
}

/**
 * Is the DUT running the boot svmtest started? Only a new boot counts: the same boot id is the old
 * kernel still going down. A new boot without this token, or with another release, is the wrong
 * kernel — an infrastructure failure, never a test result.
 */
export function checkBooted(before: DutState, now: DutState, token: string, release: string): 'booted' | 'not-yet' {
  if (now.bootId === before.bootId) return 'not-yet';
  const words = now.cmdline.split(/\s+/);
  if (!words.includes(`${BOOT_TOKEN}=${token}`))
    throw new InfraError(`the DUT came back on another kernel: ${now.release} with command line "${now.cmdline}", not the deployed ${release} (boot ${token})`);
  if (now.release !== release) throw new InfraError(`the DUT booted kernel ${now.release}, but the deployed kernel is ${release}`);
  return 'booted';
}

/**
 * Connects to the DUT only to reboot it into its default kernel: the end of a series of runs
 * (a bisect) that each left ssh.restore to this one reboot.
 */
export async function rebootIntoDefault(endpoint: SshEndpoint, connectTimeoutMs: number): Promise<void> {
  const conn = new SshConnection(endpoint);
  try {
    await conn.open(connectTimeoutMs);
    const root = (await conn.run(['id', '-u'])).stdout.trim() === '0';
    await restoreDefault(conn, root);
  } finally {
    await conn.close();
  }
}
