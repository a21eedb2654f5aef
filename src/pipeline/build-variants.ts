import { dirname, resolve } from 'node:path';
import { buildKernel, type KernelArtifacts } from '../build/kernel-build.js';
import { buildUserspace, type UserspaceBuild } from '../build/userspace/build-userspace.js';
import { loadConfig, variantOf } from '../config/load.js';
import { InputError } from '../model/errors.js';
import { HostTarget } from '../targets/host.js';
import { discoverGpus } from '../targets/topology.js';
import { cacheDir } from './paths.js';

export interface VariantBuilt {
  readonly variant: string;
  readonly kernel?: KernelArtifacts;
  readonly userspace: UserspaceBuild;
  readonly ms: number;
}

export interface BuildHooks {
  /** A build step, e.g. "make bzImage (-j2)" or "kfdtest: build kfdtest". */
  readonly step: (variant: string, title: string) => void;
  /** A line of a build log as it happens. */
  readonly logLine: (line: string) => void;
  readonly built: (result: VariantBuilt) => void;
}

/** `svmtest build`: each variant's kernel (worktree, series, verified config, make) and ROCm userspace, cached. */
export async function buildVariants(configFile: string | undefined, only: string | undefined, hooks: BuildHooks): Promise<VariantBuilt[]> {
  const { config, file } = loadConfig(configFile);
  if (!config.kernel && Object.keys(config.userspace).length === 0) {
    throw new InputError(`${file}: nothing to build: no kernel: section (repo, base, series) and no userspace: components; see config/examples/build.yaml`);
  }
  const names = only ? [only] : [config.baseline, config.candidate];
  const configDir = dirname(resolve(file));
  const gpusFound = [...new Set((await discoverGpus(new HostTarget())).map((g) => g.gfx))];
  const results: VariantBuilt[] = [];
  for (const name of names) {
    const variant = variantOf(config, name, file);
    const started = performance.now();
    const step = (title: string) => hooks.step(name, title);
    const kernel = config.kernel
      ? await buildKernel(
          config.kernel,
          { name, series: variant.build.series, kconfig: variant.build.kconfig },
          { cacheDir: cacheDir(), configDir, step, logLine: hooks.logLine },
        )
      : undefined;
    const userspace = await buildUserspace(name, file, config.userspace, variant.build.cmake, {
      cacheDir: cacheDir(),
      configDir,
      gpusFound,
      step,
      logLine: hooks.logLine,
    });
    const result = { variant: name, ...(kernel ? { kernel } : {}), userspace, ms: performance.now() - started };
    hooks.built(result);
    results.push(result);
  }
  return results;
}
