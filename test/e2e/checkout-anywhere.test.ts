import { execa } from 'execa';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RunFile } from '../../src/model/run.js';
import { debianKernel } from '../helpers/kernel.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';

// A checkout under /var/tmp, where the guest used to mount a fresh tmpfs: the quick start and the
// QEMU target must work from there exactly as from anywhere else.
let checkout: string;
let program: string;
let kernel: ReturnType<typeof debianKernel>;

const PACKAGE_PARTS = ['bin', 'dist', 'assets', 'config', 'suites', 'schema', 'demo', 'scripts', 'package.json'];

/** Hard links where the file system allows (the kernel's modules are 400 MB), else a copy. */
async function linkTree(from: string, to: string): Promise<void> {
  mkdirSync(join(to, '..'), { recursive: true });
  const linked = await execa('cp', ['-al', from, to], { reject: false });
  if (linked.exitCode !== 0) cpSync(from, to, { recursive: true });
}

function svmtestIn(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [join(checkout, 'bin', 'svmtest.js'), ...args], {
    cwd: checkout,
    reject: false,
    env: { NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', SVMTEST_CACHE: join(checkout, '.cache', 'svmtest'), ...env },
  });
}

beforeAll(async () => {
  kernel = debianKernel();
  checkout = mkdtempSync('/var/tmp/svmtest-checkout-');
  for (const part of PACKAGE_PARTS) cpSync(join(REPO_ROOT, part), join(checkout, part), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(checkout, 'node_modules'));
  await linkTree(join(REPO_ROOT, '.cache', 'debian-kernel'), join(checkout, '.cache', 'debian-kernel'));
  // The test program lives in the checkout too, as a user's own suite would.
  mkdirSync(join(checkout, 'programs'));
  program = join(checkout, 'programs', 'engine_tests');
  copyFileSync(await gtestProgram(), program);
  await execa('chmod', ['+x', program]);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (checkout?.startsWith('/var/tmp/svmtest-checkout-')) rmSync(checkout, { recursive: true, force: true });
});

describe('a checkout under /var/tmp', () => {
  it('svmtest demo (the Quick start) gives its verdict', async () => {
    const r = await svmtestIn(['demo']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/REGRESSION svm-demo\//);
    expect(r.stderr).toMatch(/reports in \/var\/tmp\/svmtest-checkout-/);
  }, 300_000);

  it('the QEMU target sees the checkout, its programs, its cache and its run directory at the same paths', async () => {
    const suite = join(checkout, 'suite.yaml');
    writeFileSync(suite, stringify({ name: 'fixture', kind: 'gtest', command: [program], timeout: 120 }));
    const out = join(checkout, 'reports', 'qemu');
    const r = await svmtestIn([
      'run',
      '--target',
      'qemu',
      '--kernel',
      kernel.kernel,
      '--modules',
      kernel.modules,
      '--suite-file',
      suite,
      '-o',
      out,
      '-f',
      'fixture/Basic.*',
    ]);
    expect(r.exitCode, r.stderr).toBe(1); // Basic.Fails fails
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
    expect(Object.fromEntries(run.tests.map((t) => [t.name, t.status]))).toMatchObject({
      'Basic.Passes': 'pass',
      'Basic.Fails': 'fail',
      'Basic.Skips': 'skip',
    });
  }, 300_000);

  it('--modules without modules.dep (a plain dpkg -x) is indexed in a cached copy; the given tree is not written', async () => {
    const plain = join(checkout, 'plain-modules');
    await linkTree(kernel.modules, plain);
    const tree = join(plain, 'lib', 'modules', kernel.release);
    for (const f of readdirSync(tree).filter((f) => f.startsWith('modules.') && f !== 'modules.order' && !f.startsWith('modules.builtin')))
      rmSync(join(tree, f));
    const config = join(checkout, 'kfd.yaml');
    writeFileSync(config, stringify({ qemu: { modprobe: ['amdgpu'], memory: 1024, bootTimeout: 240 }, variants: { cpukfd: { expect: { kfd: true } } } }));
    const suite = join(checkout, 'suite-kfd.yaml');
    writeFileSync(suite, stringify({ name: 'fixture', kind: 'gtest', command: [program], timeout: 120 }));
    const out = join(checkout, 'reports', 'plain-modules');
    const r = await svmtestIn([
      'run',
      '-c',
      config,
      '--variant',
      'cpukfd',
      '--target',
      'qemu',
      '--kernel',
      kernel.kernel,
      '--modules',
      plain,
      '--suite-file',
      suite,
      '-o',
      out,
      '-f',
      'fixture/Guest.Kfd',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/has no modules\.dep: indexing a copy with depmod/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
    expect(run.run.preflight!.find((c) => c.name === '/dev/kfd')).toMatchObject({ ok: true });
    // The booted kernel's config is read on the host, and the run says where it came from.
    expect(run.run.environment.kernelConfigSource).toBe(`host file ${join(kernel.kernel, '..', 'config')} (the booted kernel's build config)`);
    expect(run.run.environment.kernelConfig?.CONFIG_DRM_AMDGPU).toBe('m');
    expect(existsSync(join(tree, 'modules.dep'))).toBe(false);
  }, 300_000);
});
