import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../model/exit-codes.js';
import { ActionInputError, parseActionArgs, parseOkCodes } from './action-args.js';

// The composite action's one step (action.yml): svmtest's arguments come from the workflow as a
// list — one per line, or a JSON array — and are passed on as an argument vector. Its exit code
// goes to the step's output; the step fails unless the code is one the workflow let through.

function main(): number {
  const env = process.env;
  let args: string[];
  let ok: Set<number>;
  try {
    args = parseActionArgs(env.SVMTEST_ARGS ?? '');
    ok = parseOkCodes(env.SVMTEST_OK_EXIT_CODES ?? '0');
  } catch (error) {
    if (!(error instanceof ActionInputError)) throw error;
    process.stderr.write(`svmtest action: ${error.message}\n`);
    return EXIT.usage;
  }
  if (env.SVMTEST_CONFIG) args.push('-c', env.SVMTEST_CONFIG);
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'svmtest.js');
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  const code = r.status ?? (r.signal ? 128 + constants.signals[r.signal] : EXIT.infra);
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `exit-code=${code}\n`);
  // A code the workflow did not let through fails the step (a 0 left out of the list fails it with 1).
  if (!ok.has(code)) return code === 0 ? 1 : code;
  return EXIT.ok;
}

process.exitCode = main();
