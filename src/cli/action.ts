import { CommanderError } from 'commander';
import { describeCause, SvmtestError } from '../model/errors.js';
import { fileSystemError } from '../model/fs-errors.js';
import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { writeErr } from './screen.js';

function codeFor(error: SvmtestError): ExitCode {
  switch (error.kind) {
    case 'input':
      return EXIT.usage;
    case 'infra':
      return EXIT.infra;
    case 'interrupted':
      return EXIT.interrupted;
    case 'done':
      return EXIT.ok;
    default:
      return EXIT.infra;
  }
}

export function isDebug(): boolean {
  return process.argv.includes('--debug') || process.env.SVMTEST_DEBUG === '1';
}

/** Reports an error as one line (a stack trace only with --debug) and returns the exit code. */
export function exitCodeForError(error: unknown): ExitCode {
  const debug = isDebug();
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  // A file-system error nothing below caught: one line naming the path (exit 2 for a path the user
  // gave that cannot be used, 3 for a full or failing disk), never "internal error".
  const fsError = error instanceof SvmtestError ? undefined : fileSystemError(error);
  if (fsError) {
    writeErr(`svmtest: ${fsError.message}\n`);
    if (debug && error instanceof Error && error.stack) writeErr(`${error.stack}\n`);
    return codeFor(fsError);
  }
  if (error instanceof SvmtestError) {
    writeErr(`svmtest: ${error.message}\n`);
    if (debug && error.stack) writeErr(`${error.stack}\n`);
    return codeFor(error);
  }
  writeErr(`svmtest: internal error: ${describeCause(error)}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
  if (debug && error instanceof Error && error.stack) writeErr(`${error.stack}\n`);
  return EXIT.infra;
}

/** Wraps a command's action: the action returns an exit code; only here does the process end. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: ExitCode;
    try {
      code = await fn(...args);
    } catch (error) {
      code = exitCodeForError(error);
    }
    process.exitCode = code;
  };
}
