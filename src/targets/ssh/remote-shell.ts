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
 * Where the DUT records the process groups svmtest started and their guards (one file per group):
 * a directory per login user (`<prefix><uid>`, mode 0700, used only when that user owns it and it
 * is no symlink), so no other user can plant a record that the sweep would act on.
 */
export const GROUPS_DIR_PREFIX = '/tmp/svmtest-groups-';
const GROUPS_DIR_SH = `d=${GROUPS_DIR_PREFIX}$(id -u); mkdir -m 700 "$d" 2>/dev/null; [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ]`;

/**
 * A command started in its own session on the DUT, so a timeout can kill everything it started by
 * its process group: the wrapper shell announces its group id on stderr first, waits for the
 * command, and announces its exit status (128+N for signal N) last.
 *
 * Nothing it starts may outlive svmtest: a guard in the group reads the connection's stdin (which
 * svmtest holds open and never writes), and when it closes — svmtest killed, the connection gone —
 * the guard sends the group SIGTERM, then SIGKILL 2 s later (it ignores SIGTERM itself). The group
 * and its guard are recorded in the login user's groups directory, so the next connection can sweep
 * a group whose guard did not live to do so (sweepCommand).
 */
export function groupCommand(spec: { argv: readonly string[]; env?: Readonly<Record<string, string>>; cwd?: string }): string {
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`environment variable name "${k}": not a valid name`);
    return `${k}=${v}`;
  });
  const wrapper = [
    'pg=$$',
    `echo "${PGID_MARK}$pg" >&2`,
    // fd 3: the connection's stdin (a background job's own stdin would be /dev/null).
    'exec 3<&0',
    `( trap '' TERM; while read -r _; do :; done; kill -TERM -$pg 2>/dev/null; sleep 2; kill -KILL -$pg 2>/dev/null ) <&3 >/dev/null 2>&1 &`,
    'guard=$!',
    `rec=; if ${GROUPS_DIR_SH}; then rec=$d/$pg; echo "$guard" > "$rec" 2>/dev/null; fi`,
    '"$@" </dev/null 3<&-; rc=$?',
    'kill -KILL "$guard" 2>/dev/null; [ -n "$rec" ] && rm -f "$rec"',
    `echo "${RC_MARK}$rc" >&2`,
  ].join('\n');
  const run = quoteArgv(['setsid', '-w', 'sh', '-c', wrapper, 'svmtest', 'env', ...env, ...spec.argv]);
  return spec.cwd ? `cd ${quoteWord(spec.cwd)} && exec ${run}` : `exec ${run}`;
}

/**
 * Run when a connection opens: every recorded group whose guard is gone (a connection that ended
 * without the guard acting) is killed, so a later --resume never runs beside an earlier test.
 * A group whose guard lives belongs to a connection that is still open, and is left alone.
 */
export function sweepCommand(): string[] {
  const script = [
    `${GROUPS_DIR_SH} || exit 0`,
    'for rec in "$d"/*; do',
    '  [ -f "$rec" ] || continue',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a JavaScript template
    '  pg=${rec##*/}; guard=$(cat "$rec" 2>/dev/null)',
    '  case "$pg$guard" in *[!0-9]*|"") rm -f "$rec"; continue ;; esac',
    '  kill -0 "$guard" 2>/dev/null && continue',
    '  if kill -0 -"$pg" 2>/dev/null; then kill -KILL -"$pg" 2>/dev/null && echo "swept $pg"; fi',
    '  rm -f "$rec"',
    'done',
  ].join('\n');
  return ['sh', '-c', script];
}
