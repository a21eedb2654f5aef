import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadConfig, variantOf } from '../config/load.js';
import type { Config, Variant } from '../config/schema.js';
import { InputError } from '../model/errors.js';
import type { Gpu } from '../model/run.js';
import { parseShard } from '../model/selection.js';
import { readRun } from '../model/run-file.js';
import { testId } from '../model/run.js';
import { resolveSuites, type SuiteDefinition } from '../suites/definition.js';
import type { SuiteContext } from '../suites/resolve.js';
import { HostTarget } from '../targets/host.js';
import { discoverGpus } from '../targets/topology.js';
import type { Target } from '../targets/target.js';
import { chooseAccel } from '../targets/qemu/accel.js';
import { QemuTarget } from '../targets/qemu/qemu-target.js';
import { note } from './screen.js';
import type { Selection } from '../engine/plan.js';

/** Options shared by run, list and doctor. */
export interface TargetOptions {
  config?: string;
  variant?: string;
  target: string;
  suite: string[];
  suiteFile: string[];
  profile?: string;
  filter: string[];
  shard?: string;
  durations?: string;
  rocm?: string;
  sysfsRoot?: string;
  kernel?: string;
  modules?: string;
  accel?: string;
  guestWatchdog?: string;
  maxReboots?: string;
}

export interface Session {
  readonly config: Config;
  readonly configFile: string;
  readonly variantName: string;
  readonly variant: Variant | undefined;
  readonly target: Target;
  readonly suites: SuiteDefinition[];
  readonly context: SuiteContext;
  readonly gpus: Gpu[];
  readonly selection: Selection;
  /** The kernel's own .config when svmtest booted it (QEMU): preflight reads it through the target. */
  readonly buildConfig?: string;
}

const TARGETS = ['host', 'qemu'];

export function cacheDir(): string {
  return process.env.SVMTEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'svmtest');
}

function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InputError(`${flag} "${value}": expected a number ≥ 0`);
  return n;
}

function latestBuild(variant: string): { kernel: string; modules?: string } | undefined {
  const pointer = join(cacheDir(), 'artifacts', `${variant}.latest`);
  if (!existsSync(pointer)) return undefined;
  const dir = readFileSync(pointer, 'utf8').trim();
  if (!existsSync(join(dir, 'bzImage'))) return undefined;
  return { kernel: join(dir, 'bzImage'), ...(existsSync(join(dir, 'modules', 'lib', 'modules')) ? { modules: join(dir, 'modules') } : {}) };
}

/** The release of a kernel module tree: DIR/lib/modules/<release>, when there is exactly one. */
function releaseOf(modulesDir: string): string | undefined {
  try {
    const releases = readdirSync(join(modulesDir, 'lib', 'modules'));
    return releases.length === 1 ? releases[0] : undefined;
  } catch {
    return undefined;
  }
}

async function qemuTarget(config: Config, options: TargetOptions, variant: Variant | undefined, runDir: string): Promise<{ target: QemuTarget; buildConfig?: string }> {
  // No kernel given: the variant's latest `svmtest build`.
  const built = !options.kernel && !config.qemu.kernel && variant ? latestBuild(options.variant!) : undefined;
  const kernelGiven = options.kernel ?? config.qemu.kernel ?? built?.kernel;
  const kernel = kernelGiven ? resolve(kernelGiven) : undefined;
  if (!kernel) throw new InputError('--target qemu needs a kernel: --kernel FILE, qemu.kernel in the config, or a `svmtest build` of the variant');
  if (!existsSync(kernel)) throw new InputError(`--kernel ${kernel}: no such file`);
  const modulesGiven = options.modules ?? config.qemu.modules ?? built?.modules;
  const modulesDir = modulesGiven ? resolve(modulesGiven) : undefined;
  if (modulesDir && !existsSync(join(modulesDir, 'lib', 'modules'))) throw new InputError(`--modules ${modulesDir}: expected a directory holding lib/modules/<release>`);
  const release = modulesDir ? releaseOf(modulesDir) : undefined;
  const accelWanted = (options.accel ?? config.qemu.accel) as 'auto' | 'kvm' | 'tcg';
  if (!['auto', 'kvm', 'tcg'].includes(accelWanted)) throw new InputError(`--accel "${accelWanted}": expected auto, kvm or tcg`);
  const cache = cacheDir();
  const choice = await chooseAccel(accelWanted, { kernel, cacheDir: cache, ...(modulesDir ? { modulesDir } : {}), ...(release ? { release } : {}) });
  note(`QEMU: ${choice.why}`);
  const target = new QemuTarget({
    kernel,
    ...(modulesDir ? { modulesDir } : {}),
    ...(release ? { release } : {}),
    runDir,
    cacheDir: cache,
    accel: choice.accel,
    memoryMiB: config.qemu.memory,
    cpus: config.qemu.cpus,
    cmdline: [...config.qemu.cmdline, ...(variant?.cmdline ?? [])],
    modprobe: [...config.qemu.modprobe, ...(variant?.modprobe ?? [])],
    vfio: config.qemu.vfio,
    network: config.qemu.network,
    bootTimeoutS: config.qemu.bootTimeout,
    watchdogS: numberFlag('--guest-watchdog', options.guestWatchdog) ?? config.qemu.guestWatchdog,
    maxReboots: numberFlag('--max-reboots', options.maxReboots) ?? config.qemu.maxReboots,
    note,
  });
  // The kernel's config beside its image (config, config-<release>, .config): preflight reads it in the guest.
  const dir = dirname(kernel);
  const buildConfig = [join(dir, 'config'), release ? join(dir, `config-${release}`) : '', join(dir, '.config')].find((p) => p && existsSync(p));
  return { target, ...(buildConfig ? { buildConfig } : {}) };
}

/** --durations FILE: an earlier run.json whose test durations balance the shards. */
function durationsFrom(file: string): Map<string, number> {
  const run = readRun(file);
  return new Map(run.tests.filter((t) => t.status !== 'notrun').map((t) => [testId(t), t.durationMs]));
}

export async function openSession(options: TargetOptions, runDir?: string): Promise<Session> {
  const { config, file } = loadConfig(options.config);
  if (options.target === 'ssh') {
    throw new InputError('--target ssh: the SSH target is not implemented yet; run svmtest on the machine itself (--target host) or boot the kernel in QEMU (--target qemu)');
  }
  if (!TARGETS.includes(options.target)) {
    throw new InputError(`--target "${options.target}": unknown or not available; known targets: ${TARGETS.join(', ')}`);
  }
  const variantName = options.variant ?? 'default';
  const variant = options.variant ? variantOf(config, options.variant, file) : undefined;
  // Explicit suites or suite files replace the configured list.
  const explicit = options.suite.length > 0 || options.suiteFile.length > 0;
  const suites = resolveSuites(explicit ? options.suite : config.run.suites, explicit ? options.suiteFile : config.run.suiteFiles);
  if (suites.length === 0) throw new InputError('no suites selected; give --suite NAME or --suite-file FILE');
  let target: Target;
  let buildConfig: string | undefined;
  if (options.target === 'qemu') {
    const made = await qemuTarget(config, options, variant, runDir ?? mkdtempSync(join(tmpdir(), 'svmtest-qemu-')));
    await made.target.start();
    target = made.target;
    buildConfig = made.buildConfig;
  } else {
    target = new HostTarget(options.sysfsRoot ?? '');
  }
  const gpus = await discoverGpus(target);
  const rocm = options.rocm ?? config.rocm.path ?? process.env.ROCM_PATH ?? '/opt/rocm';
  const context: SuiteContext = { rocm, ...(gpus[0] ? { gfx: gpus[0].gfx } : {}), ...(variant ? { env: variant.env } : {}) };
  // A user's own suite file has no profiles: its tests all belong to the run unless a profile was asked for.
  const profile = options.profile ?? (explicit ? 'full' : config.run.profile);
  const selection: Selection = {
    profile,
    filters: options.filter,
    ...(options.shard ? { shard: parseShard(options.shard) } : {}),
    ...(options.durations ? { durations: durationsFrom(options.durations) } : {}),
  };
  return { config, configFile: file, variantName, variant, target, suites, context, gpus, selection, ...(buildConfig ? { buildConfig } : {}) };
}
