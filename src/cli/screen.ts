import { supportsColor } from 'chalk';
import type { Screen } from '../reporters/types.js';

export function processScreen(): Screen {
  const env = process.env;
  const color = Boolean(supportsColor) && env.NO_COLOR === undefined && process.stdout.isTTY === true;
  return {
    write: (text) => process.stdout.write(text),
    color: color || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.NO_COLOR === undefined),
    width: process.stdout.columns ?? 100,
    env,
  };
}

/** Progress and notes go to stderr so stdout stays clean for --json and reporters. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
