import { execa } from 'execa';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { InfraError, InputError } from '../model/errors.js';
import { git } from './git.js';

export type ComponentSpec =
  | { readonly prebuilt: string }
  | {
      readonly source: string;
      readonly ref?: string;
      readonly path: string;
      readonly cmake: Readonly<Record<string, string>>;
      readonly targets: readonly string[];
    };

/** The CMake invocations for one component and variant: configure, build, install (argument vectors). */
export function cmakeCommands(
  spec: Extract<ComponentSpec, { source: string }>,
  sourceDir: string,
  buildDir: string,
  prefix: string,
  variantOptions: Readonly<Record<string, string>>,
  jobs: number,
): string[][] {
  const defines = { CMAKE_BUILD_TYPE: 'Release', CMAKE_INSTALL_PREFIX: prefix, ...spec.cmake, ...variantOptions };
  return [
    ['cmake', '-S', join(sourceDir, spec.path), '-B', buildDir, ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`)],
    ['cmake', '--build', buildDir, '-j', String(jobs), ...spec.targets.flatMap((t) => ['--target', t])],
    ['cmake', '--install', buildDir],
  ];
}

export interface UserspaceResult {
  readonly component: string;
  readonly prefix: string;
  readonly cacheHit: boolean;
}

/**
 * One ROCm component (libhsakmt + kfdtest, ROCr + rocrtst, HIP + hip-tests): an installed
 * prefix, or a source build at a pinned ref with per-variant CMake options, cached by inputs.
 */
export async function buildComponent(
  name: string,
  spec: ComponentSpec,
  variant: string,
  variantOptions: Readonly<Record<string, string>>,
  cacheDir: string,
  configDir: string,
): Promise<UserspaceResult> {
  if ('prebuilt' in spec) {
    if (!existsSync(spec.prebuilt)) throw new InfraError(`userspace.${name}.prebuilt ${spec.prebuilt}: not found`);
    return { component: name, prefix: spec.prebuilt, cacheHit: true };
  }
  const source = resolve(configDir, spec.source);
  if (!existsSync(source)) throw new InputError(`userspace.${name}.source ${spec.source}: no such directory`);
  const commit = spec.ref ? (await git(source, ['rev-parse', `${spec.ref}^{commit}`])).stdout.trim() : 'working-tree';
  const key = createHash('sha256')
    .update(JSON.stringify([name, commit, spec.path, spec.cmake, variantOptions, spec.targets]))
    .digest('hex')
    .slice(0, 16);
  const prefix = join(cacheDir, 'userspace', `${name}-${variant}-${key}`);
  if (existsSync(join(prefix, '.svmtest-built'))) return { component: name, prefix, cacheHit: true };
  const checkout = spec.ref ? join(cacheDir, 'userspace-src', `${name}-${commit.slice(0, 12)}`) : source;
  if (spec.ref && !existsSync(checkout)) await git(source, ['worktree', 'add', '--detach', '--force', checkout, commit]);
  const buildDir = join(cacheDir, 'userspace-build', `${name}-${variant}-${key}`);
  mkdirSync(buildDir, { recursive: true });
  for (const argv of cmakeCommands(spec, checkout, buildDir, prefix, variantOptions, cpus().length)) {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, all: true });
    if (r.exitCode !== 0)
      throw new InfraError(
        `${argv.slice(0, 2).join(' ')} for ${name} (${variant}) failed:\n${String(r.all)
          .split('\n')
          .filter((l) => /error|Error/.test(l))
          .slice(-10)
          .join('\n')}`,
      );
  }
  writeFileSync(join(prefix, '.svmtest-built'), new Date().toISOString());
  return { component: name, prefix, cacheHit: false };
}
