import { execa } from 'execa';
import { existsSync, lutimesSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { git } from './git.js';

/**
 * A kernel's build directory lives inside its worktree (`O=<worktree>/.svmtest-build`): the
 * kernel's Makefile then names the sources `../…`, so objects and their dependency records hold no
 * absolute path and a build directory can move to another worktree of the same repository. A
 * variant's first build starts from the nearest finished build (another variant's, the bisect's,
 * or its own from before its worktree was made again): make compiles only what the series and the
 * options change, instead of the whole kernel.
 */
export const BUILD_DIR = '.svmtest-build';
/** What a finished make in a build directory was made from; removed while make runs. */
const SOURCE_RECORD = '.svmtest-source';
/** Unchanged sources get this time: older than any object, so make keeps the objects made from them. */
const SOURCE_EPOCH = new Date('2000-01-01T00:00:00Z');

interface SourceRecord {
  /** The worktree the build directory belonged to: paths the kernel's host tools keep absolute name it. */
  readonly worktree?: string;
  readonly commit: string;
  /** Files that differed from the commit when make ran (local edits). */
  readonly dirty: readonly string[];
}

export interface Seed {
  readonly from: string;
  readonly commit: string;
  /** Files whose content differs between the donor's sources and this worktree's. */
  readonly changedFiles: number;
}

export function buildDirOf(worktree: string): string {
  return join(worktree, BUILD_DIR);
}

/** Where the builds of worktrees that were made again wait to seed the next build: <cache>/build-donors/<repo>. */
function donorPool(worktree: string): string {
  const repoDir = dirname(worktree);
  return join(dirname(dirname(repoDir)), 'build-donors', basename(repoDir));
}

async function dirtyFiles(worktree: string): Promise<string[]> {
  const changed = await git(worktree, ['diff', '--name-only', 'HEAD'], { allowFail: true });
  const untracked = await git(worktree, ['ls-files', '--others', '--exclude-standard', '--', '.', `:!${BUILD_DIR}`], { allowFail: true });
  return `${changed.stdout}\n${untracked.stdout}`.split('\n').filter(Boolean);
}

function readRecord(buildDir: string): SourceRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(buildDir, SOURCE_RECORD), 'utf8')) as SourceRecord;
    return /^[0-9a-f]{40}$/.test(record.commit) && Array.isArray(record.dirty) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Before make: the directory no longer holds a finished build of any recorded source. */
export function startingMake(buildDir: string): void {
  rmSync(join(buildDir, SOURCE_RECORD), { force: true });
}

/** After a successful make: the build directory now holds the objects of this worktree's sources. */
export async function finishedMake(worktree: string, buildDir: string): Promise<void> {
  const commit = (await git(worktree, ['rev-parse', 'HEAD'])).stdout.trim();
  const record: SourceRecord = { worktree, commit, dirty: await dirtyFiles(worktree) };
  writeFileSync(join(buildDir, SOURCE_RECORD), JSON.stringify(record));
}

/** A worktree about to be removed: its finished build is kept as a donor for the worktree made in its place. */
export function setAside(worktree: string): void {
  const buildDir = buildDirOf(worktree);
  if (!readRecord(buildDir)) return;
  const target = join(donorPool(worktree), basename(worktree));
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(buildDir, target);
}

/** The files a donor's objects were not made from: the commits' difference and both sides' local edits. */
async function changedAgainst(worktree: string, record: SourceRecord, ownDirty: readonly string[]): Promise<Set<string> | undefined> {
  const diff = await git(worktree, ['diff', '--name-only', '--no-renames', record.commit, 'HEAD'], { allowFail: true });
  if (diff.exitCode !== 0) return undefined; // the donor's commit is gone from the repository
  return new Set([...diff.stdout.split('\n').filter(Boolean), ...record.dirty, ...ownDirty]);
}

function candidates(worktree: string): string[] {
  const own = buildDirOf(worktree);
  const siblings = existsSync(dirname(worktree))
    ? readdirSync(dirname(worktree), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => buildDirOf(join(dirname(worktree), e.name)))
    : [];
  const pool = existsSync(donorPool(worktree)) ? readdirSync(donorPool(worktree)).map((name) => join(donorPool(worktree), name)) : [];
  return [...siblings, ...pool].filter((dir) => dir !== own && readRecord(dir));
}

/**
 * The kernel's own objects name their sources relatively, but host tools built with their own
 * build system (objtool) record absolute paths in their command and dependency files: pointed at
 * this worktree, they stay up to date — otherwise objtool is built again, and with it every object.
 */
function movePaths(buildDir: string, from: string, to: string): void {
  if (from === to) return;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`${escaped}(?=[/\\s:'"]|$)`, 'gm');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.startsWith('.') && /\.(cmd|d)$/.test(entry.name)) {
        const text = readFileSync(path, 'utf8');
        if (!text.includes(from)) continue;
        const { atime, mtime } = statSync(path);
        writeFileSync(path, text.replace(pattern, to));
        utimesSync(path, atime, mtime);
      }
    }
  };
  walk(buildDir);
}

/**
 * A worktree whose build directory was never configured gets the nearest donor's: copied (a
 * sibling's stays in use) or moved (one set aside), then every source the donor's objects were made
 * from unchanged is dated back, so make rebuilds only from the files that differ.
 */
export async function seedBuildDir(worktree: string): Promise<Seed | undefined> {
  const buildDir = buildDirOf(worktree);
  // Configured before: its own objects (even of a make that failed or was killed) are the nearest.
  if (existsSync(join(buildDir, '.config'))) return undefined;
  const ownDirty = await dirtyFiles(worktree);
  let best: { dir: string; record: SourceRecord; changed: Set<string> } | undefined;
  for (const dir of candidates(worktree)) {
    const record = readRecord(dir)!;
    const changed = await changedAgainst(worktree, record, ownDirty);
    if (changed && (!best || changed.size < best.changed.size)) best = { dir, record, changed };
  }
  if (!best) return undefined;
  rmSync(buildDir, { recursive: true, force: true });
  if (best.dir.startsWith(`${donorPool(worktree)}/`)) renameSync(best.dir, buildDir);
  else await execa('cp', ['-a', '--reflink=auto', best.dir, buildDir]);
  startingMake(buildDir);
  movePaths(buildDir, best.record.worktree ?? dirname(best.dir), worktree);
  const tracked = (await git(worktree, ['ls-files', '-z'])).stdout.split('\0').filter(Boolean);
  for (const file of tracked) {
    if (best.changed.has(file)) continue;
    try {
      lutimesSync(join(worktree, file), SOURCE_EPOCH, SOURCE_EPOCH);
    } catch {
      // A tracked file deleted in the worktree: make sees it as changed anyway.
    }
  }
  // The index learns the new dates once, or every later `git diff` would hash the whole tree again.
  await git(worktree, ['update-index', '-q', '--refresh'], { allowFail: true });
  return { from: best.dir, commit: best.record.commit, changedFiles: best.changed.size };
}
