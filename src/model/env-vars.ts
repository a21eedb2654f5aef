import { isAbsolute } from 'node:path';
import { InputError } from './errors.js';
import { maxInputBytes } from './json-file.js';

// svmtest's environment variables are checked as strictly as its flags, before any command runs:
// a value that is silently ignored (SVMTEST_MAX_INPUT_MIB=abc) would change what a run does
// without anyone noticing.

const SWITCHES = ['SVMTEST_DEBUG', 'SVMTEST_TRACE'] as const;
const PATHS = ['SVMTEST_CACHE', 'SVMTEST_ROCM_SRC'] as const;

/** Throws an InputError naming the first variable whose value svmtest cannot take. */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SWITCHES) {
    const value = env[name];
    if (value !== undefined && value !== '' && value !== '0' && value !== '1')
      throw new InputError(`${name}="${value.slice(0, 40)}": expected 1 (on) or 0 (off)`);
  }
  for (const name of PATHS) {
    const value = env[name];
    if (value === undefined) continue;
    if (value === '' || !isAbsolute(value)) throw new InputError(`${name}="${value.slice(0, 200)}": expected an absolute directory path`);
  }
  if (env.SVMTEST_HISTORY_DB !== undefined && env.SVMTEST_HISTORY_DB.trim() === '') {
    throw new InputError('SVMTEST_HISTORY_DB is set but empty; expected a SQLite file path or a postgres:// URL (or unset it)');
  }
  maxInputBytes(env);
}
