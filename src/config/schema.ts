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
    /** How `svmtest build` makes this variant's kernel and userspace. */
    build: z
      .object({
        /** Apply kernel.series (the candidate) or not (the baseline). */
        series: z.boolean().default(false),
        /** Kconfig options (without CONFIG_) this variant needs; verified after olddefconfig. */
        kconfig: z.record(z.string()).default({}),
        /** Extra CMake options per ROCm component, e.g. { kfdtest: { USE_DRM_AMDGPU_SVM: "ON" } }. */
        cmake: z.record(z.record(z.string())).default({}),
      })
      .strict()
      .default({}),
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
    rocm: z
      .object({
        path: z.string().optional(),
        /** GPU family for per-GPU paths (rocrtst's bin/<gfx>/) when the machine shows no GPU (a CPU-only KFD). */
        gfx: z.string().optional(),
      })
      .strict()
      .default({}),
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
    /** The kernel tree, the pinned base and the patch series: everything `svmtest build` needs. */
    kernel: z
      .object({
        /** A local git repository, or a URL cloned once into the cache. Relative to the config file. */
        repo: z.string(),
        /** Commit, tag or branch the series was written for: pin it. */
        base: z.string(),
        series: z
          .array(z.union([z.object({ mbox: z.string() }).strict(), z.object({ b4: z.string() }).strict(), z.object({ git: z.string() }).strict()]))
          .default([]),
        /** Starting config: defconfig, tinyconfig, allnoconfig, running (this machine's), or a file path. */
        baseConfig: z.string().default('defconfig'),
        /** Config fragments merged in order (relative to the config file). */
        fragments: z.array(z.string()).default([]),
        /** make targets besides modules. */
        targets: z.array(z.string()).default(['bzImage']),
        /** Build and install modules (when the config enables them). */
        modules: z.boolean().default(true),
        /** Parallel make jobs; default: the number of CPUs. */
        jobs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** ROCm userspace per component: an installed prefix, or a source build (docs/rocm-builds.md). */
    userspace: z
      .record(
        z.union([
          z.object({ prebuilt: z.string() }).strict(),
          z
            .object({
              /** How it builds: kfdtest (libhsakmt + kfdtest), rocrtst, hip-tests, or cmake; default: the component's name, else cmake. */
              recipe: z.enum(['kfdtest', 'rocrtst', 'hip-tests', 'cmake']).optional(),
              /** A directory, a tarball, or a git repository (with ref); relative to the config file. */
              source: z.string(),
              /** A commit, tag or branch of a git source: pin it. */
              ref: z.string().optional(),
              /** The project's directory inside the source. */
              path: z.string().default('.'),
              cmake: z.record(z.string()).default({}),
              /** Build targets (hip-tests: the test executables to build, e.g. [EventTest]). */
              targets: z.array(z.string()).default([]),
              /** GPU families to build kernels for (rocrtst, hip-tests); default: the GPUs found here. */
              gpuTargets: z.array(z.string()).optional(),
              /** Environment of the build commands, e.g. { HIP_PLATFORM: amd }. */
              env: z.record(z.string()).default({}),
              /** rocrtst (2022): clang's OpenCL header directory; svmtest makes the shim its CMake needs. */
              openclInclude: z.string().optional(),
            })
            .strict(),
        ]),
      )
      .default({}),
    /** A machine under test reached over SSH (`--target ssh`): svmtest deploys and boots each variant's kernel on it. */
    ssh: z
      .object({
        host: z.string().optional(),
        user: z.string().optional(),
        port: z.number().int().positive().max(65535).optional(),
        identityFile: z.string().optional(),
        /** More ssh_config options, e.g. { ProxyJump: bastion, ServerAliveInterval: "5" }. */
        options: z.record(z.string()).default({}),
        /** A known_hosts file for this DUT (default: the user's). */
        knownHosts: z.string().optional(),
        /** false turns host-key checking off; every report then says so. Never off unless asked. */
        checkHostKey: z.boolean().default(true),
        /** How a variant's kernel is booted: kexec, a one-shot boot-loader entry (grub), or none (the running kernel is under test). */
        boot: z.enum(['kexec', 'grub', 'none']).default('kexec'),
        /** Kernel image to deploy (default: --kernel, else the variant's latest `svmtest build`). */
        kernel: z.string().optional(),
        /** Directory holding lib/modules/<release> for that kernel, installed on the DUT. */
        modules: z.string().optional(),
        /** An initramfs to deploy with the kernel; without it, initrdCommand makes one on the DUT. */
        initrd: z.string().optional(),
        /** Makes the initramfs on the DUT ({release} replaced), e.g. [update-initramfs, -c, -k, "{release}"]. */
        initrdCommand: z.array(z.string()).optional(),
        /** Where that command leaves it ({release} replaced). */
        initrdPath: z.string().default('/boot/initrd.img-{release}'),
        /** grub: the entry grub-reboot selects ({release} replaced). */
        grubEntry: z.string().default('Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux {release}'),
        /** Kernel command line for the deployed kernel; default: the DUT's own, without BOOT_IMAGE and initrd. */
        cmdline: z.array(z.string()).optional(),
        /** Directory on the DUT where deployed kernels are kept. */
        kernelDir: z.string().default('/var/lib/svmtest/kernels'),
        /** Reboot the DUT into its default kernel at the end of the run (and on Ctrl-C). */
        restore: z.boolean().default(false),
        /** Power-cycles a dead DUT (run on this machine), e.g. [ipmitool, -I, lanplus, -H, bmc1, chassis, power, cycle]. */
        powerCommand: z.array(z.string()).nonempty().optional(),
        /** Or, as in LAVA's device dictionaries: power off, wait powerOffDelay s, power on (e.g. [ipmitool, …, chassis, power, off]). */
        powerOff: z.array(z.string()).nonempty().optional(),
        powerOn: z.array(z.string()).nonempty().optional(),
        /** Proves the DUT went off and came back on: exit 0 and "on"/"off" in its output (e.g. [ipmitool, …, chassis, power, status]). */
        powerStatus: z.array(z.string()).nonempty().optional(),
        powerOffDelay: z.number().min(0).max(600).default(10),
        /** Streams the DUT's console (run on this machine), e.g. [ipmitool, -I, lanplus, -H, bmc1, sol, activate]. */
        consoleCommand: z.array(z.string()).nonempty().optional(),
        /** Run before the console is attached, ending a session another user left open (e.g. [ipmitool, …, sol, deactivate]). */
        consoleStop: z.array(z.string()).nonempty().optional(),
        /** Seconds to wait for SSH after a boot or a power cycle. */
        bootTimeout: z.number().positive().default(600),
        /** Seconds without a heartbeat over SSH before the DUT is declared dead (--guest-watchdog overrides). */
        watchdog: z.number().positive().default(120),
        /** Power cycles after a dead DUT before the run is given up as incomplete (--max-reboots overrides). */
        maxReboots: z.number().int().min(0).default(3),
      })
      .strict()
      .superRefine((ssh, ctx) => {
        if (ssh.powerCommand && (ssh.powerOff || ssh.powerOn)) {
          ctx.addIssue({ code: 'custom', path: ['powerOff'], message: 'give powerCommand, or powerOff and powerOn — not both' });
        } else if (Boolean(ssh.powerOff) !== Boolean(ssh.powerOn)) {
          ctx.addIssue({ code: 'custom', path: [ssh.powerOff ? 'powerOn' : 'powerOff'], message: 'powerOff and powerOn go together' });
        }
      })
      .default({}),
    /** The nightly history store: a SQLite file (relative to this file) or a postgres:// URL; default reports/history.db. */
    history: z.object({ db: z.string().optional() }).strict().default({}),
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
        logCap: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
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
