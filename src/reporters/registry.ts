import { InputError } from '../model/errors.js';
import { githubReporter } from './github.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { terminalReporter } from './terminal.js';
import type { Reporter } from './types.js';

export const REPORTERS: readonly Reporter[] = [terminalReporter, junitReporter, markdownReporter, jsonReporter, githubReporter];

export function reporterNames(): string[] {
  return REPORTERS.map((r) => r.name);
}

/** "terminal,junit" → reporters; an unknown name is answered with the known ones. */
export function selectReporters(list: string): Reporter[] {
  return list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((name) => {
      const reporter = REPORTERS.find((r) => r.name === name);
      if (!reporter) throw new InputError(`--reporter: unknown reporter "${name}"; known reporters: ${reporterNames().join(', ')}`);
      return reporter;
    });
}
