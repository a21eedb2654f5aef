import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { configSchema } from '../config/schema.js';
import { loadYamlFile } from '../model/yaml-file.js';
import { InfraError } from '../model/errors.js';
import { cacheDir, PACKAGE_ROOT } from './paths.js';

const DEMO_CONFIG = join(PACKAGE_ROOT, 'config', 'examples', 'demo.yaml');
const DEMO_SOURCE = join(PACKAGE_ROOT, 'demo', 'svm_demo_tests.cc');
const FETCH_KERNEL = join(PACKAGE_ROOT, 'scripts', 'fetch-debian-kernel.sh');
/** Shared with the project's own QEMU tests, so a checkout downloads the kernel once. */
export const DEMO_KERNEL_DIR = join(PACKAGE_ROOT, '.cache', 'debian-kernel');

interface Prerequisite {
  readonly what: string;
  readonly present: () => boolean;
  readonly apt?: string;
}

async function onPath(program: string): Promise<boolean> {
  const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', program], { reject: false });
  return r.exitCode === 0;
}

/** Debian packages not installed (dpkg-query asks for all of them at once). */
async function missingPackages(packages: readonly string[]): Promise<Set<string>> {
  if (packages.length === 0) return new Set();
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a template
  const r = await execa('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...packages], { reject: false });
  const installed = new Set(
    String(r.stdout)
      .split('\n')
      .filter((l) => l.endsWith(' installed') && !l.includes('not-installed'))
      .map((l) => l.split(' ')[0]!.split(':')[0]!),
  );
  return new Set(packages.filter((p) => !installed.has(p)));
}

async function prerequisites(packages: readonly string[]): Promise<Prerequisite[]> {
  const [qemu, cpio, xz, gxx, missing] = await Promise.all([
    onPath('qemu-system-x86_64'),
    onPath('cpio'),
    onPath('xz'),
    onPath('g++'),
    missingPackages(packages),
  ]);
  return [
    ...packages.map((pkg) => ({ what: pkg, present: () => !missing.has(pkg), apt: pkg })),
    { what: 'QEMU (qemu-system-x86_64)', present: () => qemu, apt: 'qemu-system-x86' },
    { what: 'a static busybox', present: () => existsSync('/bin/busybox') || existsSync('/usr/bin/busybox'), apt: 'busybox-static' },
    { what: 'cpio', present: () => cpio, apt: 'cpio' },
    // Debian's kernel is xz-packed: its ELF is unpacked once here, not in the guest at every boot.
    { what: 'xz (xz-utils)', present: () => xz, apt: 'xz-utils' },
    { what: 'kmod (depmod)', present: () => existsSync('/sbin/depmod') || existsSync('/usr/sbin/depmod'), apt: 'kmod' },
    { what: 'g++', present: () => gxx, apt: 'g++' },
    { what: 'googletest (libgtest-dev)', present: () => existsSync('/usr/include/gtest/gtest.h'), apt: 'libgtest-dev' },
    { what: `Debian's kernel in ${DEMO_KERNEL_DIR}`, present: () => existsSync(join(DEMO_KERNEL_DIR, 'vmlinuz')) },
  ];
}

/** What the demo needs (and these packages), installed when asked (apt-get, Debian's kernel package), else named with the commands. */
export async function ensureDemoPrerequisites(install: boolean, note: (message: string) => void, packages: readonly string[] = []): Promise<void> {
  let missing = (await prerequisites(packages)).filter((p) => !p.present());
  if (missing.length === 0) return;
  const apt = [...new Set(missing.flatMap((p) => (p.apt ? [p.apt] : [])))];
  const kernel = missing.some((p) => !p.apt);
  const commands = [
    ...(apt.length > 0 ? [`sudo apt-get install -y --no-install-recommends ${apt.join(' ')}`] : []),
    ...(kernel ? [`bash ${FETCH_KERNEL} ${DEMO_KERNEL_DIR}`] : []),
  ];
  if (!install) {
    throw new InfraError(
      `svmtest demo needs ${missing.map((p) => p.what).join(', ')}. Install with:\n  ${commands.join('\n  ')}\n(or run svmtest demo --install-deps to have it done)`,
    );
  }
  note(`installing: ${commands.join(' && ')}`);
  if (apt.length > 0) {
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    const run = async (argv: string[]) => {
      const [file, ...args] = [...sudo, ...argv];
      const r = await execa(file!, args, { reject: false, stdio: 'inherit', env: { DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.exitCode !== 0) throw new InfraError(`${argv.join(' ')} failed (exit ${r.exitCode})`);
    };
    await run(['apt-get', 'update', '-qq']);
    await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...apt]);
  }
  if (kernel) {
    const r = await execa('bash', [FETCH_KERNEL, DEMO_KERNEL_DIR], { reject: false, stdio: 'inherit' });
    if (r.exitCode !== 0) throw new InfraError(`fetching Debian's kernel failed (exit ${r.exitCode})`);
  }
  missing = (await prerequisites(packages)).filter((p) => !p.present());
  if (missing.length > 0) throw new InfraError(`still missing after installing: ${missing.map((p) => p.what).join(', ')}`);
}

/** The demo suite is a real gtest program, compiled once into the cache. */
async function demoProgram(): Promise<string> {
  const hash = createHash('sha1').update(readFileSync(DEMO_SOURCE)).digest('hex').slice(0, 12);
  const dir = join(cacheDir(), 'demo');
  const out = join(dir, `svm_demo_tests-${hash}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const r = await execa('g++', ['-O1', '-o', `${out}.${process.pid}.tmp`, DEMO_SOURCE, '-lgtest', '-lgtest_main', '-pthread'], { reject: false });
  if (r.exitCode !== 0) throw new InfraError(`compiling the demo suite failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
  renameSync(`${out}.${process.pid}.tmp`, out);
  return out;
}

/**
 * The embedded demo config, completed with what only this machine knows (the kernel, the
 * compiled demo suite), written where ci reads it. Returns its path.
 */
export async function demoConfig(accel: string | undefined): Promise<string> {
  const program = await demoProgram();
  const { value: config } = loadYamlFile(DEMO_CONFIG, configSchema);
  const work = join(cacheDir(), 'demo');
  const suiteFile = join(work, 'svm-demo.yaml');
  writeFileSync(
    suiteFile,
    stringify({ name: 'svm-demo', kind: 'gtest', description: 'svmtest demo suite (real gtest tests of the guest kernel)', command: [program], timeout: 60 }),
  );
  const resolved = {
    ...config,
    expectations: join(PACKAGE_ROOT, 'config', 'examples', 'demo-expectations'),
    qemu: { ...config.qemu, kernel: join(DEMO_KERNEL_DIR, 'vmlinuz'), modules: join(DEMO_KERNEL_DIR, 'modules'), ...(accel ? { accel } : {}) },
    run: { ...config.run, suiteFiles: [suiteFile] },
  };
  const file = join(work, 'demo-config.yaml');
  writeFileSync(file, stringify(resolved));
  return file;
}
