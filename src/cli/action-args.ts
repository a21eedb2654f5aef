import { EXIT } from '../model/exit-codes.js';

// The composite action's inputs (action.yml), read as lists: never split into words, never read by
// a shell, so `--filter 'a/B.*'` can only be written as the two arguments it is.

export class ActionInputError extends Error {}

/** `args:` as the workflow wrote it: a JSON array of strings, or one argument per line (blank lines ignored). */
export function parseActionArgs(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new ActionInputError('input args: empty; expected svmtest arguments, one per line (e.g. run, --variant, gpusvm)');
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new ActionInputError(`input args: starts with "[" but is not a JSON array (${(error as Error).message})`);
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
      throw new ActionInputError('input args: a JSON array must hold only strings');
    }
    return parsed;
  }
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** `ok-exit-codes:` "0 1": the exit codes that let the workflow go on (the output still names the real one). */
export function parseOkCodes(text: string): Set<number> {
  const words = text.split(/[\s,]+/).filter(Boolean);
  const codes = words.map(Number);
  const bad = words.find((w, i) => !/^\d{1,3}$/.test(w) || codes[i]! > 255);
  if (bad !== undefined) throw new ActionInputError(`input ok-exit-codes: "${bad}" is not an exit code; expected numbers 0-255, e.g. "0 1"`);
  return new Set(codes.length > 0 ? codes : [EXIT.ok]);
}
