import { gunzipSync } from 'node:zlib';
import type { Variant } from '../config/schema.js';
import { parseKconfig } from '../parsers/kconfig.js';

export { parseKconfig };
import type { Gpu, PreflightCheck } from '../model/run.js';
import { globMatch } from '../suites/definition.js';
import type { Target, TargetIdentity } from '../targets/target.js';

/** Options reported in run.json whatever the variant expects: they say which SVM path is live. */
export const REPORTED_KCONFIG = ['DRM_AMDGPU_SVM', 'HSA_AMD_SVM', 'DRM_GPUSVM', 'DEVICE_PRIVATE', 'HMM_MIRROR', 'DRM_AMDGPU'];

export interface KernelConfigSource {
  readonly values: ReadonlyMap<string, string>;
  readonly source: string;
}


/** The running kernel's config: /proc/config.gz, else /boot/config-<release>, else the build's .config. */
export async function readKernelConfig(target: Target, release: string, buildConfig?: string): Promise<KernelConfigSource | undefined> {
  // Asked at once: on an emulated guest every read is a round trip.
  const [gz, boot, built] = await Promise.all([
    target.readFileBytes('/proc/config.gz'),
    target.readFile(`/boot/config-${release}`),
    buildConfig ? target.readFile(buildConfig) : Promise.resolve(undefined),
  ]);
  if (gz && gz.length > 0) {
    try {
      return { values: parseKconfig(gunzipSync(gz).toString('utf8')), source: '/proc/config.gz' };
    } catch {
      // unreadable: try the next source
    }
  }
  if (boot) return { values: parseKconfig(boot), source: `/boot/config-${release}` };
  if (built && buildConfig) return { values: parseKconfig(built), source: buildConfig };
  return undefined;
}

function check(name: string, ok: boolean, expected: string, found: string): PreflightCheck {
  return { name, ok, expected, found };
}

export interface PreflightInput {
  readonly target: Target;
  readonly identity: TargetIdentity;
  readonly variantName: string;
  readonly variant: Variant | undefined;
  readonly gpus: readonly Gpu[];
  readonly config: KernelConfigSource | undefined;
}

/** Proves the machine runs the variant it is said to run; each check says what it expected and found. */
export async function runPreflight(input: PreflightInput): Promise<PreflightCheck[]> {
  const { target, identity, variant, gpus, config } = input;
  const checks: PreflightCheck[] = [];
  if (!variant) return checks;
  const expect = variant.expect;

  if (expect.kernelRelease) {
    checks.push(check('kernel-release', globMatch(expect.kernelRelease, identity.kernelRelease), expect.kernelRelease, identity.kernelRelease));
  }
  for (const [option, wanted] of Object.entries(expect.kconfig)) {
    const found = config ? config.values.get(option) ?? 'n' : undefined;
    checks.push(
      check(
        `kernel-config CONFIG_${option}`,
        found === wanted,
        `CONFIG_${option}=${wanted}`,
        found === undefined ? 'kernel config not readable (/proc/config.gz, /boot/config-<release>)' : `CONFIG_${option}=${found} (${config!.source})`,
      ),
    );
  }
  const symbols = Object.entries(expect.kallsyms);
  if (symbols.length > 0) {
    const kallsyms = await target.readFile('/proc/kallsyms');
    for (const [symbol, wanted] of symbols) {
      const present = kallsyms === undefined ? undefined : new RegExp(`\\s${symbol}(\\s|$)`, 'm').test(kallsyms);
      checks.push(
        check(
          `kallsyms ${symbol}`,
          present === wanted,
          wanted ? `${symbol} in /proc/kallsyms` : `no ${symbol} in /proc/kallsyms`,
          present === undefined ? '/proc/kallsyms not readable' : present ? 'present' : 'absent',
        ),
      );
    }
  }
  if (expect.kfd) {
    const opened = await target.exec({ argv: ['dd', 'if=/dev/kfd', 'of=/dev/null', 'count=0', 'status=none'] }, { timeoutMs: 30_000 });
    checks.push(check('/dev/kfd', opened.exitCode === 0, '/dev/kfd opens', opened.exitCode === 0 ? 'opens' : opened.stderr.trim() || `dd exited ${opened.exitCode}`));
  }
  for (const gfx of expect.gpus) {
    const present = gpus.filter((g) => g.gfx === gfx);
    checks.push(check(`gpu ${gfx}`, present.length > 0, `a ${gfx} GPU`, gpus.length > 0 ? gpus.map((g) => `${g.gfx} (node ${g.node})`).join(', ') : 'no GPU in the KFD topology'));
  }
  if (expect.xnack !== 'any') {
    const noretry = (await target.readFile('/sys/module/amdgpu/parameters/noretry'))?.trim();
    const envOn = variant.env.HSA_XNACK === '1';
    const capable = gpus.length > 0 && gpus.every((g) => g.xnack === true);
    const on = noretry === '0' && envOn && capable;
    const found = `amdgpu.noretry=${noretry ?? '(amdgpu not loaded)'}, HSA_XNACK=${variant.env.HSA_XNACK ?? '(unset)'}, GPUs ${gpus.length > 0 ? gpus.map((g) => `${g.gfx}${g.xnack ? '' : ' (no XNACK)'}`).join(', ') : 'none'}`;
    checks.push(check('xnack', expect.xnack === 'on' ? on : !on, `XNACK ${expect.xnack}`, found));
  }
  return checks;
}
