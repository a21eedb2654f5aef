import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared fixtures sit beside the checkout (../shared/fixtures); SVMTEST_FIXTURES overrides. */
export const SHARED_FIXTURES = process.env.SVMTEST_FIXTURES ?? join(REPO_ROOT, '..', 'shared', 'fixtures');

export function sharedFixturesPresent(): boolean {
  return existsSync(SHARED_FIXTURES);
}

export const BIN = join(REPO_ROOT, 'bin', 'svmtest.js');
