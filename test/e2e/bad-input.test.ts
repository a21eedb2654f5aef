import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonFile } from '../../src/model/comparison.js';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { makeRun, result } from '../helpers/runs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { GROUPS_DIR_PREFIX, sweepCommand } from '../../src/targets/ssh/remote-shell.js';

// Bad input is an input error: exit 2 and one line naming the file, line or flag — never a stack
// trace, never "internal error" (exit 3), never the content of a file that is not a run file.
let dir: string;
let config: string;
let suite: string;

beforeAll(async () => {
  const program = await gtestProgram();
  dir = tempDir('svmtest-badinput-');
  config = writeConfig(dir);
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program] });
}, SETUP_TIMEOUT_MS);

/** An input error found after progress lines (a worktree prepared): exit 2, the error alone on the last line. */
function expectLastLineInputError(r: { exitCode?: number; stderr: string }, pattern: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr.trim().split('\n').at(-1), r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

function expectInputError(r: { exitCode?: number; stderr: string }, pattern: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

function writeRunFile(name: string, run: RunFile): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

const BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
].join('\n');

describe('bad input exits 2 with one line', () => {
  it('a YAML alias bomb in a config or suite file names the file', async () => {
    const bomb = join(dir, 'bomb.yaml');
    writeFileSync(bomb, `${BOMB}\n`);
    expectInputError(await svmtest(['list', '-c', bomb, '--suite-file', suite]), new RegExp(`${bomb}: YAML aliases expand too much`));
    expectInputError(await svmtest(['list', '-c', config, '--suite-file', bomb]), new RegExp(`${bomb}: YAML aliases expand too much`));
  });

  it('XML nested 10⁵ deep is refused, not a stack overflow', async () => {
    const deep = join(dir, 'deep.xml');
    writeFileSync(deep, `<testsuites>${'<testsuite>'.repeat(100_000)}${'</testsuite>'.repeat(100_000)}</testsuites>`);
    expectInputError(
      await svmtest(['parse', deep, '--suite', 'x', '-o', join(dir, 'deep-out')]),
      /deep\.xml: line 1: not well-formed XML \(.*nested deeper than 256 levels\)/,
    );
  });

  it('inputs too large to hold are refused by size before reading', async () => {
    const big = join(dir, 'big.json');
    await execa('truncate', ['-s', '300M', big]); // sparse: nothing is written, nothing must be read
    const started = Date.now();
    expectInputError(await svmtest(['compare', big, big]), /big\.json: is 300 MiB, more than the 256 MiB svmtest reads/);
    expect(Date.now() - started).toBeLessThan(5000);
    const text = join(dir, 'big.txt');
    writeFileSync(text, '[ RUN      ] A.B\n'.repeat(200_000));
    expectInputError(await svmtest(['parse', text, '--suite', 'x'], { env: { SVMTEST_MAX_INPUT_MIB: '1' } }), /big\.txt: is 3 MiB, more than the 1 MiB/);
  });

  it('a run.json that is a directory, FIFO or device is refused (a link to /dev/zero does not grow)', async () => {
    const good = writeRunFile('good.json', makeRun('legacy', [result('s', 'A.b', 'pass')]));
    mkdirSync(join(dir, 'emptydir'));
    expectInputError(await svmtest(['compare', join(dir, 'emptydir'), good]), /emptydir\/run\.json: no such file/);
    await execa('mkfifo', [join(dir, 'fifo.json')]);
    expectInputError(await svmtest(['compare', join(dir, 'fifo.json'), good]), /fifo\.json: is not a regular file/);
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    expectInputError(await svmtest(['compare', join(dir, 'zero.json'), good]), /zero\.json: is not a regular file/);
  });

  it('an error never shows the content of a file that is not a run file', async () => {
    const secret = join(dir, 'shadow');
    writeFileSync(secret, 'root:$6$TOPSECRETHASH:19000:0:99999:7:::\n');
    symlinkSync(secret, join(dir, 'shadow-run.json'));
    const good = writeRunFile('good2.json', makeRun('legacy', [result('s', 'A.b', 'pass')]));
    for (const r of [
      await svmtest(['compare', join(dir, 'shadow-run.json'), good]),
      await svmtest(['parse', secret, '--suite', 'x', '--format', 'gtest-xml']),
      await svmtest(['parse', secret, '--suite', 'x', '--format', 'gtest-json']),
      await svmtest(['report', join(dir, 'shadow-run.json')]),
    ]) {
      expect(r.exitCode).toBe(2);
      expect(r.stderr).not.toMatch(/TOPSECRET|root:/);
    }
  });

  it('--variant __proto__ or constructor lists the known variants', async () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      expectInputError(
        await svmtest(['list', '--variant', name, '--suite-file', suite]),
        new RegExp(`--variant "${name}": not defined in .*default\\.yaml; known variants: legacy, gpusvm`),
      );
    }
  });

  it('numbers out of range are refused while the flags are read', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--retries', '1e9'], /--retries <n>' argument '1e9' is invalid. expected a whole number from 0 to 100/],
      [['--timeout', '0'], /--timeout <seconds>' argument '0' is invalid. expected a number greater than 0/],
      [['--run-timeout', '-5'], /--run-timeout <seconds>' argument '-5' is invalid/],
      [['--jobs', '0'], /--jobs <n>' argument '0' is invalid/],
      [['--max-reboots', 'NaN'], /--max-reboots <n>' argument 'NaN' is invalid/],
    ];
    for (const [flags, pattern] of cases)
      expectInputError(await svmtest(['run', '-c', config, '--suite-file', suite, '-o', join(dir, 'never'), ...flags]), pattern);
  });

  it('non-finite durations in a report are an input error naming the test', async () => {
    const xml = join(dir, 'inf.xml');
    writeFileSync(xml, '<testsuites><testsuite name="S"><testcase name="t" classname="S" time="1e400"/></testsuite></testsuites>');
    expectInputError(
      await svmtest(['parse', xml, '--suite', 'x', '-o', join(dir, 'inf')]),
      /inf\.xml: test S\.t: duration "1e400" is not a finite number of seconds/,
    );
    const json = join(dir, 'nan.json');
    writeFileSync(
      json,
      JSON.stringify({ testsuites: [{ name: 'S', testsuite: [{ name: 't', classname: 'S', status: 'RUN', result: 'COMPLETED', time: 'NaNs' }] }] }),
    );
    expectInputError(await svmtest(['parse', json, '--suite', 'x', '-o', join(dir, 'nan')]), /nan\.json: test S\.t: duration "NaNs"/);
  });

  it('a --filter that selects nothing names the filter and shows the suite/Test.* form', async () => {
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', join(dir, 'nothing'), '-f', 'KFDSVM*']);
    expectInputError(r, /--filter "KFDSVM\*" selects no test of fixture; filters match suite\/name, e.g\. fixture\/Basic\.\*/);
    expectInputError(await svmtest(['list', '-c', config, '--suite-file', suite, '-f', '-fixture/*']), /--filter "-fixture\/\*" selects no test/);
  });

  it('a run.json holding one test twice is refused, naming it', async () => {
    const dup = writeRunFile('dup.json', makeRun('gpusvm', [result('s', 'A.b', 'pass'), result('s', 'A.b', 'fail')]));
    const base = writeRunFile('base.json', makeRun('legacy', [result('s', 'A.b', 'pass')]));
    expectInputError(await svmtest(['compare', base, dup]), /dup\.json: tests\[1\] \(s\/A\.b\) appears twice/);
  });

  it('durationMs 1e400 and a startedAt that is no date are input errors at every reader (report, compare, merge, history import)', async () => {
    const good = writeRunFile('good.json', makeRun('legacy', [result('s', 'A.b', 'pass')]));
    const text = JSON.stringify(makeRun('gpusvm', [result('s', 'A.b', 'pass')])).replace('"durationMs":1,', '"durationMs":1e400,');
    const infinite = join(dir, 'infinite.json');
    writeFileSync(infinite, text);
    const undated = writeRunFile('undated.json', makeRun('gpusvm', [result('s', 'A.b', 'pass')], { startedAt: 'zzzz-99-99T' }));
    for (const args of [
      ['report', infinite],
      ['compare', good, infinite],
      ['merge', infinite, '-o', join(dir, 'merged')],
    ])
      expectInputError(await svmtest(args), /infinite\.json: tests\[0\]\.durationMs is not a finite number/);
    for (const args of [
      ['report', undated],
      ['compare', good, undated],
      ['history', 'import', undated, '--db', join(dir, 'h.db')],
    ])
      expectInputError(await svmtest(args), /undated\.json: run\.startedAt is not an RFC 3339 date-time/);
  });
});

describe('svmtest bisect: what it cannot bisect is one line, exit 2, before anything is built', () => {
  it('no kernel section, a test without its suite, a target that boots nothing, a good that is no commit, a resume of nothing', async () => {
    expectInputError(
      await svmtest(['bisect', '-c', config, '-t', 'fixture/Basic.Passes', '-o', join(dir, 'b1')]),
      /needs a kernel: section \(repo, base, series\)/,
    );
    expectInputError(await svmtest(['bisect', '-c', config, '-t', 'Basic.Passes', '-o', join(dir, 'b2')]), /--test Basic\.Passes: expected SUITE\/TEST/);
    expectInputError(await svmtest(['bisect', '-c', config, '-o', join(dir, 'b3')]), /needs the test that regressed: --test SUITE\/TEST/);
    expectInputError(await svmtest(['bisect', '--resume', join(dir, 'nothing-here')]), /--resume .*nothing-here: no such directory/);
    expectInputError(await svmtest(['bisect', '-c', config, '-t', 'fixture/Basic.Passes', '--runs', '0']), /--runs/);
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    for (const args of [
      ['init', '-q'],
      ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'base'],
    ])
      await execa('git', ['-C', repo, ...args]);
    const withKernel = join(dir, 'kernel.yaml');
    writeFileSync(withKernel, `kernel:\n  repo: ${repo}\n  base: HEAD\nbaseline: legacy\ncandidate: gpusvm\nvariants:\n  legacy: {}\n  gpusvm: {}\n`);
    expectInputError(
      await svmtest(['bisect', '-c', withKernel, '-t', 'fixture/Basic.Passes', '--target', 'host', '-o', join(dir, 'b4')], {
        env: { SVMTEST_CACHE: join(dir, 'cache') },
      }),
      /--target host: bisect boots each step's kernel; use a target that boots one \(qemu, ssh, lava\)/,
    );
    expectLastLineInputError(
      await svmtest(['bisect', '-c', withKernel, '-t', 'fixture/Basic.Passes', '--target', 'qemu', '--good', 'no-such-ref', '-o', join(dir, 'b5')], {
        env: { SVMTEST_CACHE: join(dir, 'cache') },
      }),
      /^svmtest: --good no-such-ref: not a commit of .*repo, nor of the series applied on its base/,
    );
    expectLastLineInputError(
      await svmtest(['bisect', '-c', withKernel, '-t', 'fixture/Basic.Passes', '--target', 'qemu', '-o', join(dir, 'b6')], {
        env: { SVMTEST_CACHE: join(dir, 'cache') },
      }),
      /good and bad are the same commit/,
    );
  });
});

describe('verdicts cannot lie', () => {
  it('two runs with the same proof are refused; --allow-same-variant says so at the top of every report', async () => {
    const env = { kernelRelease: '6.18.0', kernelVersion: '#1 SMP', kernelConfig: { CONFIG_DRM_AMDGPU_SVM: 'y' }, gpus: [] };
    const a = writeRunFile('same-a.json', makeRun('gpusvm', [result('s', 'A.b', 'pass')], { environment: env }));
    const b = writeRunFile('same-b.json', makeRun('gpusvm', [result('s', 'A.b', 'fail')], { environment: env }));
    expectInputError(
      await svmtest(['compare', a, b]),
      /both runs are variant "gpusvm" on kernel 6\.18\.0 \(#1 SMP\) with the same kernel config.*--allow-same-variant/,
    );
    const out = join(dir, 'same-cmp');
    const r = await svmtest(['compare', a, b, '--allow-same-variant', '-o', out, '-r', 'terminal,markdown,junit']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^WARNING: --allow-same-variant: both runs are variant "gpusvm"/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8').split('\n')[0]).toMatch(/^> \*\*Warning:\*\* --allow-same-variant/);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<property name="warning" value="--allow-same-variant/);
    // Another kernel build of the same variant is a real comparison.
    const c = writeRunFile('same-c.json', makeRun('gpusvm', [result('s', 'A.b', 'fail')], { environment: { ...env, kernelVersion: '#2 SMP' } }));
    expect((await svmtest(['compare', a, c, '-o', join(dir, 'other-build')])).exitCode).toBe(1);
  });

  it('report re-checks a comparison against its runs: edited verdicts or counts, or changed runs, are refused; absent runs are said', async () => {
    const cmpDir = join(dir, 'recheck');
    mkdirSync(join(cmpDir, 'legacy'), { recursive: true });
    mkdirSync(join(cmpDir, 'gpusvm'), { recursive: true });
    const base = join(cmpDir, 'legacy', 'run.json');
    const cand = join(cmpDir, 'gpusvm', 'run.json');
    writeFileSync(base, JSON.stringify(makeRun('legacy', [result('s', 'A.a', 'pass'), result('s', 'A.b', 'pass')])));
    writeFileSync(cand, JSON.stringify(makeRun('gpusvm', [result('s', 'A.a', 'fail'), result('s', 'A.b', 'pass')])));
    expect((await svmtest(['compare', base, cand, '-o', cmpDir, '-r', 'json'])).exitCode).toBe(1);
    const file = join(cmpDir, 'comparison.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as ComparisonFile;
    expect(saved.inputs?.baseline.path).toBe(join('legacy', 'run.json'));
    expect((await svmtest(['report', cmpDir])).exitCode).toBe(0);

    const edit = (name: string, change: (c: ComparisonFile) => ComparisonFile) => {
      const edited = join(cmpDir, name);
      writeFileSync(edited, JSON.stringify(change(JSON.parse(readFileSync(file, 'utf8')) as ComparisonFile)));
      return edited;
    };
    const asPass = edit('as-pass.json', (c) => ({ ...c, entries: c.entries.map((e) => ({ ...e, verdict: 'pass' as const })) }));
    expectInputError(
      await svmtest(['report', asPass]),
      /s\/A\.a is "pass" in the comparison, but its runs and expectations give "regression"; the file was edited/,
    );
    const counts = edit('counts.json', (c) => ({ ...c, counts: { ...c.counts, regression: 0, pass: 2 } }));
    expectInputError(await svmtest(['report', counts]), /counts\.regression is not what its entries and runs give \(1\)/);

    const copy = join(cmpDir, 'elsewhere');
    mkdirSync(copy);
    writeFileSync(join(copy, 'comparison.json'), readFileSync(file));
    const alone = await svmtest(['report', copy, '-r', 'terminal']);
    expect(alone.exitCode, alone.stderr).toBe(0);
    expect(alone.stdout.split('\n')[0]).toMatch(/^WARNING: the verdicts could not be re-checked: .*legacy\/run\.json is not there/);

    writeFileSync(cand, JSON.stringify(makeRun('gpusvm', [result('s', 'A.a', 'pass'), result('s', 'A.b', 'pass')])));
    expectInputError(await svmtest(['report', cmpDir]), /gpusvm\/run\.json changed since the comparison was made/);
  });

  it('ci with the same baseline and candidate is refused before anything runs', async () => {
    const same = join(dir, 'same-ci.yaml');
    writeFileSync(same, `baseline: gpusvm\ncandidate: gpusvm\nvariants: { gpusvm: {} }\n`);
    const out = join(dir, 'same-ci-out');
    const started = Date.now();
    expectInputError(await svmtest(['ci', '-c', same, '--suite-file', suite, '-o', out]), /baseline and candidate are both "gpusvm"/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(() => readFileSync(join(out, 'gpusvm', 'journal.jsonl'))).toThrow();
  });
});

describe('output paths and the environment: one line naming what is wrong', () => {
  const aRun = () => writeRunFile('for-summary.json', makeRun('legacy', [result('s', 'T.a', 'pass')]));

  it('$GITHUB_STEP_SUMMARY that is a FIFO (with or without a reader) or in a missing directory: exit 2 at once, never a hang', async () => {
    const fifo = join(dir, 'summary-fifo');
    await execa('mkfifo', [fifo]);
    const run = aRun();
    const started = Date.now();
    const noReader = await svmtest(['report', run, '-r', 'markdown'], { env: { GITHUB_STEP_SUMMARY: fifo } });
    expectInputError(noReader, /\$GITHUB_STEP_SUMMARY \(.*summary-fifo\): is a FIFO or device with no reader/);
    const reader = execa('cat', [fifo], { reject: false });
    await new Promise((r) => setTimeout(r, 200));
    const withReader = await svmtest(['report', run, '-r', 'markdown'], { env: { GITHUB_STEP_SUMMARY: fifo } });
    expectInputError(withReader, /summary-fifo\): is not a regular file \(a FIFO, device or socket\); nothing was appended/);
    reader.kill();
    expect(Date.now() - started).toBeLessThan(20_000);
    const missing = await svmtest(['report', run, '-r', 'markdown'], { env: { GITHUB_STEP_SUMMARY: join(dir, 'no-such-dir', 'summary') } });
    expectInputError(missing, /no-such-dir\/summary\): no such file or directory/);
  });

  it('an output directory that cannot be made is one line: a file on the way (exit 2), a read-only disk (exit 3)', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const run = aRun();
    expectInputError(
      await svmtest(['report', run, '-r', 'markdown', '-o', join(file, 'out')]),
      /plain-file\/out\/summary\.md: a part of the path is a file, not a directory \(ENOTDIR/,
    );
    expectInputError(
      await svmtest(['run', '-c', config, '--suite-file', suite, '-f', 'fixture/Basic.Passes', '-o', join(file, 'run')]),
      /plain-file\/run.*: a part of the path is a file, not a directory/,
    );
    const ro = join(dir, 'readonly');
    mkdirSync(ro, { recursive: true });
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { reject: false });
    if (mounted.exitCode !== 0) throw new Error(`the read-only disk test mounts a tmpfs and needs root: ${mounted.stderr}`);
    try {
      const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-f', 'fixture/Basic.Passes', '-o', ro]);
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/read-only file system: cannot write .*readonly\/run\.lock \(EROFS\)/);
    } finally {
      await execa('umount', [ro], { reject: false });
    }
  });

  it('environment variables are checked like flags: a bad SVMTEST_MAX_INPUT_MIB, SVMTEST_CACHE or SVMTEST_DEBUG is exit 2', async () => {
    const run = aRun();
    for (const value of ['abc', '-1', '0', '1.5', '']) {
      const r = await svmtest(['report', run], { env: { SVMTEST_MAX_INPUT_MIB: value } });
      if (value === '') expect(r.exitCode, r.stderr).toBe(0);
      else expectInputError(r, new RegExp(`SVMTEST_MAX_INPUT_MIB="${value.replace('.', '\\.')}": expected a whole number of MiB`));
    }
    expectInputError(
      await svmtest(['report', run], { env: { SVMTEST_CACHE: 'relative/dir' } }),
      /SVMTEST_CACHE="relative\/dir": expected an absolute directory path/,
    );
    expectInputError(await svmtest(['report', run], { env: { SVMTEST_DEBUG: 'yes' } }), /SVMTEST_DEBUG="yes": expected 1 \(on\) or 0 \(off\)/);
    expect((await svmtest(['report', run], { env: { SVMTEST_MAX_INPUT_MIB: '1' } })).exitCode).toBe(0);
  });

  it('merge refuses a shard 5/2', async () => {
    const bad = writeRunFile('shard-5-of-2.json', makeRun('legacy', [result('s', 'T.a', 'pass')], { shard: { index: 5, total: 2 } }));
    const good = writeRunFile('shard-1-of-2.json', makeRun('legacy', [result('s', 'T.b', 'pass')], { shard: { index: 1, total: 2 } }));
    expectInputError(
      await svmtest(['merge', good, bad, '-o', join(dir, 'merged-5-2')]),
      /shard-5-of-2\.json: run\.shard is 5\/2; expected i\/n with 1 ≤ i ≤ n/,
    );
  });
});

describe("a DUT's process-group records cannot be planted by another user", () => {
  it("the sweep kills a group its own user recorded, and ignores a records directory that is a symlink or not that user's (needs root to act as another user)", async () => {
    if (process.getuid?.() !== 0) throw new Error('this test plants files as root and sweeps as nobody: run it as root (CI does)');
    const nobody = '65534';
    const dirOf = `${GROUPS_DIR_PREFIX}${nobody}`;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const asNobody = ['--reuid', nobody, '--regid', nobody, '--clear-groups'];
    const [shell, ...args] = sweepCommand();
    const sweep = () => execa('setpriv', [...asNobody, shell!, ...args], { reject: false });
    const planted = join(dir, 'planted-records');
    mkdirSync(planted, { recursive: true });
    const victim = execa('setsid', ['sleep', '60'], { reject: false });
    const own = execa('setpriv', [...asNobody, 'setsid', 'sleep', '60'], { reject: false });
    await new Promise((r) => setTimeout(r, 300));
    try {
      for (const plant of ['symlink', 'root-owned'] as const) {
        await execa('rm', ['-rf', dirOf]);
        writeFileSync(join(planted, String(victim.pid)), '999999999\n');
        if (plant === 'symlink') symlinkSync(planted, dirOf);
        else {
          mkdirSync(dirOf, { mode: 0o777 });
          writeFileSync(join(dirOf, String(victim.pid)), '999999999\n');
        }
        const r = await sweep();
        expect(r.stdout, plant).not.toMatch(/swept/);
        expect(alive(victim.pid!), `${plant}: the planted group was killed`).toBe(true);
      }
      // The sweep does act on its own user's records: a group whose guard is gone.
      await execa('rm', ['-rf', dirOf]);
      mkdirSync(dirOf, { mode: 0o700 });
      writeFileSync(join(dirOf, String(own.pid)), '999999999\n');
      await execa('chown', ['-R', `${nobody}:${nobody}`, dirOf]);
      const r = await sweep();
      expect(r.stdout).toContain(`swept ${own.pid}`);
      for (let i = 0; i < 30 && alive(own.pid!); i++) await new Promise((res) => setTimeout(res, 100));
      expect(alive(own.pid!)).toBe(false);
    } finally {
      await execa('rm', ['-rf', dirOf]);
      victim.kill('SIGKILL');
      own.kill('SIGKILL');
    }
  });
});

describe('permission denied is one line naming the path', () => {
  it('a run directory and a history store svmtest may not write: exit 2, never "internal error" (as nobody, on a copy of the package)', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test runs svmtest as nobody: run it as root (CI does)');
    // A copy nobody can read: the checkout itself may sit under a mode-0700 directory.
    const pkg = mkdtempSync('/tmp/svmtest-asnobody-');
    chmodSync(pkg, 0o755);
    try {
      for (const part of ['bin', 'dist', 'schema', 'suites', 'config', 'assets', 'package.json']) await execa('cp', ['-a', join(REPO_ROOT, part), pkg]);
      await execa('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules')]);
      await execa('chmod', ['-R', 'a+rX', pkg]);
      const locked = mkdtempSync('/tmp/svmtest-locked-');
      chmodSync(locked, 0o755); // root's: nobody may not write here
      const store = join(locked, 'history.db');
      writeFileSync(store, '');
      chmodSync(store, 0o644);
      const asNobody = (args: string[]) =>
        execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, join(pkg, 'bin', 'svmtest.js'), ...args], {
          reject: false,
          cwd: '/tmp',
          env: { NO_COLOR: '1', HOME: '/tmp', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' },
        });
      const run = await asNobody(['run', '--suite-file', join(pkg, 'suites', 'kfdtest.yaml'), '-o', join(locked, 'out')]);
      expectInputError(run, new RegExp(`${locked}/out.*: permission denied \\(EACCES`));
      const imported = await asNobody(['history', 'import', '--db', store, join(pkg, 'config', 'examples', 'runs', 'legacy')]);
      expect(imported.exitCode, imported.stderr).toBe(2);
      expect(imported.stderr.trim().split('\n')).toHaveLength(1);
      expect(imported.stderr).toMatch(new RegExp(`${locked}/history\\.db.*(permission denied|readonly|read-only)`, 'i'));
      expect(imported.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      await execa('rm', ['-rf', pkg]);
    }
  }, 60_000);
});
