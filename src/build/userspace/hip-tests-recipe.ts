import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../model/errors.js';
import { defines, needsProgram, type Recipe } from './recipe.js';

/**
 * hip-tests' Catch2 tests under CTest. Their executables are EXCLUDE_FROM_ALL and all of them take
 * hours: only the configured targets are built. CTest runs them from their build tree, so the
 * prefix's hip-tests/ is that tree.
 */
export const hipTestsRecipe: Recipe = {
  name: 'hip-tests',
  description: 'hip-tests Catch2 targets under CTest (source: the catch directory)',
  needs: () => [needsProgram('cmake', 'cmake'), needsProgram('hipcc', 'hipcc libamdhip64-dev rocm-device-libs')],
  steps: (input) => {
    if (input.targets.length === 0)
      throw new InputError(`userspace.${input.name}.targets: name the hip-tests targets to build (e.g. [EventTest]); all of them take hours`);
    const arch = input.gpuTargets.map((g) => `--offload-arch=${g}`).join(' ');
    const options = {
      CMAKE_BUILD_TYPE: 'Release',
      Catch2_DIR: join(input.src, 'external', 'Catch2', 'cmake', 'Catch2'),
      ...(arch ? { OFFLOAD_ARCH_STR: arch } : {}),
      ...input.cmake,
    };
    return [
      { title: 'configure hip-tests', argv: ['cmake', '-S', input.src, '-B', input.build, ...defines(options)], env: input.env },
      {
        title: `build ${input.targets.join(', ')}`,
        argv: ['cmake', '--build', input.build, '-j', String(input.jobs), ...input.targets.flatMap((t) => ['--target', t])],
        env: input.env,
      },
    ];
  },
  install: (input) => {
    mkdirSync(input.prefix, { recursive: true });
    rmSync(join(input.prefix, 'hip-tests'), { force: true });
    symlinkSync(input.build, join(input.prefix, 'hip-tests'));
  },
};
