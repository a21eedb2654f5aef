import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { InfraError, InputError } from '../../model/errors.js';
import { git } from '../git.js';

export interface Source {
  /** Where the tree is, ready to build. */
  readonly dir: string;
  /** What pins its content: a commit, the tarball's hash, or the tree's file list, sizes and times. */
  readonly hash: string;
  readonly describe: string;
}

const TARBALL = /\.(tar\.(xz|gz|bz2|zst)|tgz|txz)$/;

function sha(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A directory's content, cheaply: every file's path, size and modification time. */
function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === '.git') continue;
      const path = join(d, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(path);
      else hash.update(`${relative(dir, path)}\0${stat.size}\0${stat.mtimeMs}\n`);
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** A tarball, extracted once into the cache under its content hash. */
async function extracted(tarball: string, cacheDir: string): Promise<Source> {
  const hash = sha(readFileSync(tarball));
  const dir = join(cacheDir, 'userspace-src', hash.slice(0, 16));
  if (!existsSync(join(dir, '.svmtest-extracted'))) {
    const staging = `${dir}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const r = await execa('tar', ['-xf', tarball, '-C', staging], { reject: false });
    if (r.exitCode !== 0) throw new InfraError(`extracting ${tarball} failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    writeFileSync(join(staging, '.svmtest-extracted'), tarball);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }
  return { dir, hash, describe: `${tarball} (sha256 ${hash.slice(0, 12)})` };
}

/** A git repository at a pinned ref, checked out once into the cache (the user's tree is never touched). */
async function checkedOut(repo: string, ref: string, cacheDir: string): Promise<Source> {
  const commit = (await git(repo, ['rev-parse', '--verify', `${ref}^{commit}`], { allowFail: true })).stdout.trim();
  if (!commit) throw new InputError(`ref ${ref}: not a commit, tag or branch in ${repo}`);
  const dir = join(cacheDir, 'userspace-src', `git-${commit.slice(0, 16)}`);
  if (!existsSync(dir)) await git(repo, ['worktree', 'add', '--detach', '--force', dir, commit]);
  return { dir, hash: commit, describe: `${repo} at ${ref} (${commit.slice(0, 12)})` };
}

/**
 * A component's source: a directory (hashed by its files), a tarball (by its bytes; extracted into
 * the cache) or a git repository at a pinned ref (by the commit).
 */
export async function materialize(what: string, source: string, ref: string | undefined, configDir: string, cacheDir: string): Promise<Source> {
  const path = resolve(configDir, source.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
  if (!existsSync(path)) throw new InputError(`${what} ${source}: no such file or directory (${path})`);
  if (TARBALL.test(path)) return extracted(path, cacheDir);
  if (!statSync(path).isDirectory()) throw new InputError(`${what} ${source}: expected a directory, a git repository or a tarball (.tar.xz, .tar.gz)`);
  if (ref) return checkedOut(path, ref, cacheDir);
  return { dir: path, hash: treeHash(path), describe: path };
}
