import { execa } from 'execa';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { componentFiles } from '../artifacts.js';
import { sha } from '../hash.js';
import { runLogged } from '../run-logged.js';
import type { RecipeInput } from './recipe.js';
import { recipeFor } from './recipes.js';
import { materialize } from './source.js';

// Bumped when a recipe's steps or install layout change: older builds stop being cache hits.
const RECIPE_VERSION = '1';

export interface SourceBuildSpec {
  readonly recipe?: string;
  readonly source: string;
  readonly ref?: string;
  readonly path: string;
  readonly cmake: Readonly<Record<string, string>>;
  readonly targets: readonly string[];
  readonly gpuTargets?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly openclInclude?: string;
}

export interface ComponentBuild {
  readonly component: string;
  readonly recipe: string;
  readonly prefix: string;
  readonly log: string;
  readonly cacheHit: boolean;
  readonly source: string;
  /** The source's content hash: two builds from the same sources have the same one, whatever their options. */
  readonly sourceHash: string;
  readonly cmake: Readonly<Record<string, string>>;
  /** The build's cache key (recipe, source, options, targets, toolchain). */
  readonly key: string;
}

export interface ComponentContext {
  readonly cacheDir: string;
  readonly configDir: string;
  /** GPU families found on this machine: rocrtst's kernels and hip-tests' offload arch when none are configured. */
  readonly gpusFound: readonly string[];
  readonly step: (title: string) => void;
  readonly logLine: (line: string) => void;
}

async function toolchain(): Promise<string> {
  const versions = await Promise.all(['cmake', 'c++', 'hipcc'].map((tool) => execa(tool, ['--version'], { reject: false })));
  return versions.map((v) => String(v.stdout ?? '').split('\n')[0]).join(' | ');
}

/**
 * One ROCm component built from source with its recipe: cached by everything that decides the
 * output (recipe, source content, options, targets, toolchain), the build log kept beside it.
 */
export async function buildSourceComponent(
  name: string,
  spec: SourceBuildSpec,
  variantCmake: Readonly<Record<string, string>>,
  context: ComponentContext,
): Promise<ComponentBuild> {
  const recipe = recipeFor(name, spec.recipe);
  const source = await materialize(`userspace.${name}.source`, spec.source, spec.ref, context.configDir, context.cacheDir);
  const gpuTargets = spec.gpuTargets ?? context.gpusFound;
  const cmake = { ...spec.cmake, ...variantCmake };
  const key = sha(
    RECIPE_VERSION,
    recipe.name,
    source.hash,
    spec.path,
    JSON.stringify([cmake, spec.targets, gpuTargets, spec.env, spec.openclInclude ?? '']),
    await toolchain(),
  ).slice(0, 16);
  const files = componentFiles(context.cacheDir, name, key);
  const result = { component: name, recipe: recipe.name, prefix: files.prefix, log: files.log, source: source.describe, sourceHash: source.hash, cmake, key };
  if (existsSync(files.manifest)) {
    context.step(`${name}: cache hit (${files.dir})`);
    return { ...result, cacheHit: true };
  }
  const input: RecipeInput = {
    name,
    src: join(source.dir, spec.path),
    build: files.build,
    prefix: files.prefix,
    cmake,
    targets: spec.targets,
    gpuTargets,
    // The HIP compiler leaves a directory per translation unit in $TMPDIR: the build's own, removed after it.
    env: { ...process.env, TMPDIR: join(files.dir, 'tmp'), ...spec.env } as Record<string, string>,
    jobs: cpus().length,
    ...(spec.openclInclude ? { openclInclude: spec.openclInclude } : {}),
  };
  if (!existsSync(input.src)) throw new InfraError(`userspace.${name}: ${spec.path} is not in ${source.describe} (expected ${recipe.description})`);
  const missing = recipe.needs(input).filter((r) => !r.present());
  if (missing.length > 0) {
    throw new InfraError(
      `userspace.${name} (${recipe.name}) needs ${missing.map((m) => m.what).join(', ')}; install with:\n  ${[...new Set(missing.map((m) => m.fix))].join('\n  ')}`,
    );
  }
  rmSync(files.dir, { recursive: true, force: true });
  mkdirSync(files.build, { recursive: true });
  mkdirSync(files.prefix, { recursive: true });
  mkdirSync(join(files.dir, 'tmp'), { recursive: true });
  writeFileSync(files.log, `svmtest build of ${name} (${recipe.name}) from ${source.describe}\n`);
  const started = performance.now();
  for (const step of recipe.steps(input)) {
    context.step(`${name}: ${step.title}`);
    await runLogged({ argv: step.argv, ...(step.env ? { env: step.env } : {}) }, files.log, `userspace ${name}: ${step.title}`, context.logLine);
  }
  recipe.install(input);
  rmSync(join(files.dir, 'tmp'), { recursive: true, force: true });
  const manifest = {
    component: name,
    recipe: recipe.name,
    source: source.describe,
    sourceHash: source.hash,
    cmake,
    targets: spec.targets,
    gpuTargets,
    key,
    ms: Math.round(performance.now() - started),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(files.manifest, `${JSON.stringify(manifest, null, 1)}\n`);
  return { ...result, cacheHit: false };
}
