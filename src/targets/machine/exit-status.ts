import type { ExitInfo } from '../target.js';

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/** A shell's exit status (128 + N: killed by signal N), as the engine reads a process's end. */
export function exitFromStatus(status: number): ExitInfo {
  if (status > 128 && status < 160) return { exitCode: null, signal: SIGNALS[status - 128] ?? `SIG${status - 128}` };
  return { exitCode: status, signal: null };
}
