import { artifactFiles, recordLatest } from './artifacts.js';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InfraError, InputError } from '../model/errors.js';
import { parseKconfig } from '../parsers/kconfig.js';
import { git } from './git.js';
import { describeProblem, fragmentText, parseFragment, verifyKconfig } from './kconfig.js';
import { applySeries, loadSeries, type SeriesEntry } from './series.js';

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

const sha = (...parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

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

/** A local repository, or a URL cloned once into the cache. */
async function repository(spec: KernelSpec, context: BuildContext): Promise<string> {
  if (/^(https?|git|ssh):\/\/|^[\w.-]+@[\w.-]+:/.test(spec.repo)) {
    const dir = join(context.cacheDir, 'repos', sha(spec.repo).slice(0, 16));
    if (!existsSync(join(dir, '.git'))) {
      context.step(`cloning ${spec.repo}`);
      mkdirSync(dirname(dir), { recursive: true });
      const r = await execa('git', ['clone', '--no-checkout', spec.repo, dir], { reject: false });
      if (r.exitCode !== 0) throw new InfraError(`cloning ${spec.repo} failed: ${String(r.stderr).trim().split('\n').slice(-2).join(' | ')}`);
    }
    return dir;
  }
  const dir = resolve(context.configDir, spec.repo.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
  if (!existsSync(join(dir, '.git')) && !existsSync(join(dir, 'HEAD'))) throw new InputError(`kernel.repo ${spec.repo}: not a git repository (${dir})`);
  return dir;
}

/** Text of everything that decides the worktree's content beyond base and series: local edits. */
async function worktreeDiff(worktree: string): Promise<string> {
  if (!existsSync(worktree)) return '';
  const diff = await git(worktree, ['diff', 'HEAD'], { allowFail: true });
  const untracked = await git(worktree, ['ls-files', '--others', '--exclude-standard'], { allowFail: true });
  // A clean worktree must key like no worktree at all, or the first rebuild would never hit.
  return diff.stdout.trim() === '' && untracked.stdout.trim() === '' ? '' : `${diff.stdout}\n${untracked.stdout}`;
}

/**
 * The variant's worktree at base (+ series): the user's checkout is never touched. Kept between
 * builds so make stays incremental; re-created only when base or series change.
 */
async function prepareWorktree(repo: string, worktree: string, baseCommit: string, seriesHash: string, series: Parameters<typeof applySeries>[1] | undefined, context: BuildContext): Promise<void> {
  const stateFile = `${worktree}.state`;
  const wanted = `${baseCommit} ${seriesHash}`;
  if (existsSync(worktree) && existsSync(stateFile) && readFileSync(stateFile, 'utf8') === wanted) return;
  context.step(`worktree at ${baseCommit.slice(0, 12)}${series ? ' + series' : ''}`);
  if (existsSync(worktree)) {
    await git(repo, ['worktree', 'remove', '--force', worktree], { allowFail: true });
    rmSync(worktree, { recursive: true, force: true });
  }
  await git(repo, ['worktree', 'prune']);
  mkdirSync(dirname(worktree), { recursive: true });
  await git(repo, ['worktree', 'add', '--detach', '--force', worktree, baseCommit]);
  rmSync(stateFile, { force: true });
  if (series) await applySeries(worktree, series);
  writeFileSync(stateFile, wanted);
}

async function runMake(source: string, args: readonly string[], log: string, context: BuildContext): Promise<void> {
  const stream = createWriteStream(log, { flags: 'a' });
  stream.write(`\n$ make ${args.join(' ')}\n`);
  const child = execa('make', ['-C', source, ...args], { reject: false, all: true, buffer: false, stdin: 'ignore' });
  const tail: string[] = [];
  child.all?.on('data', (chunk: Buffer) => {
    stream.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 400) tail.shift();
      context.logLine(line);
    }
  });
  const result = await child;
  await new Promise((r) => stream.end(r));
  if (result.exitCode !== 0) {
    // The compiler's error, not 500 lines of make.
    const relevant = tail.filter((l) => /error|Error|undefined reference|No rule to make|fatal/.test(l)).slice(-12);
    throw new InfraError(`make ${args.filter((a) => !a.startsWith('-j')).join(' ')} failed (full log: ${log}):\n${(relevant.length > 0 ? relevant : tail.slice(-12)).join('\n')}`);
  }
}

async function baseConfigInto(spec: KernelSpec, source: string, out: string, log: string, context: BuildContext): Promise<void> {
  const named = ['defconfig', 'tinyconfig', 'allnoconfig', 'allmodconfig', 'kvm_guest.config'];
  if (named.includes(spec.baseConfig)) return runMake(source, [`O=${out}`, spec.baseConfig], log, context);
  let text: string | undefined;
  if (spec.baseConfig === 'running') {
    text = existsSync('/proc/config.gz') ? gunzipSync(readFileSync('/proc/config.gz')).toString() : undefined;
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    text ??= existsSync(`/boot/config-${release}`) ? readFileSync(`/boot/config-${release}`, 'utf8') : undefined;
    if (!text) throw new InfraError('kernel.baseConfig running: this kernel exposes no config (/proc/config.gz, /boot/config-<release>)');
  } else {
    const file = resolve(context.configDir, spec.baseConfig);
    if (!existsSync(file)) throw new InputError(`kernel.baseConfig ${spec.baseConfig}: expected defconfig, tinyconfig, allnoconfig, running, or a config file`);
    text = readFileSync(file, 'utf8');
  }
  writeFileSync(join(out, '.config'), text);
}

/** What the variant asks for: fragments in order, then its own options. */
function requestedOptions(spec: KernelSpec, variant: VariantBuild, configDir: string): { options: Map<string, string>; text: string } {
  const options = new Map<string, string>();
  let text = '';
  for (const fragment of spec.fragments) {
    const file = resolve(configDir, fragment);
    if (!existsSync(file)) throw new InputError(`kernel.fragments: ${fragment}: no such file`);
    const content = readFileSync(file, 'utf8');
    text += content;
    for (const [k, v] of parseFragment(content)) options.set(k, v);
  }
  for (const [k, v] of Object.entries(variant.kconfig)) options.set(k.replace(/^CONFIG_/, ''), v);
  return { options, text };
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
  const baseConfigText = ['defconfig', 'tinyconfig', 'allnoconfig', 'allmodconfig', 'running'].includes(spec.baseConfig) ? spec.baseConfig : readFileSync(resolve(context.configDir, spec.baseConfig), 'utf8');
  // Everything that decides the output; the worktree's own edits included, so touching a file rebuilds.
  const preliminary = cacheKey({
    baseCommit,
    series: seriesHash,
    baseConfig: baseConfigText,
    config: fragments + fragmentText(options),
    targets: `${spec.targets.join(' ')} modules=${spec.modules}`,
    toolchain: tools,
    localChanges: await worktreeDiff(worktree),
  });
  const files = artifactFiles(context.cacheDir, `${variant.name}-${preliminary.slice(0, 16)}`);
  const artifactDir = files.dir;
  const manifestFile = files.manifest;
  const artifactsOf = (release: string, modules: boolean, cacheHit: boolean): KernelArtifacts => ({
    dir: artifactDir, kernel: files.kernel, ...(modules ? { modules: files.modules } : {}), config: files.config, release, manifest: manifestFile, cacheHit,
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
  const configKey = sha(baseCommit, seriesHash, baseConfigText, fragments, fragmentText(options));
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
  const manifest = {
    variant: variant.name,
    release,
    inputs: { repo, base: spec.base, baseCommit, series: seriesHash, baseConfig: spec.baseConfig, fragments: spec.fragments, kconfig: Object.fromEntries(options) },
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
