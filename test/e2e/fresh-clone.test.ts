import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';
import { SETUP_TIMEOUT_MS } from '../helpers/programs.js';

// A fresh clone inside a mode-0700 directory (what `mktemp -d` makes, and what /root is), with
// ../shared beside it: nothing another user must read (a DUT login's authorized_keys, the
// programs it runs) may live under such a checkout, and a unit test needs nothing fetched.
let parent: string;
let clone: string;

const run = (file: string, args: readonly string[], env: Record<string, string> = {}, timeout = 900_000) =>
  execa(file, args, { cwd: clone, reject: false, timeout, env: { NO_COLOR: '1', CI: 'true', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', ...env } });

beforeAll(async () => {
  parent = mkdtempSync('/tmp/svmtest-private-');
  expect(statSync(parent).mode & 0o777).toBe(0o700);
  clone = join(parent, 'svmtest');
  const cloned = await execa('git', ['clone', '--quiet', REPO_ROOT, clone], { reject: false });
  if (cloned.exitCode !== 0) throw new Error(`git clone ${REPO_ROOT}: ${cloned.stderr}`);
  symlinkSync(join(REPO_ROOT, '..', 'shared'), join(parent, 'shared'));
  // npm ci's result, hard-linked: the registry is not what this test is about.
  const linked = await execa('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules')], { reject: false });
  if (linked.exitCode !== 0) throw new Error(`cp -al node_modules: ${linked.stderr}`);
  const built = await run('npm', ['run', 'build']);
  if (built.exitCode !== 0) throw new Error(`npm run build in the clone: ${built.stdout}${built.stderr}`);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (parent?.startsWith('/tmp/svmtest-private-')) rmSync(parent, { recursive: true, force: true });
});

describe('a fresh clone in a mode-0700 directory', () => {
  it('the unit tests pass with nothing fetched (no .cache/)', async () => {
    expect(existsSync(join(clone, '.cache'))).toBe(false);
    const r = await run('npx', ['vitest', 'run', 'test/unit']);
    expect(r.exitCode, `${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`).toBe(0);
  }, 600_000);

  it('the Quick start demo gives its verdict', async () => {
    // Debian's kernel as scripts/fetch-debian-kernel.sh left it in the main checkout (hard links).
    mkdirSync(join(clone, '.cache'), { recursive: true });
    await execa('cp', ['-al', join(REPO_ROOT, '.cache', 'debian-kernel'), join(clone, '.cache', 'debian-kernel')]);
    const r = await run(process.execPath, ['bin/svmtest.js', 'demo', '--install-deps'], { SVMTEST_CACHE: join(clone, '.cache', 'svmtest') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/REGRESSION svm-demo\//);
  }, 600_000);

  it("the SSH lab's non-root login with sudo works from here (its keys and programs are where it can read them)", async () => {
    chmodSync(parent, 0o700);
    const r = await run('npx', ['vitest', 'run', 'test/e2e/ssh-lab.test.ts', '-t', 'non-root login with passwordless sudo'], {
      SVMTEST_TEST_KERNEL_DIR: join(REPO_ROOT, '.cache', 'debian-kernel'),
    });
    expect(r.exitCode, `${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`).toBe(0);
    expect(r.stdout).toMatch(/\b1 passed, 0 failed/);
  }, 900_000);
});
