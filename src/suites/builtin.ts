import { existsSync, readdirSync } from 'node:fs';

const BUILTIN_DIR = new URL('../../suites/', import.meta.url);

/** The built-in suite files (suites/<name>.yaml), sorted. */
export function builtinSuiteFiles(): string[] {
  const dir = BUILTIN_DIR.pathname;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `${dir}${f}`);
}

/** The built-in suites' names: each file is named after the suite it defines. */
export function builtinSuiteNames(): string[] {
  return builtinSuiteFiles().map((f) => f.slice(f.lastIndexOf('/') + 1, -'.yaml'.length));
}
