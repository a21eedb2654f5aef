import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { PACKAGE_ROOT } from '../../model/package-root.js';

export const INIT_SCRIPT = join(PACKAGE_ROOT, 'assets', 'qemu', 'init.sh');
export const AGENT_SCRIPT = join(PACKAGE_ROOT, 'assets', 'qemu', 'agent.sh');

/** What the initramfs loads before it can mount the host root (modules in distribution kernels, in order). */
export const NINEP_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  '9pnet',
  '9pnet_virtio',
  'netfs',
  'fscache',
  '9p',
  'overlay',
];

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

function findBusybox(): string {
  const found = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new InfraError('busybox not found: the QEMU target needs a static busybox for its initramfs (sudo apt-get install -y busybox-static)');
  return found;
}

/** modules.dep: module name → path of its .ko (names compare with - and _ alike). */
export function moduleIndex(modulesDir: string, release: string): Map<string, string> {
  const index = new Map<string, string>();
  const dep = join(modulesDir, 'lib', 'modules', release, 'modules.dep');
  if (!existsSync(dep)) return index;
  for (const line of readFileSync(dep, 'utf8').split('\n')) {
    const path = line.split(':')[0];
    if (!path) continue;
    const name = path
      .split('/')
      .pop()!
      .replace(/\.ko(\.[gx]z|\.zst)?$/, '')
      .replace(/-/g, '_');
    index.set(name, join(modulesDir, 'lib', 'modules', release, path));
  }
  return index;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? [path, ...walk(path)] : [path];
  });
}

export interface InitramfsInput {
  readonly cacheDir: string;
  /** The kernel's module tree (…/lib/modules/<release> under it), when its virtio/9p are modules. */
  readonly modulesDir?: string;
  readonly release?: string;
}

/**
 * A small initramfs (busybox, the 9p module chain, our /init), built once and cached by the
 * hash of everything in it.
 */
export async function buildInitramfs(input: InitramfsInput): Promise<string> {
  const busybox = findBusybox();
  const modules: Array<{ name: string; path: string }> = [];
  if (input.modulesDir && input.release) {
    const index = moduleIndex(input.modulesDir, input.release);
    for (const name of NINEP_MODULES) {
      const path = index.get(name.replace(/-/g, '_'));
      if (path) modules.push({ name, path }); // absent: built into this kernel
    }
  }
  const hash = createHash('sha256');
  for (const file of [busybox, INIT_SCRIPT, ...modules.map((m) => m.path)]) hash.update(file).update(readFileSync(file));
  const key = hash.digest('hex').slice(0, 16);
  const out = join(input.cacheDir, `initramfs-${key}.cpio`);
  if (existsSync(out)) return out;

  // Staged under this process's own names: two svmtest runs sharing a cache may build the same one at once.
  const stage = join(input.cacheDir, `initramfs-${key}.${process.pid}.stage`);
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'newroot', 'modules']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(busybox, join(stage, 'bin', 'busybox'));
  chmodSync(join(stage, 'bin', 'busybox'), 0o755);
  copyFileSync(INIT_SCRIPT, join(stage, 'init'));
  chmodSync(join(stage, 'init'), 0o755);
  for (const m of modules) copyFileSync(m.path, join(stage, 'modules', `${m.name}.ko`));
  writeFileSync(join(stage, 'modules', 'order'), `${modules.map((m) => m.name).join('\n')}\n`);
  const list = walk(stage).map((p) => relative(stage, p));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await execa('cpio', ['-o', '-H', 'newc', '--quiet', '-O', tmp], { cwd: stage, input: `${list.join('\n')}\n` });
  } catch (error) {
    throw new InfraError(`building the initramfs with cpio failed: ${(error as Error).message.split('\n')[0]} (sudo apt-get install -y cpio)`);
  }
  renameSync(tmp, out);
  rmSync(stage, { recursive: true, force: true });
  return out;
}
