import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package (or checkout): assets, built-in suites and configs live under it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Built artifacts, initramfs images, compiled demo programs: $SVMTEST_CACHE, else the XDG cache. */
export function cacheDir(): string {
  return process.env.SVMTEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'svmtest');
}
