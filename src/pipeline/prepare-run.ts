import { dirname, isAbsolute, resolve } from 'node:path';
import { latestBuild, latestUserspace, type UserspaceProvenance } from '../build/artifacts.js';
import { variantOf, type LoadedConfig } from '../config/load.js';
import type { Config, Variant } from '../config/schema.js';
import type { FailFast } from '../engine/fail-fast.js';
import type { Selection } from '../engine/plan.js';
import type { TestHint } from '../model/order.js';
import { readRunLater } from '../model/run-file-later.js';
import { InputError } from '../model/errors.js';
import { testId, type Gpu } from '../model/run.js';
import { resolveSuites, type SuiteDefinition } from '../suites/definition.js';
import type { SuiteContext } from '../suites/resolve.js';
import type { OpenedTarget, RemoteTarget, TargetContext } from '../targets/plugin.js';
import { targetFactory } from '../targets/registry.js';
import { configPath, targetSection } from './target-options.js';
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
  /** --fail-fast: stop after this many regressions against the baseline run. */
  readonly failFast?: FailFast;
  readonly rocm: string;
  readonly retries: number;
  readonly jobs: number;
  readonly isolate: boolean;
  readonly testTimeout?: number;
  readonly runTimeout?: number;
  readonly kernelEvents: KernelEventPolicy;
  readonly open: () => Promise<OpenedTarget | RemoteTarget>;
  /** Where the suites are found on the machine, once its GPUs are known. */
  readonly suiteContext: (gpus: readonly Gpu[]) => SuiteContext;
}

/** The night a run starting now belongs to, as `history import` dates it (its UTC start date). */
const tonight = () => new Date().toISOString().slice(0, 10);

/** --shard with --order history and no --durations file: the store's median durations balance the shards. */
function storeDurations(hints: ReadonlyMap<string, TestHint>): Map<string, number> {
  const durations = new Map<string, number>();
  for (const [id, hint] of hints) if (hint.durationMs !== undefined) durations.set(id, hint.durationMs);
  return durations;
}

/** --order history: what the history store says about each of the variant's tests. */
async function historyHints(request: RunRequest, loaded: LoadedConfig, variant: string, note: (message: string) => void): Promise<Map<string, TestHint>> {
  // Loaded only when asked for: a run that does not read the store does not load its drivers.
  const { historyLocation } = await import('./history.js');
  const location = historyLocation(request.orderStore, loaded);
  const { openStore } = await import('../history/open-store.js');
  const { orderHints } = await import('../history/order-hints.js');
  const store = await openStore(location);
  try {
    // A shard reads only the nights before tonight: the shards of tonight, importing as they
    // finish, then all see the same store, order alike and balance the shards the same way.
    const before = request.shard ? (request.orderNight ?? tonight()) : undefined;
    const hints = await orderHints(store, { variant, ...(before ? { before } : {}) });
    const first = [...hints.values()].filter((h) => h.failedRecently || h.flaky).length;
    note(
      `--order history: ${hints.size} tests of ${variant} in the store${before ? ` (nights before ${before})` : ''}, ${first} failing recently or flaky run first`,
    );
    if (request.shard && !request.durations && hints.size > 0)
      note(`--shard ${request.shard.index}/${request.shard.total}: balanced by the store's median durations, not by hash`);
    return hints;
  } finally {
    await store.close();
  }
}

/** --fail-fast N needs the baseline to tell a regression from a test that always failed. */
async function failFastOf(limit: number, baselineRun: string | undefined): Promise<FailFast> {
  if (!baselineRun) throw new InputError(`--fail-fast ${limit}: give --baseline-run DIR, the baseline's run that tells a regression from an old failure`);
  const baseline = await readRunLater(baselineRun);
  return { limit, from: baselineRun, baseline: new Map(baseline.tests.map((t) => [testId(t), t.status])) };
}

/** --durations FILE: an earlier run.json whose test durations balance the shards. */
async function durationsFrom(file: string): Promise<Map<string, number>> {
  const run = await readRunLater(file);
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

/** Resolves every option against the config and checks it; the target is opened later by `open`. */
/** What a target is given to resolve its settings (also for TargetFactory.release after a bisect). */
export function targetContext(
  request: RunRequest,
  loaded: LoadedConfig,
  files: TargetContext['files'],
  note: (message: string) => void,
  options: { keepMachine?: boolean; expose?: readonly string[] } = {},
): TargetContext {
  const { config, file } = loaded;
  const variantName = request.variant ?? 'default';
  const variant = request.variant ? variantOf(config, request.variant, file) : undefined;
  const targetName = request.target ?? config.run.target;
  return {
    section: targetSection(config, targetName),
    flags: request.targetFlags ?? {},
    configPath: configPath(file),
    variant: { name: variantName, defined: variant !== undefined, cmdline: variant?.cmdline ?? [], modprobe: variant?.modprobe ?? [] },
    otherCmdlines: Object.entries(config.variants)
      .filter(([name]) => name !== variantName)
      .flatMap(([, v]) => v.cmdline),
    ...(request.kernel ? { kernel: request.kernel } : {}),
    ...(request.modules ? { modules: request.modules } : {}),
    latestBuild: () => latestBuild(cacheDir(), variantName),
    ...(request.guestWatchdog !== undefined ? { watchdogS: request.guestWatchdog } : {}),
    ...(request.maxReboots !== undefined ? { maxReboots: request.maxReboots } : {}),
    ...(options.keepMachine ? { keepMachine: true } : {}),
    files,
    cacheDir: cacheDir(),
    ...(request.sysfsRoot ? { sysfsRoot: request.sysfsRoot } : {}),
    expose: options.expose ?? [],
    note,
  };
}

export async function prepareRun(
  request: RunRequest,
  loaded: LoadedConfig,
  runDir: RunDir,
  note: (message: string) => void,
  keepMachine = false,
  /** The directory the machine shares, when not the run's own (a --repeat round's: its variant's run directory). */
  machineDir?: string,
): Promise<PreparedRun> {
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
  const hints = request.order === 'history' ? await historyHints(request, loaded, variantName, note) : undefined;
  // Before the machine is opened: a file that cannot be used is said at once.
  const durations = request.durations ? await durationsFrom(request.durations) : undefined;
  const failFast = request.failFast !== undefined ? await failFastOf(request.failFast, request.baselineRun) : undefined;
  const selection: Selection = {
    // A user's own suite file has no profiles: its tests all belong to the run unless a profile was asked for.
    profile: request.profile ?? (explicit ? 'full' : config.run.profile),
    filters: request.filters ?? [],
    ...(request.shard ? { shard: request.shard } : {}),
    ...(hints ? { order: hints } : {}),
    ...(durations ? { durations } : request.shard && hints && hints.size > 0 ? { durations: storeDurations(hints) } : {}),
  };
  const files = { runDir: machineDir ?? runDir.root, console: runDir.console, agent: runDir.agent };
  const open = await factory.prepare(targetContext(request, loaded, files, note, { keepMachine, expose: hostPathsOf(suites, file, rocm) }));
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
    ...(failFast ? { failFast } : {}),
    open,
    suiteContext: (gpus) => {
      const gfx = gpus[0]?.gfx ?? config.rocm.gfx;
      return { rocm, ...(build ? { build } : {}), ...(gfx ? { gfx } : {}), ...(variant ? { env: variant.env } : {}) };
    },
  };
}
