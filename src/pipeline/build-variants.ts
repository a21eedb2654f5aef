import { dirname, resolve } from 'node:path';
import { buildKernel, type KernelArtifacts } from '../build/kernel-build.js';
import { buildComponent } from '../build/userspace.js';
import { loadConfig, variantOf } from '../config/load.js';
import { InputError } from '../model/errors.js';
import { cacheDir } from './paths.js';

export interface VariantBuilt {
  readonly variant: string;
  readonly kernel: KernelArtifacts;
  readonly userspace: ReadonlyArray<{ component: string; prefix: string; cacheHit: boolean }>;
  readonly ms: number;
}

export interface BuildHooks {
  /** A build step, e.g. "[build gpusvm] make bzImage (-j2)". */
  readonly step: (variant: string, title: string) => void;
  /** A line of the build log as it happens. */
  readonly logLine: (line: string) => void;
  readonly built: (result: VariantBuilt) => void;
}

/** `svmtest build`: each variant's kernel (worktree, series, verified config, make) and userspace, cached. */
export async function buildVariants(configFile: string | undefined, only: string | undefined, hooks: BuildHooks): Promise<VariantBuilt[]> {
  const { config, file } = loadConfig(configFile);
  if (!config.kernel) throw new InputError(`${file}: no kernel: section (repo, base, series, fragments); see config/examples/build.yaml`);
  const names = only ? [only] : [config.baseline, config.candidate];
  const configDir = dirname(resolve(file));
  const results: VariantBuilt[] = [];
  for (const name of names) {
    const variant = variantOf(config, name, file);
    const started = performance.now();
    const kernel = await buildKernel(
      config.kernel,
      { name, series: variant.build.series, kconfig: variant.build.kconfig },
      { cacheDir: cacheDir(), configDir, step: (title) => hooks.step(name, title), logLine: hooks.logLine },
    );
    const userspace = [];
    for (const [component, spec] of Object.entries(config.userspace)) {
      userspace.push(await buildComponent(component, spec, name, variant.build.cmake[component] ?? {}, cacheDir(), configDir));
    }
    const result = { variant: name, kernel, userspace, ms: performance.now() - started };
    hooks.built(result);
    results.push(result);
  }
  return results;
}
