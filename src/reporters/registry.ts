import { InputError } from '../model/errors.js';
import type { Reporter } from './types.js';

interface Entry {
  readonly name: string;
  readonly description: string;
  /** Reporters load on demand: the JUnit builder alone costs more start-up than the rest of a run's output. */
  readonly load: () => Promise<Reporter>;
}

export const REPORTERS: readonly Entry[] = [
  {
    name: 'terminal',
    description: 'summary table and the regressions with messages and kernel events',
    load: async () => (await import('./terminal.js')).terminalReporter,
  },
  { name: 'junit', description: 'junit.xml, one testcase per test', load: async () => (await import('./junit.js')).junitReporter },
  {
    name: 'markdown',
    description: 'summary.md; appended to $GITHUB_STEP_SUMMARY when set',
    load: async () => (await import('./markdown.js')).markdownReporter,
  },
  { name: 'json', description: 'the result as JSON on standard output', load: async () => (await import('./json.js')).jsonReporter },
  { name: 'github', description: 'GitHub Actions annotations when GITHUB_ACTIONS=true', load: async () => (await import('./github.js')).githubReporter },
];

export function reporterNames(): string[] {
  return REPORTERS.map((r) => r.name);
}

/** "terminal,junit" → reporters; an unknown name is answered with the known ones. */
export async function selectReporters(list: string): Promise<Reporter[]> {
  const names = list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!REPORTERS.some((r) => r.name === name)) throw new InputError(`--reporter: unknown reporter "${name}"; known reporters: ${reporterNames().join(', ')}`);
  }
  return Promise.all(names.map((name) => REPORTERS.find((r) => r.name === name)!.load()));
}
