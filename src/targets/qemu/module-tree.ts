import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';

const DEPMOD = ['/usr/sbin/depmod', '/sbin/depmod'];

/**
 * A module tree the guest can load from: as given when it has modules.dep, else a cached copy
 * (hard links where the file system allows) indexed with `depmod -b`. The user's tree is never written.
 */
export async function modulesWithIndex(modulesDir: string, release: string, cacheDir: string, note: (message: string) => void): Promise<string> {
  const tree = join(modulesDir, 'lib', 'modules', release);
  if (existsSync(join(tree, 'modules.dep'))) return modulesDir;
  const depmod = DEPMOD.find((p) => existsSync(p));
  if (!depmod)
    throw new InfraError(`--modules ${modulesDir}: ${release} has no modules.dep and depmod is not installed to make one (sudo apt-get install -y kmod)`);
  const key = createHash('sha256')
    .update(`${tree}\0${statSync(tree).mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const copy = join(cacheDir, `modules-${key}`);
  if (existsSync(join(copy, '.indexed'))) return copy;
  note(`--modules ${modulesDir} has no modules.dep: indexing a copy with depmod in ${copy}`);
  const staging = `${copy}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'lib', 'modules'), { recursive: true });
  const linked = await execa('cp', ['-al', tree, join(staging, 'lib', 'modules', release)], { reject: false });
  if (linked.exitCode !== 0) {
    rmSync(join(staging, 'lib', 'modules', release), { recursive: true, force: true });
    const copied = await execa('cp', ['-a', tree, join(staging, 'lib', 'modules', release)], { reject: false });
    if (copied.exitCode !== 0) throw new InfraError(`copying ${tree} into ${staging} failed: ${copied.stderr.trim().split('\n')[0]}`);
  }
  const indexed = await execa(depmod, ['-b', staging, release], { reject: false });
  if (indexed.exitCode !== 0) throw new InfraError(`depmod -b ${staging} ${release} failed: ${indexed.stderr.trim().split('\n')[0]}`);
  writeFileSync(join(staging, '.indexed'), '');
  rmSync(copy, { recursive: true, force: true });
  renameSync(staging, copy);
  return copy;
}
