import { InfraError, InputError } from '../model/errors.js';
import { git } from './git.js';

// git bisect itself does the search; svmtest only tells it what each commit did. Its state lives
// in the worktree's own git directory, and `git bisect log` is what a resume replays.

/** What git bisect said after a start or a mark. */
export type BisectState =
  | { readonly kind: 'next'; readonly commit: string; readonly left: number }
  | { readonly kind: 'found'; readonly commit: string }
  /** Only skipped commits are left: the first bad commit is one of these. */
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] };

/** Reads git bisect's answer (its words are stable: scripts have parsed them for years). */
export function parseBisectOutput(text: string): BisectState | undefined {
  const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(text);
  if (found) return { kind: 'found', commit: found[1]! };
  if (/There are only 'skip'ped commits left to test/.test(text)) {
    const list = text.split(/The first bad commit could be any of:\n/)[1] ?? '';
    return { kind: 'ambiguous', candidates: [...list.matchAll(/^([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
  }
  // A replay prints every step it replays: the last says where git is now.
  const next = [...text.matchAll(/Bisecting: (\d+) revisions? left to test after this[^\n]*\n\[([0-9a-f]{40})\]/g)].at(-1);
  if (next) return { kind: 'next', commit: next[2]!, left: Number(next[1]) };
  return undefined;
}

function answer(worktree: string, what: string, out: { stdout: string; stderr: string; exitCode: number }): BisectState {
  const state = parseBisectOutput(`${out.stdout}\n${out.stderr}`);
  if (state) return state;
  const said = `${out.stderr}\n${out.stdout}`.trim().split('\n').slice(-3).join(' | ');
  throw new InfraError(`git bisect ${what} in ${worktree} said nothing svmtest understands: ${said || `exit ${out.exitCode}`}`);
}

/** Ends any bisect in progress (the worktree goes back to where it started). */
export async function bisectReset(worktree: string): Promise<void> {
  await git(worktree, ['bisect', 'reset'], { allowFail: true });
}

/** Starts a bisect between a bad and a good commit; git checks out the first commit to test. */
export async function bisectStart(worktree: string, bad: string, good: string): Promise<BisectState> {
  await bisectReset(worktree);
  const out = await git(worktree, ['bisect', 'start', bad, good, '--'], { allowFail: true });
  if (out.exitCode !== 0 && !parseBisectOutput(`${out.stdout}\n${out.stderr}`)) {
    throw new InputError(`git bisect start ${bad.slice(0, 12)} ${good.slice(0, 12)}: ${out.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  return answer(worktree, 'start', out);
}

/** Tells git what the checked-out commit did; it checks out the next one, or names the first bad commit. */
export async function bisectMark(worktree: string, mark: 'good' | 'bad' | 'skip'): Promise<BisectState> {
  return answer(worktree, mark, await git(worktree, ['bisect', mark], { allowFail: true }));
}

/** The bisect's log: every start and mark so far, as `git bisect replay` reads it. */
export async function bisectLog(worktree: string): Promise<string> {
  return (await git(worktree, ['bisect', 'log'])).stdout;
}

/** Restores a bisect from its log (a resume): git is where it was after the last journaled mark. */
export async function bisectReplay(worktree: string, logFile: string): Promise<BisectState> {
  await bisectReset(worktree);
  const out = await git(worktree, ['bisect', 'replay', logFile], { allowFail: true });
  if (out.exitCode !== 0 && !parseBisectOutput(`${out.stdout}\n${out.stderr}`))
    throw new InfraError(`git bisect replay ${logFile}: ${out.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return answer(worktree, 'replay', out);
}

/** The commit the worktree has checked out. */
export async function headCommit(worktree: string): Promise<string> {
  return (await git(worktree, ['rev-parse', 'HEAD'])).stdout.trim();
}
