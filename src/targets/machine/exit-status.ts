import { constants } from 'node:os';
import type { ExitInfo } from '../target.js';

// A signal number's first name, as node names the signal that ended a child (SIGABRT, not its alias SIGIOT).
const SIGNALS = new Map<number, string>();
for (const [name, number] of Object.entries(constants.signals)) if (!SIGNALS.has(number)) SIGNALS.set(number, name);

/** Signal N by name (SIGSEGV), as node's own child processes report it. */
export function signalName(signal: number): string {
  return SIGNALS.get(signal) ?? `SIG${signal}`;
}

/** A shell's exit status (128 + N: killed by signal N), as the engine reads a process's end. */
export function exitFromStatus(status: number): ExitInfo {
  if (status > 128 && status < 160) return { exitCode: null, signal: signalName(status - 128) };
  return { exitCode: status, signal: null };
}
