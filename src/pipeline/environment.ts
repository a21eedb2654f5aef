import { readFileSync } from 'node:fs';
import { readKernelConfig, REPORTED_KCONFIG, runPreflight, type BootedKernelConfig, type PreflightExpectations } from '../engine/preflight.js';
import type { Variant } from '../config/schema.js';
import type { Environment, Gpu, PreflightCheck } from '../model/run.js';
import type { Target } from '../targets/target.js';
import { discoverGpus } from '../targets/topology.js';

export function expectationsOf(variant: Variant | undefined): PreflightExpectations | undefined {
  return variant ? { ...variant.expect, env: variant.env } : undefined;
}

/** The booted kernel's build config, read on the host: the guest need not see the file. */
function bootedConfig(file: string | undefined): BootedKernelConfig | undefined {
  if (!file) return undefined;
  try {
    return { text: readFileSync(file, 'utf8'), source: `host file ${file} (the booted kernel's build config)` };
  } catch {
    return undefined;
  }
}

/** The kernel build svmtest made, from its manifest: base, series and artifact key (the history store keys nights by them). */
export function kernelBuildOf(manifest: string | undefined): Environment['kernelBuild'] | undefined {
  if (!manifest) return undefined;
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { key?: string; inputs?: Record<string, unknown> };
    const inputs = m.inputs ?? {};
    const text = (k: string) => (typeof inputs[k] === 'string' && inputs[k] !== '' ? { [k]: inputs[k] as string } : {});
    const count = (k: string) => (typeof inputs[k] === 'number' && Number.isInteger(inputs[k]) ? { [k]: inputs[k] as number } : {});
    return {
      ...text('repo'),
      ...text('base'),
      ...text('baseCommit'),
      ...text('commit'),
      ...text('series'),
      ...count('seriesVersion'),
      ...text('seriesMessageId'),
      ...text('seriesSubject'),
      ...count('seriesPatches'),
      ...(m.key ? { key: m.key } : {}),
    };
  } catch {
    return undefined;
  }
}

/** What the machine under test is (kernel, config, GPUs, ROCm), and the preflight proof that it is the variant named. */
export async function environmentOf(
  target: Target,
  rocm: string,
  variant: Variant | undefined,
  opened: { readonly kernelConfigFile?: string; readonly kernelManifest?: string },
  /** The GPUs, when the caller has already asked for them (it plans the suites meanwhile). */
  gpusAsked: Promise<Gpu[]> = discoverGpus(target),
): Promise<{ environment: Environment; checks: PreflightCheck[] }> {
  const { kernelConfigFile } = opened;
  const kernelBuild = kernelBuildOf(opened.kernelManifest);
  // Asked at once: on an emulated guest each is a round trip.
  const asked = target.identity();
  const [gpus, identity, config, rocmText] = await Promise.all([
    gpusAsked,
    asked,
    readKernelConfig(
      target,
      asked.then((i) => i.kernelRelease),
      bootedConfig(kernelConfigFile),
    ),
    target.readFile(`${rocm}/.info/version`),
  ]);
  const kernelConfig = config ? Object.fromEntries(REPORTED_KCONFIG.map((o) => [`CONFIG_${o}`, config.values.get(o) ?? 'n'])) : undefined;
  const rocmVersion = rocmText?.trim();
  const checks = await runPreflight({ target, identity, expect: expectationsOf(variant), gpus, config });
  return {
    environment: {
      kernelRelease: identity.kernelRelease,
      kernelVersion: identity.kernelVersion,
      ...(kernelBuild ? { kernelBuild } : {}),
      ...(kernelConfig ? { kernelConfig, kernelConfigSource: config!.source } : {}),
      gpus,
      ...(rocmVersion ? { rocmVersion } : {}),
      hostname: identity.hostname,
    },
    checks,
  };
}
