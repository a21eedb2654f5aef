import { join } from 'node:path';
import { defines, needsFile, needsPathOption, needsProgram, type Recipe } from './recipe.js';

/**
 * libhsakmt (static) and its kfdtest: two CMake projects, the second told where the first was
 * built (LIBHSAKMT_PATH). kfdtest's own install puts bin/kfdtest, bin/run_kfdtest.sh and
 * share/kfdtest/kfdtest.exclude into the prefix — where the kfdtest suite looks for them.
 */
export const kfdtestRecipe: Recipe = {
  name: 'kfdtest',
  description: 'libhsakmt + kfdtest (source: the libhsakmt directory)',
  needs: (input) => [
    needsProgram('cmake', 'cmake'),
    needsProgram('pkg-config', 'pkg-config'),
    needsFile('libdrm headers', '/usr/include/libdrm/amdgpu_drm.h', 'libdrm-dev'),
    needsFile('libnuma headers', '/usr/include/numa.h', 'libnuma-dev'),
    ...needsPathOption(input, 'LLVM_DIR', 'llvm-19-dev'),
  ],
  steps: (input) => {
    const hsakmt = join(input.build, 'libhsakmt');
    const kfdtest = join(input.build, 'kfdtest');
    const options = { CMAKE_BUILD_TYPE: 'Release', ...input.cmake };
    const env = { ...input.env, LIBHSAKMT_PATH: hsakmt };
    return [
      { title: 'configure libhsakmt', argv: ['cmake', '-S', input.src, '-B', hsakmt, ...defines(options)], env: input.env },
      { title: 'build libhsakmt', argv: ['cmake', '--build', hsakmt, '-j', String(input.jobs)], env: input.env },
      {
        title: 'configure kfdtest',
        argv: ['cmake', '-S', join(input.src, 'tests', 'kfdtest'), '-B', kfdtest, ...defines({ ...options, CMAKE_INSTALL_PREFIX: input.prefix })],
        env,
      },
      { title: 'build kfdtest', argv: ['cmake', '--build', kfdtest, '-j', String(input.jobs)], env },
      { title: 'install kfdtest', argv: ['cmake', '--install', kfdtest], env },
    ];
  },
  install: () => undefined,
};
