import { defines, needsProgram, type Recipe, type RecipeInput } from './recipe.js';

/** The CMake invocations of a plain component: configure, build, install (argument vectors). */
export function cmakeCommands(input: RecipeInput): string[][] {
  const options = { CMAKE_BUILD_TYPE: 'Release', CMAKE_INSTALL_PREFIX: input.prefix, ...input.cmake };
  return [
    ['cmake', '-S', input.src, '-B', input.build, ...defines(options)],
    ['cmake', '--build', input.build, '-j', String(input.jobs), ...input.targets.flatMap((t) => ['--target', t])],
    ['cmake', '--install', input.build],
  ];
}

/** Any CMake project with an install rule (e.g. a ROCm runtime built with its DRM SVM switch). */
export const cmakeRecipe: Recipe = {
  name: 'cmake',
  description: 'a CMake project: configure, build the targets, install into the prefix',
  needs: () => [needsProgram('cmake', 'cmake')],
  steps: (input) => cmakeCommands(input).map((argv) => ({ title: argv.slice(0, 2).join(' '), argv, env: input.env })),
  install: () => undefined,
};
