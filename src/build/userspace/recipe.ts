import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A component's build, resolved: where its source is, where it builds and installs, with which options. */
export interface RecipeInput {
  readonly name: string;
  /** The project's directory inside the source (the source's `path`). */
  readonly src: string;
  readonly build: string;
  /** The installed layout the suite definitions find through {build}. */
  readonly prefix: string;
  /** The component's CMake options, then the variant's (which win). */
  readonly cmake: Readonly<Record<string, string>>;
  readonly targets: readonly string[];
  readonly gpuTargets: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly jobs: number;
  /** rocrtst (2022): clang's OpenCL headers, for the shim its CMake needs (see docs/rocm-builds.md). */
  readonly openclInclude?: string;
}

export interface Step {
  readonly title: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Something a build needs from the machine, and the command that installs it. */
export interface Requirement {
  readonly what: string;
  readonly present: () => boolean;
  readonly fix: string;
}

export interface Recipe {
  readonly name: string;
  readonly description: string;
  needs(input: RecipeInput): Requirement[];
  steps(input: RecipeInput): Step[];
  /** Arranges the prefix after the steps (copies what the project's own install does not). */
  install(input: RecipeInput): void;
}

export function defines(options: Readonly<Record<string, string>>): string[] {
  return Object.entries(options).map(([k, v]) => `-D${k}=${v}`);
}

export function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, program)));
}

export const needsFile = (what: string, path: string, pkg: string): Requirement => ({
  what: `${what} (${path})`,
  present: () => existsSync(path),
  fix: `sudo apt-get install -y --no-install-recommends ${pkg}`,
});

export const needsProgram = (program: string, pkg: string): Requirement => ({
  what: program,
  present: () => onPath(program),
  fix: `sudo apt-get install -y --no-install-recommends ${pkg}`,
});

/** A CMake variable that must name an existing path, when it is given. */
export function needsPathOption(input: RecipeInput, option: string, pkg: string): Requirement[] {
  const value = input.cmake[option];
  return value ? [needsFile(`${option} for ${input.name}`, value, pkg)] : [];
}
