import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { configSchema } from '../config/schema.js';
import { InputError } from '../model/errors.js';
import { loadYamlFile } from '../model/yaml-file.js';
import { buildVariants, type BuildHooks } from './build-variants.js';
import { DEMO_KERNEL_DIR } from './demo.js';
import { cacheDir, PACKAGE_ROOT } from './paths.js';

const REAL_SUITES_CONFIG = join(PACKAGE_ROOT, 'config', 'examples', 'real-suites.yaml');

/** The Debian packages the three suites build and run with (rocm-src/README: measured on these machines). */
export const REAL_SUITE_PACKAGES = [
  'cmake',
  'g++',
  'pkg-config',
  'libdrm-dev',
  'libnuma-dev',
  'llvm-19-dev',
  'libhsa-runtime-dev',
  'librocm-smi-dev',
  'rocm-device-libs',
  'clang-15',
  'lld-15',
  'libltdl-dev',
  'hipcc',
  'libamdhip64-dev',
  'rocminfo',
];

interface Where {
  /** A tarball name pattern, the directory a snapshot extracts to, and the directory in rocm-systems. */
  readonly tarball: RegExp;
  readonly dir: string;
  readonly inRocmSystems: string;
}

const COMPONENTS: Readonly<Record<string, Where>> = {
  kfdtest: { tarball: /libhsakmt.*\.tar\.\w+$/, dir: 'libhsakmt', inRocmSystems: 'projects/rocr-runtime/libhsakmt' },
  rocrtst: { tarball: /rocrtst.*\.tar\.\w+$/, dir: 'rocrtst', inRocmSystems: 'projects/rocr-runtime/rocrtst' },
  'hip-tests': { tarball: /(hip-tests|catch).*\.tar\.\w+$/, dir: 'catch', inRocmSystems: 'projects/hip-tests/catch' },
};

/** Where the ROCm sources are: --rocm-src, $SVMTEST_ROCM_SRC, or the snapshots beside the checkout. */
export function rocmSourceDir(given: string | undefined): string {
  const dir = resolve(given ?? process.env.SVMTEST_ROCM_SRC ?? join(PACKAGE_ROOT, '..', 'shared', 'rocm-src'));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(
      `${dir}: no ROCm sources here; give --rocm-src DIR (the snapshot tarballs, extracted trees, or a rocm-systems checkout) or set SVMTEST_ROCM_SRC`,
    );
  }
  return dir;
}

/** Each component's source in DIR: a snapshot tarball, its extracted directory, or a rocm-systems checkout. */
export function findRocmSources(dir: string): Record<string, { source: string; path: string }> {
  const names = readdirSync(dir);
  const found: Record<string, { source: string; path: string }> = {};
  for (const [component, where] of Object.entries(COMPONENTS)) {
    const tarball = names.find((n) => where.tarball.test(n));
    if (tarball) found[component] = { source: join(dir, tarball), path: where.dir };
    else if (existsSync(join(dir, where.dir))) found[component] = { source: join(dir, where.dir), path: '.' };
    else if (existsSync(join(dir, where.inRocmSystems))) found[component] = { source: dir, path: where.inRocmSystems };
    else
      throw new InputError(
        `${dir}: no ${component} source (a ${where.tarball.source} tarball, a ${where.dir}/ directory, or ${where.inRocmSystems} of rocm-systems)`,
      );
  }
  return found;
}

/** The embedded real-suites config, completed with the sources and the kernel, written where ci reads it. */
export function realSuitesConfig(rocmSrc: string, accel: string | undefined): string {
  const { value: config } = loadYamlFile(REAL_SUITES_CONFIG, configSchema);
  const sources = findRocmSources(rocmSrc);
  const userspace = Object.fromEntries(Object.entries(config.userspace).map(([name, spec]) => [name, { ...spec, ...sources[name] }]));
  const resolved = {
    ...config,
    expectations: join(PACKAGE_ROOT, 'config', 'examples', 'real-suites-expectations'),
    userspace,
    qemu: { ...config.qemu, kernel: join(DEMO_KERNEL_DIR, 'vmlinuz'), modules: join(DEMO_KERNEL_DIR, 'modules'), ...(accel ? { accel } : {}) },
  };
  const dir = join(cacheDir(), 'demo');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'real-suites-config.yaml');
  writeFileSync(file, stringify(resolved));
  return file;
}

/** Builds the three suites for both variants (one build each when their options agree). */
export async function buildRealSuites(configFile: string, hooks: BuildHooks): Promise<void> {
  await buildVariants(configFile, undefined, hooks);
}
