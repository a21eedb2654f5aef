import { describe, expect, it } from 'vitest';
import { baseConfigText, NAMED_BASE_CONFIGS } from '../../src/build/base-config.js';
import { cacheKey, type CacheKeyInputs } from '../../src/build/kernel-build.js';
import { cmakeCommands } from '../../src/build/userspace.js';

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

describe('ROCm userspace source builds', () => {
  it('configure, build and install with the component options and the variant options last', () => {
    const commands = cmakeCommands(
      { source: '/src/rocm-systems', path: 'projects/rocr-runtime/libhsakmt', cmake: { BUILD_TESTS: 'ON' }, targets: ['kfdtest'] },
      '/cache/src',
      '/cache/build',
      '/cache/prefix',
      { USE_DRM_AMDGPU_SVM: 'ON' },
      8,
    );
    expect(commands).toEqual([
      [
        'cmake',
        '-S',
        '/cache/src/projects/rocr-runtime/libhsakmt',
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
});

describe('base configs', () => {
  it('every config make knows by name (kvm_guest.config too) is keyed by its name, never read as a file', () => {
    for (const name of [...NAMED_BASE_CONFIGS, 'running']) expect(baseConfigText({ baseConfig: name, fragments: [] }, '/nonexistent')).toBe(name);
    expect(() => baseConfigText({ baseConfig: 'my.config', fragments: [] }, '/nonexistent')).toThrow(
      /kernel.baseConfig my.config: expected defconfig, .*kvm_guest.config, running, or a config file/,
    );
  });
});
