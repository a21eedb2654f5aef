import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** Debian's kernel, extracted by scripts/fetch-debian-kernel.sh (install-deps.sh runs it). */
export const DEBIAN_KERNEL_DIR = process.env.SVMTEST_TEST_KERNEL_DIR ?? join(REPO_ROOT, '.cache', 'debian-kernel');

export function debianKernel(): { kernel: string; modules: string; release: string } {
  const kernel = join(DEBIAN_KERNEL_DIR, 'vmlinuz');
  if (!existsSync(kernel)) {
    throw new Error(`no test kernel at ${DEBIAN_KERNEL_DIR}: run bash scripts/fetch-debian-kernel.sh ${DEBIAN_KERNEL_DIR}`);
  }
  return { kernel, modules: join(DEBIAN_KERNEL_DIR, 'modules'), release: readFileSync(join(DEBIAN_KERNEL_DIR, 'release'), 'utf8').trim() };
}
