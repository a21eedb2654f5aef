import type { CommandSpec, ExecResult, LineHandlers, RunningCommand } from '../target.js';

/** Target.exec for a target whose commands all go through its spawn: output collected, a timeout kills. */
export async function execBySpawn(
  spawn: (spec: CommandSpec, handlers: LineHandlers) => RunningCommand,
  spec: CommandSpec,
  options: { timeoutMs?: number } = {},
): Promise<ExecResult> {
  const out: string[] = [];
  const err: string[] = [];
  const running = spawn(spec, { onLine: (stream, line) => (stream === 'stdout' ? out : err).push(line) });
  const timer = options.timeoutMs ? setTimeout(() => running.kill('SIGKILL'), options.timeoutMs) : undefined;
  const exit = await running.done;
  if (timer) clearTimeout(timer);
  return { ...exit, stdout: out.length > 0 ? `${out.join('\n')}\n` : '', stderr: err.join('\n') };
}

/** Whether a path exists on the machine, asked with `test -e` through the target's exec. */
export async function existsBy(exec: (spec: CommandSpec, options: { timeoutMs?: number }) => Promise<ExecResult>, path: string): Promise<boolean> {
  return (await exec({ argv: ['test', '-e', path] }, { timeoutMs: 30_000 })).exitCode === 0;
}

/** A file's text from its bytes as a target reads them (undefined: missing or unreadable). */
export async function readTextBy(readBytes: (path: string) => Promise<Buffer | undefined>, path: string): Promise<string | undefined> {
  return (await readBytes(path))?.toString('utf8');
}

/** `ls -1 PATH` through a target's exec: the sorted entries, or undefined when it is no directory. */
export function entriesOf(result: ExecResult): string[] | undefined {
  return result.exitCode === 0 ? result.stdout.split('\n').filter(Boolean).sort() : undefined;
}
