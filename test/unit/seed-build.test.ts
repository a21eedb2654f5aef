import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDirOf, finishedMake, seedBuildDir, setAside, startingMake } from '../../src/build/seed-build.js';
import { tempDir } from '../helpers/cli.js';

// A repository built the way the kernel is (O= a subdirectory of the source: sources named ../x.c),
// with real git worktrees and real make: what a seeded build directory makes compile again.
const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const MAKEFILE = `objs := a.o b.o c.o
all: $(objs)
%.o: ../%.c
\t@echo "compile $<" >> compiled.log
\t@cp $< $@
`;
let repo: string;
let root: string;

const git = (cwd: string, args: string[]) => execa('git', ['-C', cwd, ...args], { env });
/** make in the worktree's build directory; what it compiled this time. */
async function make(worktree: string): Promise<string[]> {
  const dir = buildDirOf(worktree);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compiled.log'), '');
  writeFileSync(join(dir, '.config'), 'configured\n');
  startingMake(dir);
  await execa('make', ['-f', '../Makefile'], { cwd: dir });
  await finishedMake(worktree, dir);
  return readFileSync(join(dir, 'compiled.log'), 'utf8').split('\n').filter(Boolean);
}
async function worktreeAt(name: string, ref: string, group = 'repo'): Promise<string> {
  const wt = join(root, 'worktrees', group, name);
  await git(repo, ['worktree', 'add', '--detach', wt, ref]);
  return wt;
}

beforeAll(async () => {
  root = tempDir('svmtest-seed-');
  repo = join(root, 'repo');
  mkdirSync(repo);
  await git(repo, ['init', '-q']);
  writeFileSync(join(repo, 'Makefile'), MAKEFILE);
  writeFileSync(join(repo, '.gitignore'), '.*\n!.gitignore\n');
  for (const f of ['a', 'b', 'c']) writeFileSync(join(repo, `${f}.c`), `${f} 1\n`);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-qm', 'base']);
  await git(repo, ['tag', 'base']);
  writeFileSync(join(repo, 'b.c'), 'b 2\n');
  await git(repo, ['commit', '-qam', 'patch b']);
  await git(repo, ['tag', 'series']);
});

describe('a variant build directory seeded from the nearest finished build', () => {
  it('compiles only the files that differ from what the donor was built from; the objects are what the worktree holds', async () => {
    const legacy = await worktreeAt('legacy', 'base');
    expect(await seedBuildDir(legacy)).toBeUndefined(); // nothing to start from yet
    expect(await make(legacy)).toEqual(['compile ../a.c', 'compile ../b.c', 'compile ../c.c']);

    // A host tool's command file with the worktree's absolute path, as objtool's are.
    mkdirSync(join(buildDirOf(legacy), 'tools'));
    writeFileSync(join(buildDirOf(legacy), 'tools', '.tool.o.cmd'), `cmd_tool.o := gcc -I${legacy}/include -c ${legacy}/tools/tool.c\n`);
    const gpusvm = await worktreeAt('gpusvm', 'series');
    writeFileSync(join(gpusvm, 'c.c'), 'c local edit\n'); // a local edit counts as a difference too
    const seed = await seedBuildDir(gpusvm);
    expect(seed).toMatchObject({ from: buildDirOf(legacy), changedFiles: 2 });
    expect(await make(gpusvm)).toEqual(['compile ../b.c', 'compile ../c.c']);
    expect(readFileSync(join(buildDirOf(gpusvm), 'tools', '.tool.o.cmd'), 'utf8')).toBe(`cmd_tool.o := gcc -I${gpusvm}/include -c ${gpusvm}/tools/tool.c\n`);
    expect(readFileSync(join(buildDirOf(gpusvm), 'b.o'), 'utf8')).toBe('b 2\n');
    expect(readFileSync(join(buildDirOf(gpusvm), 'c.o'), 'utf8')).toBe('c local edit\n');
    // The donor is untouched and still up to date.
    expect(await make(legacy)).toEqual([]);
    // Configured once, a build directory is never replaced: its own objects are the nearest.
    expect(await seedBuildDir(gpusvm)).toBeUndefined();
  });

  it('a worktree made again starts from its own build, set aside', async () => {
    const wt = await worktreeAt('again', 'series', 'alone'); // no sibling to start from
    await make(wt);
    setAside(wt);
    await git(repo, ['worktree', 'remove', '--force', wt]);
    await git(repo, ['worktree', 'add', '--detach', wt, 'base']);
    const seed = await seedBuildDir(wt);
    expect(seed?.from).toBe(join(root, 'build-donors', 'alone', 'again'));
    expect(seed?.changedFiles).toBe(1);
    expect(await make(wt)).toEqual(['compile ../b.c']);
  });
});
