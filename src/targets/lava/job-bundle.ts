import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { InfraError, InputError } from '../../model/errors.js';
import { pruneOlder } from '../../model/cache-prune.js';
import { svmtestBundle } from './svmtest-bundle.js';

/** Where svmtest lives in the job's initramfs. */
export const JOB_ROOT = '/opt/svmtest';
export const JOB_ENTRY = `${JOB_ROOT}/dist/cli/job.mjs`;

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];
const EMPTY_DIRS = ['bin', 'dev', 'proc', 'sys', 'tmp', 'run', 'root'];
// Programs the engine itself runs on the machine beyond busybox's: line-buffered output (stdbuf and
// the library it preloads) and bash (kfdtest's own skip list is a bash fragment).
const ENGINE_TOOLS = ['/usr/bin/stdbuf', '/usr/libexec/coreutils/libstdbuf.so', '/bin/bash'];

// The initramfs's /init: the pseudo file systems, the console left to the echo (printk to
// emergencies only, once LAVA has seen the kernel boot), then a shell for LAVA's test runner.
// No tmpfs over /tmp or /run: files the run needs may be packed there, and the root is in memory.
// The loopback is up: gtest streams its results to a listener on it.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp /run /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 > /proc/sys/kernel/printk
ip link set lo up
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
exec setsid cttyhack sh
`;

export interface BundleInput {
  readonly cacheDir: string;
  /** Host files and directories the run needs in the job, packed at the same paths. */
  readonly files: readonly string[];
  /** The kernel's module tree (DIR/lib/modules/<release>) and the modules the variant loads. */
  readonly modules?: { readonly dir: string; readonly release: string; readonly load: readonly string[] };
  /** The kernel's config, packed as /boot/config-<release> for preflight. */
  readonly kernelConfig?: { readonly file: string; readonly release: string };
  readonly note: (message: string) => void;
}

// Initramfs files kept in the cache (110 MB each; a new svmtest build or config makes a new one).
const KEEP_INITRAMFS = 4;

function isElf(file: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, head, 0, 4, 0);
    return head.toString('latin1') === '\x7fELF';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The shared libraries an ELF program loads, as the host's dynamic loader resolves them. */
async function libraries(file: string): Promise<string[]> {
  const result = await execa('ldd', [file], { reject: false });
  if (result.exitCode !== 0) return []; // static, or not a program
  return [...result.stdout.matchAll(/(?:=>\s*)?(\/[^\s)]+)\s+\(0x/g)].map((m) => m[1]!);
}

function walk(path: string): string[] {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return existsSync(path) ? walk(realpathSync(path)).map((p) => join(path, relative(realpathSync(path), p))) : [];
  if (!stat.isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => walk(join(path, name)));
}

/** A module and every module it needs, from modules.dep: the paths under lib/modules/<release>. */
function moduleClosure(root: string, load: readonly string[]): string[] {
  const depFile = join(root, 'modules.dep');
  if (!existsSync(depFile)) return [];
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(depFile, 'utf8').split('\n')) {
    const [path, rest] = line.split(':');
    if (path) deps.set(path, (rest ?? '').trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map(
    [...deps.keys()].map((p) => [
      p
        .split('/')
        .pop()!
        .replace(/\.ko(\.[gx]z|\.zst)?$/, '')
        .replace(/-/g, '_'),
      p,
    ]),
  );
  const wanted = new Set<string>();
  const add = (path: string) => {
    if (wanted.has(path)) return;
    wanted.add(path);
    for (const dep of deps.get(path) ?? []) add(dep);
  };
  for (const name of load) {
    const path = byName.get(name.replace(/-/g, '_'));
    if (path) add(path); // absent: built into this kernel
  }
  return [...wanted];
}

/**
 * The job's initramfs: busybox and /init, node and svmtest (one bundled file), the files the
 * suites need with every shared library their programs load, the variant's kernel modules and the
 * kernel's config. Built once and cached by what is in it; LAVA adds its own test overlay.
 */
export async function buildJobInitramfs(input: BundleInput): Promise<string> {
  const busybox = BUSYBOX.find((p) => existsSync(p));
  if (!busybox) throw new InfraError('busybox not found: the LAVA target packs a static busybox into its initramfs (sudo apt-get install -y busybox-static)');
  const svmtest = await svmtestBundle(input.cacheDir, input.note);
  // Host files at their own paths: the config, suite files and programs keep the paths the run names.
  const hostFiles = new Set<string>();
  for (const path of [process.execPath, ...ENGINE_TOOLS.filter((p) => existsSync(p)), ...input.files]) {
    if (!existsSync(path)) throw new InputError(`${path}: the run needs it in the LAVA job, but it does not exist here`);
    for (const file of walk(path)) hostFiles.add(file);
  }
  for (const file of [...hostFiles]) if (isElf(file)) for (const lib of await libraries(file)) hostFiles.add(lib);
  const extra: Array<{ from: string; to: string }> = [{ from: busybox, to: '/bin/busybox' }];
  for (const file of walk(svmtest)) extra.push({ from: file, to: join(JOB_ROOT, relative(svmtest, file)) });
  if (input.modules) {
    const root = join(input.modules.dir, 'lib', 'modules', input.modules.release);
    for (const name of ['modules.dep', 'modules.alias', 'modules.symbols', 'modules.builtin', 'modules.order']) {
      if (existsSync(join(root, name))) extra.push({ from: join(root, name), to: `/lib/modules/${input.modules.release}/${name}` });
    }
    for (const path of moduleClosure(root, input.modules.load)) extra.push({ from: join(root, path), to: `/lib/modules/${input.modules.release}/${path}` });
  }
  if (input.kernelConfig) extra.push({ from: input.kernelConfig.file, to: `/boot/config-${input.kernelConfig.release}` });

  const entries = [...[...hostFiles].map((f) => ({ from: f, to: f })), ...extra].sort((a, b) => a.to.localeCompare(b.to));
  const hash = createHash('sha256').update(INIT);
  for (const { from, to } of entries) {
    const stat = statSync(from);
    hash.update(`${to}\0${stat.size}\0${stat.mtimeMs}\0${stat.mode}\n`);
  }
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(input.cacheDir, 'lava');
  const out = join(dir, `initramfs-${key}.cpio`);
  if (existsSync(out)) return out;

  // A stage of this process's own: two runs building the same initramfs never share one.
  const stage = join(dir, `initramfs-${key}.stage-${process.pid}-${randomBytes(4).toString('hex')}`);
  const tmp = `${stage}.cpio`;
  try {
    for (const d of EMPTY_DIRS) mkdirSync(join(stage, d), { recursive: true });
    for (const { from, to } of entries) {
      const target = join(stage, to);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(from, target);
      chmodSync(target, statSync(from).mode & 0o7777);
    }
    writeFileSync(join(stage, 'init'), INIT, { mode: 0o755 });
    const list = walk(stage).map((p) => relative(stage, p));
    const dirs = new Set<string>(EMPTY_DIRS);
    for (const file of list) for (let d = dirname(file); d !== '.'; d = dirname(d)) dirs.add(d);
    try {
      await execa('cpio', ['-o', '-H', 'newc', '--quiet', '-O', tmp], { cwd: stage, input: `${[...[...dirs].sort(), ...list].join('\n')}\n` });
    } catch (error) {
      throw new InfraError(`building the LAVA job's initramfs with cpio failed: ${(error as Error).message.split('\n')[0]} (sudo apt-get install -y cpio)`);
    }
    renameSync(tmp, out);
    pruneOlder(dir, /^initramfs-[0-9a-f]{16}\.cpio$/, KEEP_INITRAMFS);
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
  return out;
}
