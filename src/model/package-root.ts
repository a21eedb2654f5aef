import { fileURLToPath } from 'node:url';

/**
 * The installed package (or checkout): assets, built-in suites and configs live under it. Every
 * module at this depth (dist/<folder>/) and the CLI's bundle (dist/cli/) resolve it alike, so the
 * bundle finds the package wherever it was bundled from.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
