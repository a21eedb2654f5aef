import { z } from 'zod';
import { targetNames } from '../targets/registry.js';
import { targetSections } from '../targets/sections.js';

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
    /** What preflight proves before any test runs (README, "What svmtest guarantees"). */
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
    // Each target's own section (qemu:, ssh:, …), declared in its folder under src/targets.
    ...targetSections,
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
        /** Where variants run: host (this machine), or a target of the registry (qemu, ssh, …). */
        target: z
          .string()
          .default('host')
          .refine((name) => targetNames().includes(name), { message: `expected one of: ${targetNames().join(', ')}` }),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Variant = z.infer<typeof variantSchema>;
