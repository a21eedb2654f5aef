import { stringify } from 'yaml';
import type { LavaSection } from './lava-config.js';

export interface JobArtifacts {
  /** URLs the worker fetches the kernel and the initramfs from. */
  readonly kernel: string;
  readonly ramdisk: string;
}

export interface JobSpec {
  readonly name: string;
  readonly section: LavaSection;
  readonly artifacts: JobArtifacts;
  /** The kernel's command line: the section's, then the variant's arguments. */
  readonly cmdline: readonly string[];
  /** Shell steps of the test action, in order. */
  readonly steps: readonly string[];
}

/** {kernel} and {ramdisk} in a device type's own deploy or boot action, replaced by the artifacts' URLs. */
function withArtifacts(value: unknown, artifacts: JobArtifacts): unknown {
  if (typeof value === 'string') return value.replaceAll('{kernel}', artifacts.kernel).replaceAll('{ramdisk}', artifacts.ramdisk);
  if (Array.isArray(value)) return value.map((v) => withArtifacts(v, artifacts));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withArtifacts(v, artifacts)]));
  return value;
}

/**
 * One LAVA job: deploy the variant's kernel and svmtest's initramfs (LAVA adds its test overlay to
 * it), boot to the initramfs's shell, then one test action that runs svmtest there. QEMU devices
 * get QEMU's deploy and boot; any other device type takes its own from the config.
 */
export function jobDefinition(spec: JobSpec): string {
  const { section, artifacts } = spec;
  const deploy = section.deploy
    ? withArtifacts(section.deploy, artifacts)
    : {
        to: 'tmpfs',
        images: {
          kernel: { image_arg: `-kernel {kernel} -append "${spec.cmdline.join(' ')}"`, url: artifacts.kernel },
          ramdisk: { image_arg: '-initrd {ramdisk}', url: artifacts.ramdisk, format: 'cpio.newc', overlays: { lava: true } },
        },
      };
  const boot = section.boot
    ? withArtifacts(section.boot, artifacts)
    : { method: 'qemu', media: 'tmpfs', timeout: { minutes: section.bootTimeout }, prompts: [section.prompt] };
  const job = {
    device_type: section.deviceType,
    job_name: spec.name,
    ...(section.tags.length > 0 ? { tags: section.tags } : {}),
    timeouts: { job: { minutes: section.jobTimeout }, action: { minutes: section.jobTimeout }, connection: { minutes: 2 } },
    priority: section.priority,
    visibility: section.visibility,
    ...(section.deploy ? {} : { context: { arch: 'amd64', memory: section.memory } }),
    actions: [
      { deploy },
      { boot },
      {
        test: {
          timeout: { minutes: section.jobTimeout },
          definitions: [
            {
              from: 'inline',
              name: 'svmtest',
              path: 'inline/svmtest.yaml',
              repository: {
                metadata: { format: 'Lava-Test Test Definition 1.0', name: 'svmtest', description: 'svmtest run: the engine in the job, its records echoed' },
                run: { steps: [...spec.steps] },
              },
            },
          ],
        },
      },
    ],
  };
  // Strings are quoted: a step such as `true` must stay a string, never become a YAML boolean.
  return stringify(job, { defaultStringType: 'QUOTE_SINGLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
}
