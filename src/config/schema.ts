import { z } from 'zod';

const kconfigValue = z.enum(['y', 'm', 'n']);

export const variantSchema = z
  .object({
    description: z.string().optional(),
    /** Environment for every test of this variant (e.g. HSA_XNACK=1). */
    env: z.record(z.string()).default({}),
    /** Kernel command line additions when svmtest boots the kernel (QEMU), e.g. amdgpu.noretry=0. */
    cmdline: z.array(z.string()).default([]),
    /** Modules the guest loads before tests (QEMU), e.g. amdgpu. */
    modprobe: z.array(z.string()).default([]),
    /** What preflight proves before any test runs (design.md, "verdict integrity"). */
    expect: z
      .object({
        /** A glob the kernel release must match, e.g. "6.18.0-rc4*". */
        kernelRelease: z.string().optional(),
        /** Kconfig options (without CONFIG_) and the value they must have on the running kernel. */
        kconfig: z.record(kconfigValue).default({}),
        /** Kernel symbols that must (true) or must not (false) be in /proc/kallsyms. */
        kallsyms: z.record(z.boolean()).default({}),
        /** /dev/kfd must open. */
        kfd: z.boolean().default(true),
        /** GPU families that must be present (e.g. [gfx942]); empty: any. */
        gpus: z.array(z.string()).default([]),
        /** XNACK mode the GPUs must run in. */
        xnack: z.enum(['on', 'off', 'any']).default('any'),
      })
      .strict()
      .default({}),
  })
  .strict();

export const configSchema = z
  .object({
    /** Installed ROCm prefix; $ROCM_PATH and then /opt/rocm when unset. */
    rocm: z.object({ path: z.string().optional() }).strict().default({}),
    baseline: z.string().default('legacy'),
    /** Directory of expectation files (<variant>[-<gfx>]-{fails,flakes,skips}.txt); relative to the config file. */
    expectations: z.string().optional(),
    candidate: z.string().default('gpusvm'),
    variants: z.record(variantSchema).default({}),
    qemu: z
      .object({
        /** Kernel image to boot (bzImage/vmlinuz); --kernel overrides. */
        kernel: z.string().optional(),
        /** Directory holding lib/modules/<release> for that kernel; --modules overrides. */
        modules: z.string().optional(),
        memory: z.number().int().min(256).default(2048),
        cpus: z.number().int().min(1).default(2),
        accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
        /** Kernel command line additions for every variant. */
        cmdline: z.array(z.string()).default([]),
        /** Modules loaded in the guest for every variant. */
        modprobe: z.array(z.string()).default([]),
        /** PCI addresses of GPUs passed through with vfio-pci, e.g. ["0000:03:00.0"]. */
        vfio: z.array(z.string()).default([]),
        network: z.boolean().default(false),
        bootTimeout: z.number().positive().default(180),
        /** Seconds without a heartbeat from the guest agent before the guest is declared hung. */
        guestWatchdog: z.number().positive().default(60),
        maxReboots: z.number().int().min(0).default(3),
      })
      .strict()
      .default({}),
    /** A remote machine under test (the SSH target, planned: the engine already reaches machines only through a target). */
    ssh: z
      .object({
        host: z.string(),
        user: z.string().optional(),
        port: z.number().int().positive().default(22),
        identityFile: z.string().optional(),
        /** Command that reboots the machine into the variant's kernel (e.g. via kexec or the boot loader). */
        rebootCommand: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    run: z
      .object({
        suites: z.array(z.string()).default(['kfdtest', 'rocrtst', 'hip-tests']),
        suiteFiles: z.array(z.string()).default([]),
        profile: z.string().default('svm'),
        retries: z.number().int().min(0).default(1),
        jobs: z.number().int().min(1).default(1),
        kernelEvents: z.enum(['fail', 'warn', 'ignore']).default('fail'),
        /** Seconds to wait after SIGTERM before SIGKILL when a test times out. */
        killGrace: z.number().positive().default(5),
        /** Bytes of output kept per test. */
        logCap: z.number().int().positive().default(1024 * 1024),
        out: z.string().default('reports'),
        /** Where variants run: host (this machine) or qemu (the kernel booted in a guest). */
        target: z.enum(['host', 'qemu', 'ssh']).default('host'),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Variant = z.infer<typeof variantSchema>;
