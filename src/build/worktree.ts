import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InfraError, InputError } from '../model/errors.js';
import { git } from './git.js';
import { BUILD_DIR, setAside } from './seed-build.js';
import { sha } from './hash.js';
import { applySeries } from './series.js';

export interface SourceContext {
  readonly cacheDir: string;
  /** Where relative paths in the configuration are resolved from. */
  readonly configDir: string;
  readonly step: (title: string) => void;
}

/** A local repository, or a URL cloned once into the cache. */
export async function repository(spec: { readonly repo: string }, context: SourceContext): Promise<string> {
  if (/^(https?|git|ssh):\/\/|^[\w.-]+@[\w.-]+:/.test(spec.repo)) {
    const dir = join(context.cacheDir, 'repos', sha(spec.repo).slice(0, 16));
    if (!existsSync(join(dir, '.git'))) {
      context.step(`cloning ${spec.repo}`);
      mkdirSync(dirname(dir), { recursive: true });
      const r = await execa('git', ['clone', '--no-checkout', spec.repo, dir], { reject: false });
      if (r.exitCode !== 0) throw new InfraError(`cloning ${spec.repo} failed: ${String(r.stderr).trim().split('\n').slice(-2).join(' | ')}`);
    }
    return dir;
  }
  const dir = resolve(context.configDir, spec.repo.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
  if (!existsSync(join(dir, '.git')) && !existsSync(join(dir, 'HEAD'))) throw new InputError(`kernel.repo ${spec.repo}: not a git repository (${dir})`);
  return dir;
}

/** Text of everything that decides the worktree's content beyond base and series: local edits. */
export async function worktreeDiff(worktree: string): Promise<string> {
  if (!existsSync(worktree)) return '';
  const diff = await git(worktree, ['diff', 'HEAD'], { allowFail: true });
  const untracked = await git(worktree, ['ls-files', '--others', '--exclude-standard', '--', '.', `:!${BUILD_DIR}`], { allowFail: true });
  // A clean worktree must key like no worktree at all, or the first rebuild would never hit.
  return diff.stdout.trim() === '' && untracked.stdout.trim() === '' ? '' : `${diff.stdout}\n${untracked.stdout}`;
}

/**
 * The variant's worktree at base (+ series): the user's checkout is never touched. Kept between
 * builds so make stays incremental; re-created only when base or series change (then true).
 */
export async function prepareWorktree(
  repo: string,
  worktree: string,
  baseCommit: string,
  seriesHash: string,
  series: Parameters<typeof applySeries>[1] | undefined,
  context: SourceContext,
): Promise<boolean> {
  const stateFile = `${worktree}.state`;
  // "am2": applied with a fixed committer and date (series.ts); a worktree applied before is made again.
  const wanted = `am2 ${baseCommit} ${seriesHash}`;
  if (existsSync(worktree) && existsSync(stateFile) && readFileSync(stateFile, 'utf8') === wanted) return false;
  context.step(`worktree at ${baseCommit.slice(0, 12)}${series ? ' + series' : ''}`);
  if (existsSync(worktree)) {
    setAside(worktree);
    await git(repo, ['worktree', 'remove', '--force', worktree], { allowFail: true });
    rmSync(worktree, { recursive: true, force: true });
  }
  await git(repo, ['worktree', 'prune']);
  mkdirSync(dirname(worktree), { recursive: true });
  await git(repo, ['worktree', 'add', '--detach', '--force', worktree, baseCommit]);
  rmSync(stateFile, { force: true });
  if (series) await applySeries(worktree, series);
  writeFileSync(stateFile, wanted);
  return true;
}
