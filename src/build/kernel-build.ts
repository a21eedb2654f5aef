import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InfraError, InputError } from '../model/errors.js';
import { parseKconfig } from '../parsers/kconfig.js';
import { artifactFiles, recordLatest } from './artifacts.js';
import { baseConfigInto, baseConfigText, requestedOptions } from './base-config.js';
import { git } from './git.js';
import { sha } from './hash.js';
import { describeProblem, fragmentText, verifyKconfig } from './kconfig.js';
import { runMake } from './make.js';
import { loadSeries, seriesProvenance, type SeriesEntry } from './series.js';
import { prepareWorktree, repository, worktreeDiff } from './worktree.js';

export interface KernelSpec {
  readonly repo: string;
  readonly base: string;
  readonly series: readonly SeriesEntry[];
  readonly baseConfig: string;
  readonly fragments: readonly string[];
  readonly targets: readonly string[];
  readonly modules: boolean;
  readonly jobs?: number;
}

export interface VariantBuild {
  readonly name: string;
  readonly series: boolean;
  readonly kconfig: Readonly<Record<string, string>>;
}

export interface KernelArtifacts {
  readonly dir: string;
  readonly kernel: string;
  readonly modules?: string;
  readonly config: string;
  readonly release: string;
  readonly manifest: string;
  readonly cacheHit: boolean;
}

export interface BuildContext {
  readonly cacheDir: string;
  /** Where relative paths in the configuration are resolved from. */
  readonly configDir: string;
  readonly step: (title: string) => void;
  readonly logLine: (line: string) => void;
}

async function toolchain(): Promise<string> {
  const [gcc, make] = await Promise.all([execa('gcc', ['--version'], { reject: false }), execa('make', ['--version'], { reject: false })]);
  return `${String(gcc.stdout).split('\n')[0]} | ${String(make.stdout).split('\n')[0]}`;
}

export interface CacheKeyInputs {
  readonly baseCommit: string;
  readonly series: string;
  readonly baseConfig: string;
  readonly config: string;
  readonly targets: string;
  readonly toolchain: string;
  readonly localChanges: string;
}

/** The artifact cache key: a hash of everything that determines the build's output, and nothing else. */
export function cacheKey(inputs: CacheKeyInputs): string {
  return sha(inputs.baseCommit, inputs.series, inputs.baseConfig, inputs.config, inputs.targets, inputs.toolchain, inputs.localChanges);
}

/** `svmtest build` for one variant: worktree, series, config (verified), make, artifacts, cache. */
export async function buildKernel(spec: KernelSpec, variant: VariantBuild, context: BuildContext): Promise<KernelArtifacts> {
  const repo = await repository(spec, context);
  const baseCommit = (await git(repo, ['rev-parse', '--verify', `${spec.base}^{commit}`], { allowFail: true })).stdout.trim();
  if (!baseCommit) throw new InputError(`kernel.base ${spec.base}: not a commit, tag or branch in ${repo}`);
  const series = variant.series ? await loadSeries(spec.series, repo, context.configDir) : undefined;
  const seriesHash = series?.hash ?? 'none';
  const worktree = join(context.cacheDir, 'worktrees', sha(repo).slice(0, 12), variant.name);
  const { options, text: fragments } = requestedOptions(spec, variant, context.configDir);
  const tools = await toolchain();
  const baseText = baseConfigText(spec, context.configDir);
  // Everything that decides the output; the worktree's own edits included, so touching a file rebuilds.
  const preliminary = cacheKey({
    baseCommit,
    series: seriesHash,
    baseConfig: baseText,
    config: fragments + fragmentText(options),
    targets: `${spec.targets.join(' ')} modules=${spec.modules}`,
    toolchain: tools,
    localChanges: await worktreeDiff(worktree),
  });
  const files = artifactFiles(context.cacheDir, `${variant.name}-${preliminary.slice(0, 16)}`);
  const artifactDir = files.dir;
  const manifestFile = files.manifest;
  const artifactsOf = (release: string, modules: boolean, cacheHit: boolean): KernelArtifacts => ({
    dir: artifactDir,
    kernel: files.kernel,
    ...(modules ? { modules: files.modules } : {}),
    config: files.config,
    release,
    manifest: manifestFile,
    cacheHit,
  });
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { release: string; modules?: string };
    context.step('cache hit');
    recordLatest(context.cacheDir, variant.name, artifactDir);
    return artifactsOf(manifest.release, manifest.modules !== undefined, true);
  }

  const timings: Record<string, number> = {};
  let started = performance.now();
  await prepareWorktree(repo, worktree, baseCommit, seriesHash, series, context);
  timings.worktree = performance.now() - started;
  const out = join(context.cacheDir, 'build', sha(repo).slice(0, 12), variant.name);
  mkdirSync(out, { recursive: true });
  mkdirSync(artifactDir, { recursive: true });
  const log = files.log;
  writeFileSync(log, '');

  started = performance.now();
  // The config depends only on these inputs and the tree: when they did not change since the
  // last build in this directory, keep .config as it is, so make rebuilds only what changed.
  const configKey = sha(baseCommit, seriesHash, baseText, fragments, fragmentText(options));
  const configKeyFile = join(out, '.svmtest-config-key');
  const configFresh = existsSync(join(out, '.config')) && existsSync(configKeyFile) && readFileSync(configKeyFile, 'utf8') === configKey;
  if (!configFresh) {
    context.step(`config: ${spec.baseConfig} + ${spec.fragments.length} fragments + ${Object.keys(variant.kconfig).length} variant options`);
    await baseConfigInto(spec, worktree, out, log, context);
    // Appended settings override earlier ones; olddefconfig then resolves dependencies.
    writeFileSync(join(out, '.config'), `${readFileSync(join(out, '.config'), 'utf8')}\n${fragmentText(options)}`);
    await runMake(worktree, [`O=${out}`, 'olddefconfig'], log, context);
  }
  const result = parseKconfig(readFileSync(join(out, '.config'), 'utf8'));
  const problems = verifyKconfig(options, result, worktree);
  if (problems.length > 0) {
    rmSync(configKeyFile, { force: true });
    throw new InfraError(`the kernel config lost requested options:\n${problems.map((p) => `  ${describeProblem(p)}`).join('\n')}`);
  }
  writeFileSync(configKeyFile, configKey);
  timings.config = performance.now() - started;

  started = performance.now();
  const jobs = spec.jobs ?? cpus().length;
  const ccache = (await execa('sh', ['-c', 'command -v ccache'], { reject: false })).exitCode === 0;
  const makeArgs = [`O=${out}`, `-j${jobs}`, ...(ccache ? ['CC=ccache gcc'] : [])];
  const modules = spec.modules && result.get('MODULES') === 'y';
  context.step(`make ${[...spec.targets, ...(modules ? ['modules'] : [])].join(' ')} (-j${jobs}${ccache ? ', ccache' : ''})`);
  await runMake(worktree, [...makeArgs, ...spec.targets, ...(modules ? ['modules'] : [])], log, context);
  timings.make = performance.now() - started;
  const release = readFileSync(join(out, 'include', 'config', 'kernel.release'), 'utf8').trim();
  if (modules) {
    started = performance.now();
    rmSync(files.modules, { recursive: true, force: true });
    await runMake(worktree, [`O=${out}`, `INSTALL_MOD_PATH=${files.modules}`, 'modules_install'], log, context);
    timings.modules = performance.now() - started;
  }
  copyFileSync(join(out, 'arch', 'x86', 'boot', 'bzImage'), files.kernel);
  copyFileSync(join(out, '.config'), files.config);
  if (existsSync(join(out, 'System.map'))) copyFileSync(join(out, 'System.map'), join(artifactDir, 'System.map'));
  // Where the kernel came from, end to end: the commit built (the series applied) and what the series says it is.
  const commit = (await git(worktree, ['rev-parse', 'HEAD'], { allowFail: true })).stdout.trim();
  const provenance = series ? seriesProvenance(series.mboxes) : undefined;
  const manifest = {
    variant: variant.name,
    release,
    inputs: {
      repo,
      base: spec.base,
      baseCommit,
      ...(/^[0-9a-f]{40}$/.test(commit) ? { commit } : {}),
      series: seriesHash,
      ...(provenance ? { seriesPatches: provenance.patches } : {}),
      ...(provenance?.version ? { seriesVersion: provenance.version } : {}),
      ...(provenance?.messageId ? { seriesMessageId: provenance.messageId } : {}),
      baseConfig: spec.baseConfig,
      fragments: spec.fragments,
      kconfig: Object.fromEntries(options),
    },
    key: preliminary,
    configHash: sha(readFileSync(join(out, '.config'), 'utf8')),
    bzImageHash: sha(readFileSync(files.kernel).toString('base64')),
    toolchain: tools,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    ...(modules ? { modules: 'modules' } : {}),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 1)}\n`);
  recordLatest(context.cacheDir, variant.name, artifactDir);
  return artifactsOf(release, modules, false);
}
