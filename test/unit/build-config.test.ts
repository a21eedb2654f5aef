import { describe, expect, it } from 'vitest';
import { baseConfigText, NAMED_BASE_CONFIGS } from '../../src/build/base-config.js';
import { cacheKey, type CacheKeyInputs } from '../../src/build/kernel-build.js';
import { cmakeCommands } from '../../src/build/userspace/cmake-recipe.js';
import type { RecipeInput } from '../../src/build/userspace/recipe.js';
import { recipeFor } from '../../src/build/userspace/recipes.js';

describe('artifact cache key', () => {
  const base: CacheKeyInputs = {
    baseCommit: 'a'.repeat(40),
    series: 's1',
    baseConfig: 'tinyconfig',
    config: 'CONFIG_X=y\n',
    targets: 'bzImage',
    toolchain: 'gcc 12.2',
    localChanges: '',
  };
  it('is stable for the same inputs and changes exactly when one input changes', () => {
    expect(cacheKey(base)).toBe(cacheKey({ ...base }));
    const keys = new Set([cacheKey(base)]);
    for (const field of Object.keys(base) as Array<keyof CacheKeyInputs>) keys.add(cacheKey({ ...base, [field]: `${base[field]}-changed` }));
    expect(keys.size).toBe(Object.keys(base).length + 1);
  });
});

describe('ROCm userspace recipes', () => {
  const input = (extra: Partial<RecipeInput> = {}): RecipeInput => ({
    name: 'x',
    src: '/src/x',
    build: '/cache/build',
    prefix: '/cache/prefix',
    cmake: { BUILD_TESTS: 'ON', USE_DRM_AMDGPU_SVM: 'ON' },
    targets: ['kfdtest'],
    gpuTargets: ['gfx942'],
    env: {},
    jobs: 8,
    ...extra,
  });

  it('cmake: configure, build the targets and install, the variant options last', () => {
    expect(cmakeCommands(input())).toEqual([
      [
        'cmake',
        '-S',
        '/src/x',
        '-B',
        '/cache/build',
        '-DCMAKE_BUILD_TYPE=Release',
        '-DCMAKE_INSTALL_PREFIX=/cache/prefix',
        '-DBUILD_TESTS=ON',
        '-DUSE_DRM_AMDGPU_SVM=ON',
      ],
      ['cmake', '--build', '/cache/build', '-j', '8', '--target', 'kfdtest'],
      ['cmake', '--install', '/cache/build'],
    ]);
  });

  it('kfdtest: libhsakmt first, then kfdtest told where it is, installed into the prefix', () => {
    const steps = recipeFor('kfdtest', undefined).steps(input({ cmake: { LLVM_DIR: '/usr/lib/llvm-19/lib/cmake/llvm' } }));
    expect(steps.map((s) => s.title)).toEqual(['configure libhsakmt', 'build libhsakmt', 'configure kfdtest', 'build kfdtest', 'install kfdtest']);
    expect(steps[2]!.argv).toEqual([
      'cmake',
      '-S',
      '/src/x/tests/kfdtest',
      '-B',
      '/cache/build/kfdtest',
      '-DCMAKE_BUILD_TYPE=Release',
      '-DLLVM_DIR=/usr/lib/llvm-19/lib/cmake/llvm',
      '-DCMAKE_INSTALL_PREFIX=/cache/prefix',
    ]);
    expect(steps[2]!.env?.LIBHSAKMT_PATH).toBe('/cache/build/libhsakmt');
  });

  it('rocrtst: kernels for the GPU families, and no GPU named or found is an input error', () => {
    const steps = recipeFor('rocrtst', undefined).steps(input({ cmake: {}, gpuTargets: ['gfx900', 'gfx1030'] }));
    expect(steps[0]!.argv).toContain('-DTARGET_DEVICES=gfx900;gfx1030');
    expect(steps[1]!.argv.slice(-4)).toEqual(['--target', 'rocrtst64', '--target', 'rocrtst_kernels']);
    expect(() => recipeFor('rocrtst', undefined).steps(input({ gpuTargets: [] }))).toThrow(/userspace.x.gpuTargets: no GPU found here/);
  });

  it('hip-tests: only the named targets, with the offload arch of the GPU families', () => {
    const steps = recipeFor('hip-tests', undefined).steps(input({ cmake: {}, targets: ['EventTest'], gpuTargets: ['gfx900'] }));
    expect(steps[0]!.argv).toContain('-DOFFLOAD_ARCH_STR=--offload-arch=gfx900');
    expect(steps[1]!.argv.slice(-2)).toEqual(['--target', 'EventTest']);
    expect(() => recipeFor('hip-tests', undefined).steps(input({ targets: [] }))).toThrow(/name the hip-tests targets to build/);
  });

  it('an unknown recipe lists the known ones; other components build with plain CMake', () => {
    expect(() => recipeFor('x', 'meson')).toThrow(/unknown; known recipes: kfdtest, rocrtst, hip-tests, cmake/);
    expect(recipeFor('rocr-runtime', undefined).name).toBe('cmake');
  });
});

describe('base configs', () => {
  it('every config make knows by name (kvm_guest.config too) is keyed by its name, never read as a file', () => {
    for (const name of [...NAMED_BASE_CONFIGS, 'running']) expect(baseConfigText({ baseConfig: name, fragments: [] }, '/nonexistent')).toBe(name);
    expect(() => baseConfigText({ baseConfig: 'my.config', fragments: [] }, '/nonexistent')).toThrow(
      /kernel.baseConfig my.config: expected defconfig, .*kvm_guest.config, running, or a config file/,
    );
  });
});
