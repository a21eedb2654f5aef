import { InputError } from '../model/errors.js';
import type { Gpu } from '../model/run.js';
import type { Target } from '../targets/target.js';
import type { SuiteContext } from './resolve.js';
import { expand } from './resolve.js';
import type { SuiteDefinition } from './definition.js';

export interface SkipRule {
  readonly pattern: string;
  /** Why a test it matches is not run, as the run records it. */
  readonly reason: string;
}

// The exclude list is bash: let bash evaluate it. The script is a constant; file and key are arguments.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
const READ_FILTER = 'source "$1" >/dev/null 2>&1 || exit 3; printf "%s\\n" "${FILTER[$2]}"';

/** gtest negative filter "-A.b:C.*" → the globs it excludes. */
export function negativeFilterGlobs(filter: string): string[] {
  return filter
    .trim()
    .replace(/^-/, '')
    .split(':')
    .map((p) => p.trim().replace(/^-/, ''))
    .filter((p) => p !== '');
}

async function kfdtestExcludes(target: Target, file: string, gpus: readonly Gpu[]): Promise<SkipRule[]> {
  const keys = [...new Set(gpus.map((g) => g.gfx))];
  // On an in-tree (non-DKMS) kernel the `upstream` list is excluded too.
  const kallsyms = await target.readFile('/proc/kallsyms');
  if (kallsyms !== undefined && !/\brdma_get_pages\b/.test(kallsyms)) keys.push('upstream');
  const rules: SkipRule[] = [];
  for (const key of keys) {
    const result = await target.exec({ argv: ['bash', '-c', READ_FILTER, 'svmtest', file, key] }, { timeoutMs: 30_000 });
    if (result.exitCode === 3) throw new InputError(`${file}: bash could not source it (FILTER[${key}])`);
    for (const glob of negativeFilterGlobs(result.stdout)) rules.push({ pattern: glob, reason: `excluded by ${file} FILTER[${key}]` });
  }
  return rules;
}

async function hipExcludes(target: Target, file: string): Promise<SkipRule[]> {
  const text = await target.readFile(file);
  if (text === undefined) return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message}); expected {"DisabledTests": [...]}`);
  }
  const list = (data as { DisabledTests?: unknown })?.DisabledTests;
  if (!Array.isArray(list)) throw new InputError(`${file}: DisabledTests: expected an array of test names`);
  return list.map((name) => ({ pattern: String(name), reason: `excluded by ${file}` }));
}

async function firstReadable(target: Target, candidates: readonly string[] | undefined, context: SuiteContext): Promise<string | undefined> {
  for (const candidate of candidates ?? []) {
    const path = expand(candidate, { rocm: context.rocm, build: context.build, gfx: context.gfx });
    if ((await target.readFile(path)) !== undefined) return path;
  }
  return undefined;
}

/**
 * Everything the suite itself says not to run on this machine: its exclude lists, its fixed patterns,
 * and, when the KFD topology has no GPU, the tests that need one (a machine fact, not the test's word).
 */
export async function loadSkipRules(target: Target, suite: SuiteDefinition, context: SuiteContext, gpus: readonly Gpu[]): Promise<SkipRule[]> {
  const rules: SkipRule[] = suite.skips.patterns.map((pattern) => ({ pattern, reason: `excluded by ${suite.file} skips.patterns` }));
  if (gpus.length === 0)
    for (const pattern of suite.skips.needsGpu)
      rules.push({ pattern, reason: `needs a GPU agent and this machine's KFD topology has none (${suite.file} skips.needsGpu)` });
  const kfd = await firstReadable(target, suite.skips.kfdtestExclude, context);
  if (kfd) rules.push(...(await kfdtestExcludes(target, kfd, gpus)));
  const hipFile = process.env.HIP_CATCH_EXCLUDE_FILE ?? (await firstReadable(target, suite.skips.hipCatchExclude, context));
  if (hipFile) rules.push(...(await hipExcludes(target, hipFile)));
  return rules;
}
