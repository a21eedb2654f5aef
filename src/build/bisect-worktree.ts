import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import { git } from './git.js';
import { sha } from './hash.js';
import type { CommitSource, KernelSpec } from './kernel-build.js';
import { loadSeries } from './series.js';
import { prepareWorktree, repository, type SourceContext } from './worktree.js';

/** What a patch of the series is: as git has it, and where it was posted. */
export interface CommitInfo {
  readonly commit: string;
  readonly subject: string;
  readonly author: string;
  readonly date: string;
  /** From the mail it was applied from (git am --message-id), when it came from a mailing list. */
  readonly messageId?: string;
  readonly diffstat: string;
}

export interface BisectSource extends CommitSource {
  /** The series' last patch: bad, unless told otherwise. */
  readonly tip: string;
}

/** The worktree a bisect of a variant moves through: its own, so the variant's build worktree is never touched. */
export function bisectWorktreePath(cacheDir: string, repo: string, variant: string): string {
  return join(cacheDir, 'worktrees', sha(repo).slice(0, 12), `${variant}.bisect`);
}

/**
 * The variant's base with its series applied, one commit per patch (git am), in a worktree of its
 * own. The commits are the same every time (series.ts fixes the committer), so a run's recorded
 * commit, a journaled step and a bisect log all name commits this worktree has.
 */
export async function prepareBisectWorktree(spec: KernelSpec, variant: { name: string; series: boolean }, context: SourceContext): Promise<BisectSource> {
  const repo = await repository(spec, context);
  const baseCommit = (await git(repo, ['rev-parse', '--verify', `${spec.base}^{commit}`], { allowFail: true })).stdout.trim();
  if (!baseCommit) throw new InputError(`kernel.base ${spec.base}: not a commit, tag or branch in ${repo}`);
  const series = variant.series ? await loadSeries(spec.series, repo, context.configDir) : undefined;
  const worktree = bisectWorktreePath(context.cacheDir, repo, variant.name);
  // A bisect left in progress (a killed svmtest) is ended first: the worktree goes back to the tip.
  await git(worktree, ['bisect', 'reset'], { allowFail: true });
  const tipFile = `${worktree}.tip`;
  if (await prepareWorktree(repo, worktree, baseCommit, series?.hash ?? 'none', series, context)) {
    writeFileSync(tipFile, (await git(worktree, ['rev-parse', 'HEAD'])).stdout.trim());
  }
  // Wherever a killed svmtest left it, the worktree starts at the series' last patch.
  const tip = existsSync(tipFile) ? readFileSync(tipFile, 'utf8').trim() : (await git(worktree, ['rev-parse', 'HEAD'])).stdout.trim();
  await git(worktree, ['checkout', '--quiet', '--force', '--detach', tip]);
  return { repo, worktree, baseCommit, ...(series ? { series } : {}), tip };
}

/** A ref (a commit, tag, branch, HEAD~2) as the full commit the worktree knows, or a clear error. */
export async function resolveCommit(source: BisectSource, ref: string, what: string): Promise<string> {
  const out = await git(source.worktree, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowFail: true });
  const commit = out.stdout.trim();
  if (out.exitCode !== 0 || !/^[0-9a-f]{40}$/.test(commit))
    throw new InputError(`${what} ${ref}: not a commit of ${source.repo}, nor of the series applied on its base (${source.worktree})`);
  return commit;
}

/** The commits from good (excluded) to bad (included), oldest first; good must be an ancestor of bad. */
export async function commitsBetween(worktree: string, good: string, bad: string): Promise<string[]> {
  const ancestor = await git(worktree, ['merge-base', '--is-ancestor', good, bad], { allowFail: true });
  if (ancestor.exitCode !== 0) throw new InputError(`good ${good.slice(0, 12)} is not an ancestor of bad ${bad.slice(0, 12)}: nothing to bisect between them`);
  const out = await git(worktree, ['rev-list', '--reverse', `${good}..${bad}`]);
  return out.stdout.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l));
}

/** Subject, author, date, Message-Id and diffstat of a commit. */
export async function describeCommit(worktree: string, commit: string): Promise<CommitInfo> {
  const SEP = '\u001f';
  const out = await git(worktree, ['show', '-s', `--format=%H${SEP}%s${SEP}%an <%ae>${SEP}%aI${SEP}%B`, commit]);
  const [hash, subject, author, date, body] = out.stdout.split(SEP);
  const messageId = /^Message-I[Dd]:\s*<?([^>\s]+)>?\s*$/m.exec(body ?? '')?.[1];
  // At most 50 files, then git's own "..." and the totals: a base commit (a whole tree imported as
  // one) would otherwise put tens of thousands of lines into bisect.json and every report.
  const stat = await git(worktree, ['show', '--stat=100', '--stat-count=50', '--format=', commit]);
  return {
    commit: (hash ?? commit).trim(),
    subject: subject ?? '',
    author: author ?? '',
    date: date ?? '',
    ...(messageId ? { messageId } : {}),
    diffstat: stat.stdout.trim(),
  };
}
