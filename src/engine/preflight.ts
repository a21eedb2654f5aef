import { gunzipSync } from 'node:zlib';
import type { Gpu, PreflightCheck } from '../model/run.js';
import { parseKconfig } from '../parsers/kconfig.js';
import { globMatch } from '../model/selection.js';
import type { Target, TargetIdentity } from '../targets/target.js';

/** Options reported in run.json whatever the variant expects: they say which SVM path is live. */
export const REPORTED_KCONFIG = ['DRM_AMDGPU_SVM', 'HSA_AMD_SVM', 'DRM_GPUSVM', 'DEVICE_PRIVATE', 'HMM_MIRROR', 'DRM_AMDGPU'];

export interface KernelConfigSource {
  readonly values: ReadonlyMap<string, string>;
  readonly source: string;
}

/** The config of a kernel svmtest booted itself, read from the host file it was built with. */
export interface BootedKernelConfig {
  readonly text: string;
  /** Where it came from, e.g. "host file /cache/artifacts/gpusvm-…/config (the booted kernel's build config)". */
  readonly source: string;
}

/** The running kernel's config: /proc/config.gz, else /boot/config-<release>, else the booted kernel's build config. */
export async function readKernelConfig(
  target: Target,
  release: string | Promise<string>,
  booted?: BootedKernelConfig,
): Promise<KernelConfigSource | undefined> {
  // Asked at once (the release may still be on its way): on an emulated guest every read is a round trip.
  const [gz, boot] = await Promise.all([target.readFileBytes('/proc/config.gz'), Promise.resolve(release).then((r) => target.readFile(`/boot/config-${r}`))]);
  if (gz && gz.length > 0) {
    try {
      return { values: parseKconfig(gunzipSync(gz).toString('utf8')), source: '/proc/config.gz' };
    } catch {
      // unreadable: try the next source
    }
  }
  if (boot) return { values: parseKconfig(boot), source: `/boot/config-${release}` };
  if (booted) return { values: parseKconfig(booted.text), source: booted.source };
  return undefined;
}

function check(name: string, ok: boolean, expected: string, found: string): PreflightCheck {
  return { name, ok, expected, found };
}

/** What a variant's preflight proves (the variant's `expect`, and the environment its tests get). */
export interface PreflightExpectations {
  readonly kernelRelease?: string;
  readonly kconfig: Readonly<Record<string, string>>;
  readonly kallsyms: Readonly<Record<string, boolean>>;
  readonly kfd: boolean;
  readonly gpus: readonly string[];
  readonly xnack: 'on' | 'off' | 'any';
  readonly env: Readonly<Record<string, string>>;
}

export interface PreflightInput {
  readonly target: Target;
  readonly identity: TargetIdentity;
  /** undefined: no variant named, nothing to prove. */
  readonly expect: PreflightExpectations | undefined;
  readonly gpus: readonly Gpu[];
  readonly config: KernelConfigSource | undefined;
}

/** Proves the machine runs the variant it is said to run; each check says what it expected and found. */
export async function runPreflight(input: PreflightInput): Promise<PreflightCheck[]> {
  const { target, identity, expect, gpus, config } = input;
  const checks: PreflightCheck[] = [];
  if (!expect) return checks;

  if (expect.kernelRelease) {
    checks.push(check('kernel-release', globMatch(expect.kernelRelease, identity.kernelRelease), expect.kernelRelease, identity.kernelRelease));
  }
  for (const [option, wanted] of Object.entries(expect.kconfig)) {
    const found = config ? (config.values.get(option) ?? 'n') : undefined;
    checks.push(
      check(
        `kernel-config CONFIG_${option}`,
        found === wanted,
        `CONFIG_${option}=${wanted}`,
        found === undefined
          ? "kernel config not readable (/proc/config.gz, /boot/config-<release>, or the booted kernel's build config)"
          : `CONFIG_${option}=${found} (${config!.source})`,
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
    checks.push(
      check('/dev/kfd', opened.exitCode === 0, '/dev/kfd opens', opened.exitCode === 0 ? 'opens' : opened.stderr.trim() || `dd exited ${opened.exitCode}`),
    );
  }
  for (const gfx of expect.gpus) {
    const present = gpus.filter((g) => g.gfx === gfx);
    checks.push(
      check(
        `gpu ${gfx}`,
        present.length > 0,
        `a ${gfx} GPU`,
        gpus.length > 0 ? gpus.map((g) => `${g.gfx} (node ${g.node})`).join(', ') : 'no GPU in the KFD topology',
      ),
    );
  }
  if (expect.xnack !== 'any') {
    const noretry = (await target.readFile('/sys/module/amdgpu/parameters/noretry'))?.trim();
    const envOn = expect.env.HSA_XNACK === '1';
    const capable = gpus.length > 0 && gpus.every((g) => g.xnack === true);
    const on = noretry === '0' && envOn && capable;
    const found = `amdgpu.noretry=${noretry ?? '(amdgpu not loaded)'}, HSA_XNACK=${expect.env.HSA_XNACK ?? '(unset)'}, GPUs ${gpus.length > 0 ? gpus.map((g) => `${g.gfx}${g.xnack ? '' : ' (no XNACK)'}`).join(', ') : 'none'}`;
    checks.push(check('xnack', expect.xnack === 'on' ? on : !on, `XNACK ${expect.xnack}`, found));
  }
  return checks;
}
