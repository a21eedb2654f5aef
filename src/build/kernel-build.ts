import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InfraError, InputError } from '../model/errors.js';
import { parseKconfig } from '../parsers/kconfig.js';
import { type ArtifactFiles, artifactFiles, recordLatest } from './artifacts.js';
import { baseConfigInto, baseConfigText, requestedOptions } from './base-config.js';
import { git } from './git.js';
import { sha } from './hash.js';
import { describeProblem, fragmentText, verifyKconfig } from './kconfig.js';
import { runMake } from './make.js';
import { buildDirOf, finishedMake, seedBuildDir, startingMake } from './seed-build.js';
import { loadSeries, seriesProvenance, type SeriesEntry, type SeriesPatches } from './series.js';
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

/** What a build compiles: a worktree in a state, where its objects live, and what it is to be called. */
interface CompileJob {
  readonly spec: KernelSpec;
  readonly variant: VariantBuild;
  readonly repo: string;
  readonly worktree: string;
  /** The build directory (O=, inside the worktree): kept between builds, so make rebuilds only what changed. */
  readonly out: string;
  readonly files: ArtifactFiles;
  readonly key: string;
  readonly baseCommit: string;
  readonly seriesHash: string;
  readonly series?: SeriesPatches;
  /** Decides whether .config must be made again; unchanged, make stays incremental. */
  readonly configKey: string;
  readonly options: Map<string, string>;
  readonly fragments: string;
  readonly baseText: string;
  readonly tools: string;
  /** Time already spent on the worktree, in ms. */
  readonly worktreeMs: number;
  /** The variant whose latest build this becomes; a bisect step's build is no variant's latest. */
  readonly latestOf?: string;
}

/** The requested options and everything else the key is made of, read once per build. */
async function buildInputs(spec: KernelSpec, variant: VariantBuild, context: BuildContext) {
  const { options, text: fragments } = requestedOptions(spec, variant, context.configDir);
  return { options, fragments, tools: await toolchain(), baseText: baseConfigText(spec, context.configDir) };
}

function artifactsOf(files: ArtifactFiles, release: string, modules: boolean, cacheHit: boolean): KernelArtifacts {
  return {
    dir: files.dir,
    kernel: files.kernel,
    ...(modules ? { modules: files.modules } : {}),
    config: files.config,
    release,
    manifest: files.manifest,
    cacheHit,
  };
}

/** The artifacts a manifest says are complete (the manifest is written last), or nothing. */
function cached(files: ArtifactFiles, context: BuildContext, latestOf: string | undefined): KernelArtifacts | undefined {
  if (!existsSync(files.manifest)) return undefined;
  const manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as { release: string; modules?: string };
  context.step('cache hit');
  if (latestOf) recordLatest(context.cacheDir, latestOf, files.dir);
  return artifactsOf(files, manifest.release, manifest.modules !== undefined, true);
}

/** `svmtest build` for one variant: worktree, series, config (verified), make, artifacts, cache. */
export async function buildKernel(spec: KernelSpec, variant: VariantBuild, context: BuildContext): Promise<KernelArtifacts> {
  const repo = await repository(spec, context);
  const baseCommit = (await git(repo, ['rev-parse', '--verify', `${spec.base}^{commit}`], { allowFail: true })).stdout.trim();
  if (!baseCommit) throw new InputError(`kernel.base ${spec.base}: not a commit, tag or branch in ${repo}`);
  const series = variant.series ? await loadSeries(spec.series, repo, context.configDir) : undefined;
  const seriesHash = series?.hash ?? 'none';
  const worktree = join(context.cacheDir, 'worktrees', sha(repo).slice(0, 12), variant.name);
  const inputs = await buildInputs(spec, variant, context);
  // Everything that decides the output; the worktree's own edits included, so touching a file rebuilds.
  const key = cacheKey({
    baseCommit,
    series: seriesHash,
    baseConfig: inputs.baseText,
    config: inputs.fragments + fragmentText(inputs.options),
    targets: `${spec.targets.join(' ')} modules=${spec.modules}`,
    toolchain: inputs.tools,
    localChanges: await worktreeDiff(worktree),
  });
  const files = artifactFiles(context.cacheDir, `${variant.name}-${key.slice(0, 16)}`);
  const hit = cached(files, context, variant.name);
  if (hit) return hit;
  const started = performance.now();
  await prepareWorktree(repo, worktree, baseCommit, seriesHash, series, context);
  return compile(
    {
      spec,
      variant,
      repo,
      worktree,
      out: buildDirOf(worktree),
      files,
      key,
      baseCommit,
      seriesHash,
      ...(series ? { series } : {}),
      configKey: sha(baseCommit, seriesHash, inputs.baseText, inputs.fragments, fragmentText(inputs.options)),
      ...inputs,
      worktreeMs: performance.now() - started,
      latestOf: variant.name,
    },
    context,
  );
}

/** Where a commit of a bisect worktree came from: the variant's base and series. */
export interface CommitSource {
  readonly repo: string;
  readonly worktree: string;
  readonly baseCommit: string;
  readonly series?: SeriesPatches;
}

/**
 * The kernel of the commit a bisect worktree has checked out. Keyed by the commit's tree, not the
 * commit: a step revisited (on resume, or by another bisect of the same series) is a cache hit.
 * One build directory per variant for every step, so each step's make is incremental.
 */
export async function buildKernelAt(spec: KernelSpec, variant: VariantBuild, source: CommitSource, context: BuildContext): Promise<KernelArtifacts> {
  const tree = (await git(source.worktree, ['rev-parse', 'HEAD^{tree}'])).stdout.trim();
  const inputs = await buildInputs(spec, variant, context);
  const config = inputs.fragments + fragmentText(inputs.options);
  const key = sha('tree', tree, inputs.baseText, config, `${spec.targets.join(' ')} modules=${spec.modules}`, inputs.tools);
  const files = artifactFiles(context.cacheDir, `${variant.name}-${key.slice(0, 16)}`);
  const hit = cached(files, context, undefined);
  if (hit) return hit;
  // Only a patch that touches a Kconfig file can change the resolved config.
  const kconfigs = (await git(source.worktree, ['ls-tree', '-r', 'HEAD'])).stdout
    .split('\n')
    .filter((line) => /\/Kconfig[^/]*$|\tKconfig$/.test(line))
    .join('\n');
  return compile(
    {
      spec,
      variant,
      repo: source.repo,
      worktree: source.worktree,
      out: buildDirOf(source.worktree),
      files,
      key,
      baseCommit: source.baseCommit,
      seriesHash: source.series?.hash ?? 'none',
      ...(source.series ? { series: source.series } : {}),
      configKey: sha(kconfigs, inputs.baseText, config),
      ...inputs,
      worktreeMs: 0,
    },
    context,
  );
}

/** Config (verified), make, artifacts and the manifest that says where the kernel came from. */
async function compile(job: CompileJob, context: BuildContext): Promise<KernelArtifacts> {
  const { spec, variant, worktree, out, files, options } = job;
  const timings: Record<string, number> = { worktree: job.worktreeMs };
  let started = performance.now();
  const seed = await seedBuildDir(worktree);
  if (seed) {
    context.step(`build directory seeded from ${seed.from} (${seed.changedFiles} files differ from what it was built from)`);
    timings.seed = performance.now() - started;
  }
  mkdirSync(out, { recursive: true });
  mkdirSync(files.dir, { recursive: true });
  const log = files.log;
  writeFileSync(log, '');

  started = performance.now();
  // The config depends only on these inputs and the tree: when they did not change since the
  // last build in this directory, keep .config as it is, so make rebuilds only what changed.
  const configKeyFile = join(out, '.svmtest-config-key');
  const configFresh = existsSync(join(out, '.config')) && existsSync(configKeyFile) && readFileSync(configKeyFile, 'utf8') === job.configKey;
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
  writeFileSync(configKeyFile, job.configKey);
  timings.config = performance.now() - started;

  started = performance.now();
  const jobs = spec.jobs ?? cpus().length;
  const ccache = (await execa('sh', ['-c', 'command -v ccache'], { reject: false })).exitCode === 0;
  const makeArgs = [`O=${out}`, `-j${jobs}`, ...(ccache ? ['CC=ccache gcc'] : [])];
  const modules = spec.modules && result.get('MODULES') === 'y';
  context.step(`make ${[...spec.targets, ...(modules ? ['modules'] : [])].join(' ')} (-j${jobs}${ccache ? ', ccache' : ''})`);
  startingMake(out);
  await runMake(worktree, [...makeArgs, ...spec.targets, ...(modules ? ['modules'] : [])], log, context);
  await finishedMake(worktree, out);
  timings.make = performance.now() - started;
  const release = readFileSync(join(out, 'include', 'config', 'kernel.release'), 'utf8').trim();
  if (modules) {
    started = performance.now();
    rmSync(files.modules, { recursive: true, force: true });
    await runMake(worktree, [`O=${out}`, `INSTALL_MOD_PATH=${files.modules}`, 'modules_install'], log, context);
    timings.modules = performance.now() - started;
  }
  started = performance.now();
  copyFileSync(join(out, 'arch', 'x86', 'boot', 'bzImage'), files.kernel);
  copyFileSync(join(out, '.config'), files.config);
  if (existsSync(join(out, 'System.map'))) copyFileSync(join(out, 'System.map'), join(files.dir, 'System.map'));
  // Where the kernel came from, end to end: the commit built (the series applied) and what the series says it is.
  const commit = (await git(worktree, ['rev-parse', 'HEAD'], { allowFail: true })).stdout.trim();
  const provenance = job.series ? seriesProvenance(job.series.mboxes) : undefined;
  timings.artifacts = performance.now() - started;
  const manifest = {
    variant: variant.name,
    release,
    inputs: {
      repo: job.repo,
      base: spec.base,
      baseCommit: job.baseCommit,
      ...(/^[0-9a-f]{40}$/.test(commit) ? { commit } : {}),
      series: job.seriesHash,
      ...(provenance ? { seriesPatches: provenance.patches } : {}),
      ...(provenance?.version ? { seriesVersion: provenance.version } : {}),
      ...(provenance?.messageId ? { seriesMessageId: provenance.messageId } : {}),
      ...(provenance?.subject ? { seriesSubject: provenance.subject } : {}),
      baseConfig: spec.baseConfig,
      fragments: spec.fragments,
      kconfig: Object.fromEntries(options),
    },
    key: job.key,
    configHash: sha(readFileSync(join(out, '.config'), 'utf8')),
    bzImageHash: createHash('sha256').update(readFileSync(files.kernel)).digest('hex'),
    toolchain: job.tools,
    ...(seed ? { seededFrom: { commit: seed.commit, changedFiles: seed.changedFiles } } : {}),
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    ...(modules ? { modules: 'modules' } : {}),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(files.manifest, `${JSON.stringify(manifest, null, 1)}\n`);
  if (job.latestOf) recordLatest(context.cacheDir, job.latestOf, files.dir);
  return artifactsOf(files, release, modules, false);
}
