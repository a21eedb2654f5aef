import type { Target } from './target.js';

/** Where a program is on the machine behind a target, when it is there. */
export async function which(target: Target, program: string): Promise<string | undefined> {
  const r = await target.exec({ argv: ['sh', '-c', 'command -v "$1"', 'sh', program] });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
