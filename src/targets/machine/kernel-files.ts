import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The release of a kernel module tree: DIR/lib/modules/<release>, when there is exactly one. */
export function releaseOf(modulesDir: string): string | undefined {
  try {
    const releases = readdirSync(join(modulesDir, 'lib', 'modules'));
    return releases.length === 1 ? releases[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The kernel's own config beside its image (config, config-<release>, .config), read on this machine. */
export function configBeside(kernel: string, release: string | undefined): string | undefined {
  const dir = dirname(kernel);
  return [join(dir, 'config'), release ? join(dir, `config-${release}`) : '', join(dir, '.config')].find((p) => p && existsSync(p) && statSync(p).isFile());
}
