import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// A six-patch series on Debian's linux-source-6.1 for svmtest bisect (its end-to-end test and its
// benchmark), each patch changing one thing test/fixtures/programs/bisect_tests.cc checks:
//   1 warns at boot (Series.NoLegacyWarning)   2 calls a function that does not exist: no build
//   3 adds it; it logs (Series.NoHelper)        4 sets a default domain name (Series.DomainName)
//   5 the README                                6 a comment
const GIT_ENV = { GIT_AUTHOR_NAME: 'A. Developer', GIT_AUTHOR_EMAIL: 'dev@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const INIT_START = /(static int __ref kernel_init\(void \*unused\)\n\{\n(?:\tint ret;\n)?)/;

/**
 * Commits the series in a scratch worktree of `linux` (at its `base` tag) and writes it to `mbox`,
 * threaded with a cover letter, as a mailing list has it.
 * @param {string} linux @param {string} scratch @param {string} mbox
 */
export async function makeBisectSeries(linux, scratch, mbox) {
  const wt = join(scratch, 'series-wt');
  await execa('git', ['-C', linux, 'worktree', 'add', '--detach', '--force', wt, 'base'], { env: GIT_ENV });
  /** @param {string} file @param {(text: string) => string} change */
  const edit = (file, change) => writeFileSync(join(wt, file), change(readFileSync(join(wt, file), 'utf8')));
  /** @param {string} subject */
  const commit = async (subject) => void (await execa('git', ['-C', wt, 'commit', '-q', '-a', '-m', subject], { env: GIT_ENV }));
  edit('init/main.c', (t) => t.replace(INIT_START, '$1\tpr_warn("svmtest-bisect: legacy path disabled\\n");\n'));
  await commit('init: warn at boot that the legacy path is disabled');
  edit('init/main.c', (t) => t.replace(INIT_START, '$1\tsvmtest_bisect_helper();\n'));
  await commit('init: call the bisect helper');
  edit('init/main.c', (t) =>
    t.replace(/(static int __ref kernel_init\(void \*unused\)\n)/, 'static void svmtest_bisect_helper(void)\n{\n\tpr_info("svmtest-bisect: helper ran\\n");\n}\n\n$1'),
  );
  await commit('init: add the bisect helper');
  edit('include/linux/uts.h', (t) => t.replace('#define UTS_DOMAINNAME "(none)"', '#define UTS_DOMAINNAME "svmtest-bisect"'));
  await commit('uts: set a default domain name');
  edit('README', (t) => `${t}\nThe bisect test series changes nothing else.\n`);
  await commit('README: describe the bisect test series');
  edit('init/main.c', (t) => t.replace(INIT_START, '$1\t/* the bisect test series ends here */\n'));
  await commit('init: mark the end of the series');
  const args = ['-C', wt, 'format-patch', '--stdout', '--thread', '--cover-letter', '--subject-prefix=PATCH v2', 'base..HEAD'];
  const text = (await execa('git', args, { env: GIT_ENV })).stdout;
  writeFileSync(mbox, `${text.replace('*** SUBJECT HERE ***', 'A series to bisect').replace('*** BLURB HERE ***', 'Six patches; one breaks the build, one a test.')}\n`);
  await execa('git', ['-C', linux, 'worktree', 'remove', '--force', wt]);
}

/**
 * The svmtest.yaml a bisect of that series uses: its kernel (tinyconfig + the QEMU fragment + what
 * the lab DUT needs), the series as the candidate's, and variants a tinyconfig kernel can satisfy.
 * @param {string} linux @param {string} mbox the series, relative to the config file
 */
export function bisectConfig(linux, mbox) {
  return {
    kernel: {
      repo: linux,
      base: 'base',
      series: [{ mbox }],
      baseConfig: 'tinyconfig',
      fragments: [join(REPO_ROOT, 'config', 'kernel', 'qemu-guest.config'), join(REPO_ROOT, 'test', 'lab', 'lab-kernel.config')],
      modules: false,
    },
    baseline: 'legacy',
    candidate: 'gpusvm',
    // A tinyconfig kernel has no KFD: preflight proves the kernel, not a GPU.
    variants: { legacy: { build: { series: false }, expect: { kfd: false } }, gpusvm: { build: { series: true }, expect: { kfd: false } } },
    qemu: { memory: 512, accel: 'tcg', bootTimeout: 120 },
    run: { retries: 0, killGrace: 1 },
  };
}
