import { dirname } from 'node:path';
import { InfraError } from '../model/errors.js';
import type { Target } from '../targets/target.js';
import { existsBy } from '../targets/machine/exec-by-spawn.js';
import type { ResolvedSuite } from './adapter.js';
import type { SuiteDefinition } from './definition.js';

export interface SuiteContext {
  /** Installed ROCm prefix ($ROCM_PATH or /opt/rocm). */
  readonly rocm: string;
  /** Userspace build output of `svmtest build`, when there is one. */
  readonly build?: string;
  /** The GPU family of the first GPU, for per-GPU paths like rocrtst's bin/<gfx>/. */
  readonly gfx?: string;
  /** The variant's environment (e.g. HSA_XNACK=1), applied to every suite after the suite's own. */
  readonly env?: Readonly<Record<string, string>>;
}

export function expand(template: string, values: Readonly<Record<string, string | undefined>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

async function exists(target: Target, path: string): Promise<boolean> {
  if (/\{\w+\}/.test(path)) return false; // a placeholder with no value
  return target.exists ? target.exists(path) : existsBy((spec, options) => target.exec(spec, options), path);
}

async function firstExisting(
  target: Target,
  candidates: readonly string[],
  values: Record<string, string | undefined>,
  inside = '',
): Promise<string | undefined> {
  for (const candidate of candidates) {
    const path = expand(candidate, values);
    if (await exists(target, inside ? `${path}/${inside}` : path)) return path;
  }
  return undefined;
}

/** Finds the suite's binary or build directory on the target; a suite that is not there is an infrastructure error. */
export async function resolveSuite(target: Target, suite: SuiteDefinition, context: SuiteContext): Promise<ResolvedSuite> {
  const values = { rocm: context.rocm, build: context.build, gfx: context.gfx };
  const env = { ...Object.fromEntries(Object.entries(suite.env).map(([k, v]) => [k, expand(v, values)])), ...context.env };
  if (suite.kind === 'ctest') {
    const candidates = typeof suite.dir === 'string' ? [suite.dir] : suite.dir!;
    // A ctest root is a directory with a CTestTestfile.cmake: a build's sub-directory lists nothing.
    const dir = await firstExisting(target, candidates, values, 'CTestTestfile.cmake');
    if (!dir) {
      const tried = candidates.map((c) => expand(c, values)).join(', ');
      throw new InfraError(`suite ${suite.name}: no ctest build directory (one with a CTestTestfile.cmake) found on ${target.description} (tried ${tried})`);
    }
    return { definition: suite, command: ['ctest'], dir, env };
  }
  let command: string[];
  if (suite.command) {
    command = suite.command.map((part) => expand(part, values));
    if (command[0]!.includes('/') && !(await exists(target, command[0]!))) {
      throw new InfraError(`suite ${suite.name}: ${command[0]} not found on ${target.description}`);
    }
  } else {
    const binary = await firstExisting(target, suite.binary!, values);
    if (!binary) {
      throw new InfraError(
        `suite ${suite.name}: binary not found on ${target.description} (tried ${suite.binary!.map((c) => expand(c, values)).join(', ')}); install ROCm's test packages, set --rocm / $ROCM_PATH, or run svmtest build`,
      );
    }
    command = [binary];
  }
  command.push(...suite.args.map((a) => expand(a, values)));
  const cwd = suite.cwd ? expand(suite.cwd, { ...values, binaryDir: dirname(command[0]!) }) : undefined;
  return { definition: suite, command, ...(cwd ? { cwd } : {}), env };
}
