import { runLogged } from './run-logged.js';

/** make -C source …, its output appended to the log; a failure carries the compiler's error lines, not the whole log. */
export async function runMake(source: string, args: readonly string[], log: string, context: { readonly logLine: (line: string) => void }): Promise<void> {
  await runLogged({ argv: ['make', '-C', source, ...args] }, log, `make ${args.filter((a) => !a.startsWith('-j')).join(' ')}`, context.logLine);
}
