// Errors carry their exit-code category (README, "Exit codes"), so only src/cli maps them to a process exit.
export type ErrorKind = 'input' | 'infra' | 'interrupted' | 'internal' | 'done';

export class SvmtestError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SvmtestError';
  }
}

/** Bad input: a file, flag or config value that is not what was expected (exit 2). */
export class InputError extends SvmtestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('input', message, options);
    this.name = 'InputError';
  }
}

/** The machinery failed: build, boot, preflight, a suite binary missing (exit 3). */
export class InfraError extends SvmtestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('infra', message, options);
    this.name = 'InfraError';
  }
}

/** The command did what was asked without running anything (a dry run): exit 0, this message as a note. */
export class DoneEarly extends SvmtestError {
  constructor(message: string) {
    super('done', message);
    this.name = 'DoneEarly';
  }
}

export class InterruptedError extends SvmtestError {
  constructor(message = 'interrupted') {
    super('interrupted', message);
    this.name = 'InterruptedError';
  }
}

export function describeCause(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
