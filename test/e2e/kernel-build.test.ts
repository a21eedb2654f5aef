import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { svmtest, tempDir } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeSuiteFile } from '../helpers/suite-files.js';

// A real kernel (Debian's linux-source-6.1, tinyconfig + the project's QEMU fragment), a real
// two-patch series made here with git, both variants built and booted.
const LINUX = process.env.SVMTEST_TEST_LINUX ?? join(REPO_ROOT, '.cache', 'linux-source', 'linux');
const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

let dir: string;
let config: string;
let cache: string;
let program: string;

async function makeSeries(out: string): Promise<void> {
  const wt = join(dir, 'series-wt');
  await execa('git', ['-C', LINUX, 'worktree', 'add', '--detach', '--force', wt, 'base'], { env });
  const kconfig = join(wt, 'init', 'Kconfig');
  writeFileSync(
    kconfig,
    `${readFileSync(kconfig, 'utf8')}
config SVMTEST_DEMO
	bool "svmtest demo option"
	default n
	help
	  Prints a line at boot (svmtest's kernel-build test).

config SVMTEST_DEMO_NEEDS_MISSING
	bool "svmtest option whose dependency can never be met"
	depends on SVMTEST_DEMO && SVMTEST_NEVER_DEFINED
`,
  );
  await execa('git', ['-C', wt, 'commit', '-q', '-am', 'init: add CONFIG_SVMTEST_DEMO'], { env });
  const main = join(wt, 'init', 'main.c');
  const text = readFileSync(main, 'utf8').replace(
    /(static int __ref kernel_init\(void \*unused\)\n\{\n(?:\tint ret;\n)?)/,
    `$1#ifdef CONFIG_SVMTEST_DEMO\n\tpr_info("svmtest: demo option is on\\n");\n#endif\n`,
  );
  writeFileSync(main, text);
  await execa('git', ['-C', wt, 'commit', '-q', '-am', 'init: print a line at boot when CONFIG_SVMTEST_DEMO is set'], { env });
  const mbox = (await execa('git', ['-C', wt, 'format-patch', '--stdout', 'base..HEAD'], { env })).stdout;
  writeFileSync(out, `${mbox}\n`);
  await execa('git', ['-C', LINUX, 'worktree', 'remove', '--force', wt], { env });
}

beforeAll(async () => {
  if (!existsSync(join(LINUX, '.git'))) throw new Error(`no kernel source at ${LINUX}: run bash scripts/fetch-linux-source.sh .cache/linux-source`);
  program = await gtestProgram();
  dir = tempDir('svmtest-kbuild-');
  cache = inject('kernelCache');
  await makeSeries(join(dir, 'series.mbox'));
  config = join(dir, 'build.yaml');
  writeFileSync(
    config,
    stringify({
      kernel: {
        repo: LINUX,
        base: 'base',
        series: [{ mbox: 'series.mbox' }],
        baseConfig: 'tinyconfig',
        // The bisect test's kernel config: with the shared cache, the second of the two tests builds little.
        fragments: [join(REPO_ROOT, 'config', 'kernel', 'qemu-guest.config'), join(REPO_ROOT, 'test', 'lab', 'lab-kernel.config')],
        modules: false,
      },
      baseline: 'legacy',
      candidate: 'gpusvm',
      variants: {
        legacy: { build: { series: false } },
        gpusvm: { build: { series: true, kconfig: { SVMTEST_DEMO: 'y' } } },
        broken: { build: { series: true, kconfig: { SVMTEST_DEMO: 'y', SVMTEST_DEMO_NEEDS_MISSING: 'y' } } },
      },
      qemu: { memory: 512, accel: 'tcg', bootTimeout: 120 },
      run: { retries: 0, killGrace: 1 },
    }),
  );
}, SETUP_TIMEOUT_MS);

describe('svmtest build on a real kernel', () => {
  it('a requested option whose dependency is missing fails the build, naming both', async () => {
    const r = await svmtest(['build', '-c', config, '--variant', 'broken'], { env: { SVMTEST_CACHE: cache } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(
      /CONFIG_SVMTEST_DEMO_NEEDS_MISSING=y was requested but the resulting config has CONFIG_SVMTEST_DEMO_NEEDS_MISSING=n: it depends on \(SVMTEST_DEMO && SVMTEST_NEVER_DEFINED\), and CONFIG_SVMTEST_NEVER_DEFINED is not set/,
    );
  }, 600_000);

  it('builds both variants: the option survived in one and is absent in the other; a second build is a cache hit; each boots in QEMU', async () => {
    const r = await svmtest(['build', '-c', config, '--json'], { env: { SVMTEST_CACHE: cache } });
    expect(r.exitCode, r.stderr).toBe(0);
    const built = JSON.parse(r.stdout) as Array<{ variant: string; kernel: { kernel: string; config: string; manifest: string; cacheHit: boolean } }>;
    const legacy = built.find((b) => b.variant === 'legacy')!.kernel;
    const gpusvm = built.find((b) => b.variant === 'gpusvm')!.kernel;
    expect(readFileSync(gpusvm.config, 'utf8')).toMatch(/^CONFIG_SVMTEST_DEMO=y$/m);
    expect(readFileSync(legacy.config, 'utf8')).not.toMatch(/SVMTEST_DEMO/);
    const manifest = JSON.parse(readFileSync(gpusvm.manifest, 'utf8'));
    expect(manifest.inputs.series).not.toBe('none');
    expect(manifest.toolchain).toMatch(/gcc/);

    const started = Date.now();
    const again = await svmtest(['build', '-c', config, '--json'], { env: { SVMTEST_CACHE: cache } });
    // No make at all: even a relink takes minutes here. Seconds, with the other lane's TCG guest beside it (6.3 s seen).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((JSON.parse(again.stdout) as Array<{ kernel: { cacheHit: boolean } }>).every((b) => b.kernel.cacheHit)).toBe(true);

    const suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
    for (const [variant, kernel] of [
      ['legacy', legacy],
      ['gpusvm', gpusvm],
    ] as const) {
      const out = join(dir, `boot-${variant}`);
      const boot = await svmtest(
        ['run', '-c', config, '--suite-file', suite, '--target', 'qemu', '--kernel', kernel.kernel, '-o', out, '-f', 'fixture/Basic.Passes'],
        { env: { SVMTEST_CACHE: cache } },
      );
      const consoleLog = readFileSync(join(out, 'console.log'), 'utf8');
      expect(boot.exitCode, `${boot.stderr}\n${consoleLog.slice(-2000)}`).toBe(0);
      // The fragment's PVH entry: QEMU booted the ELF unpacked from the gzip bzImage, not the bzImage.
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { run: { notes?: string[] } };
      expect(run.run.notes).toContain('kernel booted through its PVH entry (its ELF, unpacked once from the bzImage into the cache)');
      expect(consoleLog).toMatch(/-kernel \S+\/kernels\/vmlinux-[0-9a-f]{16} /);
      if (variant === 'gpusvm') expect(consoleLog).toMatch(/svmtest: demo option is on/);
      else expect(consoleLog).not.toMatch(/svmtest: demo option is on/);
    }
  }, 3_600_000); // the run's one cold kernel build, beside the other test lane: ~30 min on 2 cores
});
