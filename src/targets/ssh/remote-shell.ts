import { InputError } from '../../model/errors.js';

// sshd hands the remote command to the user's login shell as one string. Every word svmtest
// sends is single-quoted here, the one place where argument vectors become that string: inside
// single quotes a POSIX shell (sh, dash, bash, busybox ash) interprets nothing, and a quote
// itself is written as '\'' (close, escaped quote, reopen).

/** One argument as a single shell word that the remote shell passes on unchanged. */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new InputError(`an argument for the remote shell contains a NUL byte: ${JSON.stringify(word.slice(0, 40))}`);
  if (/^[\w@%+=:,./-]+$/.test(word)) return word; // nothing a shell would interpret: readable logs
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An argument vector as the command line the remote login shell runs. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new InputError('empty command for the remote shell');
  return argv.map(quoteWord).join(' ');
}

export const PGID_MARK = '@svmtest-pgid ';
export const RC_MARK = '@svmtest-rc ';

/**
 * A command started in its own session on the DUT, so a timeout can kill everything it started by
 * its process group: the wrapper shell announces its group id on stderr first, waits for the
 * command, and announces its exit status (128+N for signal N) last.
 */
export function groupCommand(spec: { argv: readonly string[]; env?: Readonly<Record<string, string>>; cwd?: string }): string {
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`environment variable name "${k}": not a valid name`);
    return `${k}=${v}`;
  });
  const wrapper = `echo "${PGID_MARK}$$" >&2; "$@" </dev/null; echo "${RC_MARK}$?" >&2`;
  const run = quoteArgv(['setsid', '-w', 'sh', '-c', wrapper, 'svmtest', 'env', ...env, ...spec.argv]);
  return spec.cwd ? `cd ${quoteWord(spec.cwd)} && exec ${run}` : `exec ${run}`;
}
