import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Real outputs of the real tools, kept in the repository (see its README for where each came from). */
export const REAL_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'real');

export const BIN = join(REPO_ROOT, 'bin', 'svmtest.js');
