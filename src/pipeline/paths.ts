import { homedir } from 'node:os';
import { join } from 'node:path';

export { PACKAGE_ROOT } from '../model/package-root.js';

/** Built artifacts, initramfs images, compiled demo programs: $SVMTEST_CACHE, else the XDG cache. */
export function cacheDir(): string {
  return process.env.SVMTEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'svmtest');
}
