import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../model/errors.js';
import { defines, needsFile, needsPathOption, needsProgram, type Recipe, type RecipeInput } from './recipe.js';

/**
 * The 2022 CMake reads "${OPENCL_INC_DIR}opencl-c.h" without a slash: a shim directory holding
 * the header under both names (and opencl-c-base.h) satisfies it without editing the source.
 */
function openclShim(input: RecipeInput): string {
  const shim = join(input.build, 'opencl-shim');
  mkdirSync(join(shim, 'include'), { recursive: true });
  const headers = input.openclInclude!;
  const links: Array<[string, string]> = [
    ['opencl-c.h', join(shim, 'include', 'opencl-c.h')],
    ['opencl-c.h', join(shim, 'includeopencl-c.h')],
    ['opencl-c-base.h', join(shim, 'include', 'opencl-c-base.h')],
    ['opencl-c-base.h', join(shim, 'opencl-c-base.h')],
  ];
  for (const [header, link] of links) if (!existsSync(link)) symlinkSync(join(headers, header), link);
  return shim;
}

function gpuTargets(input: RecipeInput): readonly string[] {
  if (input.gpuTargets.length === 0) {
    throw new InputError(`userspace.${input.name}.gpuTargets: no GPU found here to build rocrtst's kernels for; name the GPU families, e.g. [gfx942]`);
  }
  return input.gpuTargets;
}

/**
 * rocrtst64 and its per-GPU kernels, installed the way the rocrtst suite runs them: one
 * bin/<gfx>/ per GPU family holding rocrtst64, its .hsaco kernels and the bundled libraries
 * (thirdparty/lib, found through the binary's own $ORIGIN runpath).
 */
export const rocrtstRecipe: Recipe = {
  name: 'rocrtst',
  description: 'rocrtst64 + its kernels per GPU family (source: the rocrtst directory)',
  needs: (input) => [
    needsProgram('cmake', 'cmake'),
    needsFile('ROCr headers', '/usr/include/hsa/hsa.h', 'libhsa-runtime-dev'),
    ...needsPathOption(input, 'LLVM_DIR', 'clang-15 lld-15'),
    ...(input.openclInclude ? [needsFile('OpenCL headers', join(input.openclInclude, 'opencl-c.h'), 'clang-15')] : []),
  ],
  steps: (input) => {
    const options = {
      TARGET_DEVICES: gpuTargets(input).join(';'),
      ROCRTST_BLD_TYPE: 'release',
      ...(input.openclInclude ? { OPENCL_DIR: openclShim(input) } : {}),
      ...input.cmake,
    };
    return [
      { title: 'configure rocrtst', argv: ['cmake', '-S', join(input.src, 'suites', 'test_common'), '-B', input.build, ...defines(options)], env: input.env },
      {
        title: 'build rocrtst64 and its kernels',
        argv: ['cmake', '--build', input.build, '-j', String(input.jobs), '--target', 'rocrtst64', '--target', 'rocrtst_kernels'],
        env: input.env,
      },
    ];
  },
  install: (input) => {
    for (const gfx of gpuTargets(input)) {
      const bin = join(input.prefix, 'bin', gfx);
      mkdirSync(bin, { recursive: true });
      copyFileSync(join(input.build, 'rocrtst64'), join(bin, 'rocrtst64'));
      for (const kernel of readdirSync(join(input.build, gfx)).filter((f) => f.endsWith('.hsaco')))
        copyFileSync(join(input.build, gfx, kernel), join(bin, kernel));
      const bundled = join(input.src, 'thirdparty', 'lib');
      if (existsSync(bundled)) cpSync(bundled, join(bin, 'thirdparty', 'lib'), { recursive: true });
    }
  },
};
