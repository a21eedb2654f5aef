import { dirname, isAbsolute, resolve } from 'node:path';
import { latestBuild, latestUserspace, type UserspaceProvenance } from '../build/artifacts.js';
import { variantOf, type LoadedConfig } from '../config/load.js';
import type { Config, Variant } from '../config/schema.js';
import type { Selection } from '../engine/plan.js';
import { InputError } from '../model/errors.js';
import { testId, type Gpu } from '../model/run.js';
import { readRun } from '../model/run-file.js';
import { resolveSuites, type SuiteDefinition } from '../suites/definition.js';
import type { SuiteContext } from '../suites/resolve.js';
import type { OpenedTarget, QemuSettings } from '../targets/factory.js';
import type { SshEndpoint, SshSettings } from '../targets/ssh/ssh-settings.js';
import { sshEndpoint } from './ssh-endpoint.js';
import { targetFactory } from '../targets/registry.js';
import { cacheDir, PACKAGE_ROOT } from './paths.js';
import type { RunDir } from './run-dir.js';
import type { KernelEventPolicy, RunRequest } from './run-request.js';

/** Everything a run needs, resolved and checked before any machine is touched. */
export interface PreparedRun {
  readonly config: Config;
  readonly configFile: string;
  /** The ROCm userspace `svmtest build` made for this config's variant ({build}), and what from. */
  readonly userspace?: UserspaceProvenance;
  readonly variantName: string;
  readonly variant: Variant | undefined;
  readonly targetName: string;
  readonly suites: readonly SuiteDefinition[];
  readonly selection: Selection;
  readonly rocm: string;
  readonly retries: number;
  readonly jobs: number;
  readonly isolate: boolean;
  readonly testTimeout?: number;
  readonly runTimeout?: number;
  readonly kernelEvents: KernelEventPolicy;
  readonly open: () => Promise<OpenedTarget>;
  /** Where the suites are found on the machine, once its GPUs are known. */
  readonly suiteContext: (gpus: readonly Gpu[]) => SuiteContext;
}

/** --durations FILE: an earlier run.json whose test durations balance the shards. */
function durationsFrom(file: string): Map<string, number> {
  const run = readRun(file);
  return new Map(run.tests.filter((t) => t.status !== 'notrun').map((t) => [testId(t), t.durationMs]));
}

/** Host paths the machine under test must see where they are on the host (the QEMU guest hides some). */
function hostPathsOf(suites: readonly SuiteDefinition[], configFile: string, rocm: string): string[] {
  const files = suites.flatMap((s) => [s.file, ...(s.command ?? []).slice(0, 1), ...(s.binary ?? [])]);
  const dirs = [
    PACKAGE_ROOT,
    cacheDir(),
    process.cwd(),
    dirname(resolve(configFile)),
    rocm,
    ...suites.flatMap((s) => (typeof s.dir === 'string' ? [s.dir] : (s.dir ?? []))),
  ];
  // A path with placeholders ({build}/bin/{gfx}) is exposed up to the directory before the first one.
  const cut = (p: string) => (p.includes('{') ? dirname(p.split('{')[0]! + 'x') : p);
  const paths = [...files.map((f) => (f.includes('{') ? cut(f) : dirname(f))), ...dirs.map(cut)].filter((p) => isAbsolute(p));
  return [...new Set(paths.map((p) => p.replace(/\/+$/, '') || '/'))];
}

function qemuSettings(config: Config, request: RunRequest, variant: Variant | undefined, variantName: string): QemuSettings {
  // No kernel given: the variant's latest `svmtest build`.
  const built = !request.kernel && !config.qemu.kernel && variant ? latestBuild(cacheDir(), variantName) : undefined;
  const kernel = request.kernel ?? config.qemu.kernel ?? built?.kernel;
  const modules = request.modules ?? config.qemu.modules ?? built?.modules;
  return {
    ...(kernel ? { kernel } : {}),
    ...(modules ? { modules } : {}),
    accel: request.accel ?? config.qemu.accel,
    memoryMiB: config.qemu.memory,
    cpus: config.qemu.cpus,
    cmdline: [...config.qemu.cmdline, ...(variant?.cmdline ?? [])],
    modprobe: [...config.qemu.modprobe, ...(variant?.modprobe ?? [])],
    vfio: config.qemu.vfio,
    network: config.qemu.network,
    bootTimeoutS: config.qemu.bootTimeout,
    watchdogS: request.guestWatchdog ?? config.qemu.guestWatchdog,
    maxReboots: request.maxReboots ?? config.qemu.maxReboots,
  };
}

/** A path in the config, resolved from the config file's directory (~ is the home directory). */
function configPath(configFile: string): (p: string | undefined) => string | undefined {
  return (p) => (p ? resolve(dirname(configFile), p.replace(/^~(?=\/)/, process.env.HOME ?? '~')) : undefined);
}

/** The DUT the config and flags name, when they name one. */
export function dutEndpoint(loaded: LoadedConfig, request: RunRequest): SshEndpoint | undefined {
  return sshEndpoint(loaded.config.ssh, request, configPath(loaded.file));
}

function sshSettings(config: Config, configFile: string, request: RunRequest, variant: Variant | undefined, variantName: string): SshSettings {
  const { ssh } = config;
  const fromConfig = configPath(configFile);
  const built = !request.kernel && !ssh.kernel && variant ? latestBuild(cacheDir(), variantName) : undefined;
  const kernel = request.kernel ?? fromConfig(ssh.kernel) ?? built?.kernel;
  const modules = request.modules ?? fromConfig(ssh.modules) ?? built?.modules;
  const initrd = fromConfig(ssh.initrd);
  const endpoint = sshEndpoint(ssh, request, fromConfig);
  return {
    ...(endpoint ? { endpoint } : {}),
    boot: ssh.boot,
    ...(kernel ? { kernel } : {}),
    ...(modules ? { modules } : {}),
    ...(initrd ? { initrd } : {}),
    ...(ssh.initrdCommand ? { initrdCommand: ssh.initrdCommand } : {}),
    initrdPath: ssh.initrdPath,
    grubEntry: ssh.grubEntry,
    ...(ssh.cmdline ? { cmdline: ssh.cmdline } : {}),
    variantCmdline: variant?.cmdline ?? [],
    otherCmdline: Object.entries(config.variants)
      .filter(([name]) => name !== variantName)
      .flatMap(([, v]) => v.cmdline),
    modprobe: variant?.modprobe ?? [],
    kernelDir: ssh.kernelDir,
    restore: ssh.restore,
    ...(ssh.powerCommand || ssh.powerOff
      ? {
          power: {
            ...(ssh.powerCommand ? { cycle: ssh.powerCommand } : {}),
            ...(ssh.powerOff ? { off: ssh.powerOff } : {}),
            ...(ssh.powerOn ? { on: ssh.powerOn } : {}),
            ...(ssh.powerStatus ? { status: ssh.powerStatus } : {}),
            offDelayS: ssh.powerOffDelay,
          },
        }
      : {}),
    ...(ssh.consoleCommand ? { consoleCommand: ssh.consoleCommand } : {}),
    ...(ssh.consoleStop ? { consoleStop: ssh.consoleStop } : {}),
    bootTimeoutS: ssh.bootTimeout,
    watchdogS: request.guestWatchdog ?? ssh.watchdog,
    maxReboots: request.maxReboots ?? ssh.maxReboots,
  };
}

/** Resolves every option against the config and checks it; the target is opened later by `open`. */
export async function prepareRun(request: RunRequest, loaded: LoadedConfig, runDir: RunDir, note: (message: string) => void): Promise<PreparedRun> {
  const { config, file } = loaded;
  const variantName = request.variant ?? 'default';
  const variant = request.variant ? variantOf(config, request.variant, file) : undefined;
  const targetName = request.target ?? config.run.target;
  const factory = await targetFactory(targetName);
  // Explicit suites or suite files replace the configured list.
  const explicit = (request.suites?.length ?? 0) > 0 || (request.suiteFiles?.length ?? 0) > 0;
  const suites = resolveSuites(explicit ? (request.suites ?? []) : config.run.suites, explicit ? (request.suiteFiles ?? []) : config.run.suiteFiles);
  if (suites.length === 0) throw new InputError('no suites selected; give --suite NAME or --suite-file FILE');
  const rocm = request.rocm ?? config.rocm.path ?? process.env.ROCM_PATH ?? '/opt/rocm';
  // {build} in suite definitions: this config's variant's latest `svmtest build` of its ROCm userspace.
  const userspace = latestUserspace(cacheDir(), variantName, file);
  const build = userspace?.view;
  const selection: Selection = {
    // A user's own suite file has no profiles: its tests all belong to the run unless a profile was asked for.
    profile: request.profile ?? (explicit ? 'full' : config.run.profile),
    filters: request.filters ?? [],
    ...(request.shard ? { shard: request.shard } : {}),
    ...(request.durations ? { durations: durationsFrom(request.durations) } : {}),
  };
  const open = await factory.prepare({
    files: { runDir: runDir.root, console: runDir.console, agent: runDir.agent },
    cacheDir: cacheDir(),
    ...(request.sysfsRoot ? { sysfsRoot: request.sysfsRoot } : {}),
    qemu: qemuSettings(config, request, variant, variantName),
    ssh: sshSettings(config, file, request, variant, variantName),
    expose: hostPathsOf(suites, file, rocm),
    note,
  });
  return {
    config,
    configFile: file,
    ...(userspace ? { userspace } : {}),
    variantName,
    variant,
    targetName,
    suites,
    selection,
    rocm,
    retries: request.retries ?? config.run.retries,
    jobs: request.jobs ?? config.run.jobs,
    isolate: request.isolate ?? false,
    ...(request.testTimeout !== undefined ? { testTimeout: request.testTimeout } : {}),
    ...(request.runTimeout !== undefined ? { runTimeout: request.runTimeout } : {}),
    kernelEvents: request.kernelEvents ?? config.run.kernelEvents,
    open,
    suiteContext: (gpus) => {
      const gfx = gpus[0]?.gfx ?? config.rocm.gfx;
      return { rocm, ...(build ? { build } : {}), ...(gfx ? { gfx } : {}), ...(variant ? { env: variant.env } : {}) };
    },
  };
}
