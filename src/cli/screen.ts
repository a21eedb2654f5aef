import { supportsColor } from 'chalk';
import { guardOutput } from '../model/untrusted-text.js';
import type { Screen } from '../reporters/types.js';

// Everything svmtest prints passes through here: test names, output and input files are untrusted,
// so the last step before a terminal or a CI log makes escapes visible and defuses workflow commands.

// A reader that went away (`| head`, a killed `tee`) ends svmtest's output, never svmtest: what it
// was doing (a run writing run.json) finishes, and nothing more is printed to the closed pipe.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});
process.stderr.on('error', () => undefined);

export function writeOut(text: string): void {
  if (!stdoutClosed) process.stdout.write(guardOutput(text));
}

export function writeErr(text: string): void {
  process.stderr.write(guardOutput(text));
}

/** Progress and notes go to stderr so stdout stays clean for --json and reporters. */
export function note(text: string): void {
  writeErr(`${text}\n`);
}

/** A status line redrawn in place on a terminal (svmtest's own \r and erase, the text guarded). */
export function statusLine(text: string): void {
  process.stderr.write(`\r\x1b[2K${text ? guardOutput(text) : ''}`);
}

export function processScreen(): Screen {
  const env = process.env;
  const color = Boolean(supportsColor) && env.NO_COLOR === undefined && process.stdout.isTTY === true;
  return {
    write: writeOut,
    // svmtest's own workflow commands, built by the github reporter from escaped data.
    command: (line) => void (stdoutClosed || process.stdout.write(`${line}\n`)),
    color: color || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.NO_COLOR === undefined),
    width: process.stdout.columns ?? 100,
    env,
  };
}
