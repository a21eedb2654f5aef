import { loadConfig, variantOf } from '../config/load.js';
import type { Config, Variant } from '../config/schema.js';
import { InputError } from '../model/errors.js';
import type { Gpu } from '../model/run.js';
import { parseShard } from '../model/selection.js';
import { resolveSuites, type SuiteDefinition } from '../suites/definition.js';
import type { SuiteContext } from '../suites/resolve.js';
import { HostTarget } from '../targets/host.js';
import { discoverGpus } from '../targets/topology.js';
import type { Target } from '../targets/target.js';
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
  rocm?: string;
  sysfsRoot?: string;
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
}

const TARGETS = ['host'];

export async function openSession(options: TargetOptions): Promise<Session> {
  const { config, file } = loadConfig(options.config);
  if (!TARGETS.includes(options.target)) {
    throw new InputError(`--target "${options.target}": unknown or not available; known targets: ${TARGETS.join(', ')}`);
  }
  const variantName = options.variant ?? 'default';
  const variant = options.variant ? variantOf(config, options.variant, file) : undefined;
  // Explicit suites or suite files replace the configured list.
  const explicit = options.suite.length > 0 || options.suiteFile.length > 0;
  const suites = resolveSuites(explicit ? options.suite : config.run.suites, explicit ? options.suiteFile : config.run.suiteFiles);
  if (suites.length === 0) throw new InputError('no suites selected; give --suite NAME or --suite-file FILE');
  const target = new HostTarget(options.sysfsRoot ?? '');
  const gpus = await discoverGpus(target);
  const rocm = options.rocm ?? config.rocm.path ?? process.env.ROCM_PATH ?? '/opt/rocm';
  const context: SuiteContext = { rocm, ...(gpus[0] ? { gfx: gpus[0].gfx } : {}) };
  // A user's own suite file has no profiles: its tests all belong to the run unless a profile was asked for.
  const profile = options.profile ?? (explicit ? 'full' : config.run.profile);
  const selection: Selection = {
    profile,
    filters: options.filter,
    ...(options.shard ? { shard: parseShard(options.shard) } : {}),
  };
  return { config, configFile: file, variantName, variant, target, suites, context, gpus, selection };
}
