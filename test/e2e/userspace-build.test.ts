import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { svmtest, tempDir } from '../helpers/cli.js';

// `svmtest build`'s userspace stage on a small real CMake project: a directory, a tarball and a
// git repository at a pinned ref; cache hits; a build that fails; per-variant CMake options.
let dir: string;
let cache: string;
const env = () => ({ SVMTEST_CACHE: cache });
const git = (cwd: string, ...args: string[]) =>
  execa('git', ['-C', cwd, ...args], { env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

const PROJECT = `cmake_minimum_required(VERSION 3.16)
project(probe C)
add_executable(probe probe.c)
target_compile_definitions(probe PRIVATE FLAVOUR="\${FLAVOUR}")
install(TARGETS probe DESTINATION bin)
`;

function writeProject(at: string, body = 'int main(void) { puts(FLAVOUR); return 0; }'): void {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'CMakeLists.txt'), PROJECT);
  writeFileSync(join(at, 'probe.c'), `#include <stdio.h>\n${body}\n`);
}

function config(name: string, component: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      userspace: { probe: component },
      variants: { legacy: {}, gpusvm: { build: { cmake: { probe: { FLAVOUR: 'gpusvm' } } } } },
    }),
  );
  return file;
}

beforeAll(async () => {
  dir = tempDir('svmtest-userspace-');
  cache = join(dir, 'cache');
  writeProject(join(dir, 'tree'));
  await execa('tar', ['-cJf', join(dir, 'probe.tar.xz'), '-C', dir, 'tree']);
  const repo = join(dir, 'repo');
  writeProject(repo);
  await execa('git', ['init', '-q', repo]);
  await git(repo, 'add', '.');
  await git(repo, 'commit', '-qm', 'v1');
  await git(repo, 'tag', 'v1');
  writeProject(repo, 'int main(void) { puts("moved on"); return 0; }');
  await git(repo, 'commit', '-qam', 'after v1');
});

/** The probe program of a variant's {build} tree, run: which source and options built it. */
async function probeOf(variant: string): Promise<string> {
  const view = readFileSync(join(cache, 'userspace', `${variant}.latest`), 'utf8').trim();
  return (await execa(join(view, 'bin', 'probe'))).stdout;
}

describe('svmtest build: ROCm userspace components from source', () => {
  it('a directory: built per variant with its CMake options, linked into {build}; unchanged, a cache hit', async () => {
    const file = config('dir', { recipe: 'cmake', source: 'tree', cmake: { FLAVOUR: 'legacy' } });
    const first = await svmtest(['build', '-c', file, '--json'], { env: env() });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await probeOf('legacy')).toBe('legacy');
    expect(await probeOf('gpusvm')).toBe('gpusvm');
    const started = Date.now();
    const again = await svmtest(['build', '-c', file, '--json'], { env: env() });
    expect(Date.now() - started).toBeLessThan(4000);
    const built = JSON.parse(again.stdout) as Array<{ userspace: { components: Array<{ cacheHit: boolean }> } }>;
    expect(built.every((b) => b.userspace.components.every((c) => c.cacheHit))).toBe(true);
  });

  it('a tarball (by its content) and a git repository at a pinned ref (never its working tree)', async () => {
    const tar = await svmtest(
      ['build', '-c', config('tar', { recipe: 'cmake', source: 'probe.tar.xz', path: 'tree', cmake: { FLAVOUR: 'from-tarball' } }), '--variant', 'legacy'],
      { env: env() },
    );
    expect(tar.exitCode, tar.stderr).toBe(0);
    expect(await probeOf('legacy')).toBe('from-tarball');
    const pinned = await svmtest(
      ['build', '-c', config('git', { recipe: 'cmake', source: 'repo', ref: 'v1', cmake: { FLAVOUR: 'pinned-v1' } }), '--variant', 'legacy'],
      { env: env() },
    );
    expect(pinned.exitCode, pinned.stderr).toBe(0);
    expect(await probeOf('legacy')).toBe('pinned-v1');
  });

  it('a source that does not build: exit 3 naming the component and step, with the compiler error, not the whole log', async () => {
    writeProject(join(dir, 'broken'), 'int main(void) { return undeclared_symbol; }');
    const r = await svmtest(['build', '-c', config('broken', { recipe: 'cmake', source: 'broken' }), '--variant', 'legacy'], { env: env() });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/userspace probe: cmake --build failed \(full log: .*build\.log\):/);
    expect(r.stderr).toMatch(/undeclared_symbol/);
    expect(r.stderr.split('\n').length).toBeLessThan(20);
  });

  it('a missing source is named (exit 2); a missing package is named with the command that installs it (exit 3)', async () => {
    const missing = await svmtest(['build', '-c', config('missing', { recipe: 'cmake', source: 'nowhere' })], { env: env() });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/userspace\.probe\.source nowhere: no such file or directory/);
    const rocrtst = await svmtest(
      ['build', '-c', config('needs', { recipe: 'rocrtst', source: 'tree', gpuTargets: ['gfx900'], openclInclude: join(dir, 'no-headers') })],
      { env: env() },
    );
    expect(rocrtst.exitCode).toBe(3);
    expect(rocrtst.stderr).toMatch(
      /needs OpenCL headers \(.*no-headers\/opencl-c\.h\); install with:\n {2}sudo apt-get install -y --no-install-recommends clang-15/,
    );
    expect(existsSync(join(cache, 'userspace'))).toBe(true);
  });
});
