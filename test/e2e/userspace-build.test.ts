import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sha } from '../../src/build/hash.js';
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
      // No GPU here: preflight expects no /dev/kfd (the runs below only need the suites to be found).
      variants: { legacy: { expect: { kfd: false } }, gpusvm: { expect: { kfd: false }, build: { cmake: { probe: { FLAVOUR: 'gpusvm' } } } } },
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

/** The probe program of a config's variant's {build} tree, run: which source and options built it. */
async function probeOf(variant: string, configFile: string): Promise<string> {
  const view = readFileSync(join(cache, 'userspace', `${variant}-${sha(resolve(configFile)).slice(0, 12)}.latest`), 'utf8').trim();
  return (await execa(join(view, 'bin', 'probe'))).stdout;
}

// A probe that answers like a gtest binary (console only): a suite can run from {build}.
const GTEST_LIKE = `#include <string.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--gtest_list_tests")) { puts("Probe."); puts("  Flavour"); return 0; }
  printf("[ RUN      ] Probe.Flavour\\n%s\\n[       OK ] Probe.Flavour (0 ms)\\n", FLAVOUR);
  return 0;
}`;

describe('svmtest build: ROCm userspace components from source', () => {
  it('a directory: built per variant with its CMake options, linked into {build}; unchanged, a cache hit', async () => {
    const file = config('dir', { recipe: 'cmake', source: 'tree', cmake: { FLAVOUR: 'legacy' } });
    const first = await svmtest(['build', '-c', file, '--json'], { env: env() });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await probeOf('legacy', file)).toBe('legacy');
    expect(await probeOf('gpusvm', file)).toBe('gpusvm');
    const started = Date.now();
    const again = await svmtest(['build', '-c', file, '--json'], { env: env() });
    expect(Date.now() - started).toBeLessThan(4000);
    const built = JSON.parse(again.stdout) as Array<{ userspace: { components: Array<{ cacheHit: boolean }> } }>;
    expect(built.every((b) => b.userspace.components.every((c) => c.cacheHit))).toBe(true);
  });

  it('a tarball (by its content) and a git repository at a pinned ref (never its working tree)', async () => {
    const tarConfig = config('tar', { recipe: 'cmake', source: 'probe.tar.xz', path: 'tree', cmake: { FLAVOUR: 'from-tarball' } });
    const tar = await svmtest(['build', '-c', tarConfig, '--variant', 'legacy'], { env: env() });
    expect(tar.exitCode, tar.stderr).toBe(0);
    expect(await probeOf('legacy', tarConfig)).toBe('from-tarball');
    const gitConfig = config('git', { recipe: 'cmake', source: 'repo', ref: 'v1', cmake: { FLAVOUR: 'pinned-v1' } });
    const pinned = await svmtest(['build', '-c', gitConfig, '--variant', 'legacy'], { env: env() });
    expect(pinned.exitCode, pinned.stderr).toBe(0);
    expect(await probeOf('legacy', gitConfig)).toBe('pinned-v1');
    // Each config keeps its own build: the tarball's is still the tarball's.
    expect(await probeOf('legacy', tarConfig)).toBe('from-tarball');
  });

  it('a run uses the {build} of its own config and variant and records what its suites were built from; compare warns when the sources differ', async () => {
    writeProject(join(dir, 'gtestish'), GTEST_LIKE);
    writeProject(join(dir, 'gtestish-2'), GTEST_LIKE.replace('Probe.Flavour (0 ms)', 'Probe.Flavour (10 ms)'));
    const suite = join(dir, 'probe-suite.yaml');
    writeFileSync(suite, stringify({ name: 'probe', kind: 'gtest', binary: ['{build}/bin/probe'] }));
    const first = config('prov-a', { recipe: 'cmake', source: 'gtestish', cmake: { FLAVOUR: 'a' } });
    const second = config('prov-b', { recipe: 'cmake', source: 'gtestish-2', cmake: { FLAVOUR: 'b' } });
    for (const file of [first, second]) expect((await svmtest(['build', '-c', file], { env: env() })).exitCode).toBe(0);
    const run = async (file: string, variant: string) => {
      const out = join(dir, `prov-${variant}-${file.endsWith('a.yaml') ? 'a' : 'b'}`);
      const r = await svmtest(['run', '-c', file, '--variant', variant, '--suite-file', suite, '-o', out, '--kernel-events', 'ignore'], { env: env() });
      expect(r.exitCode, r.stderr).toBe(0);
      return out;
    };
    const legacyA = await run(first, 'legacy');
    const recorded = JSON.parse(readFileSync(join(legacyA, 'run.json'), 'utf8')).run.environment.userspace;
    expect(recorded.components).toEqual([expect.objectContaining({ component: 'probe', cmake: { FLAVOUR: 'a' } })]);
    expect(recorded.digest).toMatch(/^[0-9a-f]{16}$/);
    const gpusvmA = await run(first, 'gpusvm');
    const same = await svmtest(['compare', legacyA, gpusvmA, '-o', join(dir, 'prov-same')]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stdout).not.toMatch(/different sources/);
    const gpusvmB = await run(second, 'gpusvm');
    const mixed = await svmtest(['compare', legacyA, gpusvmB, '-o', join(dir, 'prov-mixed')]);
    expect(mixed.stdout).toMatch(/WARNING: the two runs ran suites built from different sources: probe \(.*gtestish.* vs .*gtestish-2.*\)/);
    // A config that was never built has no {build}: its suites are not found, never another config's.
    const never = config('prov-never', { recipe: 'cmake', source: 'gtestish', cmake: { FLAVOUR: 'never' } });
    const missing = await svmtest(['run', '-c', never, '--variant', 'legacy', '--suite-file', suite, '-o', join(dir, 'prov-never-run')], { env: env() });
    expect(missing.exitCode).toBe(3);
    expect(missing.stdout + missing.stderr).toMatch(/suite probe: binary not found/);
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
