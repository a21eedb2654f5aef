import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { REPO_ROOT, REAL_FIXTURES } from '../helpers/paths.js';

const EXAMPLES = join(REPO_ROOT, 'config', 'examples');

describe('svmtest CLI (built)', () => {
  it('--help lists every command with a one-line explanation', async () => {
    const r = await svmtest(['--help']);
    expect(r.exitCode).toBe(0);
    for (const cmd of ['parse', 'compare', 'report']) expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd} .+  \\S`));
  });

  it('exit codes have their own help topic; every --help names files that exist', async () => {
    const topic = await svmtest(['help', 'exit-codes']);
    expect(topic.exitCode, topic.stderr).toBe(0);
    for (const code of ['0', '1', '2', '3', '130']) expect(topic.stdout).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
    expect(topic.stdout).not.toMatch(/Commands:/);
    expect((await svmtest(['--help'])).stdout).toMatch(/svmtest help exit-codes/);
    for (const command of ['run', 'list', 'ci', 'bisect', 'compare', 'doctor', 'history', 'dashboard']) {
      const help = await svmtest([command, '--help']);
      for (const [, file] of help.stdout.matchAll(/\b((?:suites|config|docs|schema)\/[\w./-]+\.\w+)/g)) {
        expect(existsSync(join(REPO_ROOT, file!)), `${command} --help names ${file}`).toBe(true);
      }
    }
  });

  it('an unknown option is a usage error: exit 2, one line, no stack', async () => {
    const r = await svmtest(['compare', '--no-such-flag', 'a', 'b']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('compare on the shipped example runs: regressions exit 1 and the reports are written', async () => {
    const out = tempDir();
    const r = await svmtest([
      'compare',
      join(EXAMPLES, 'runs/legacy'),
      join(EXAMPLES, 'runs/gpusvm'),
      '-e',
      join(EXAMPLES, 'expectations'),
      '-o',
      out,
      '-r',
      'terminal,junit,markdown',
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/REGRESSION kfdtest\/KFDSVMRangeTest.MigrateLargeBufTest\/1 \(pass → fail\)/);
    expect(r.stdout).toMatch(/kernel: gpu-page-fault/);
    const comparison = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(comparison.counts).toMatchObject({ regression: 2, fixed: 1, flaky: 1, 'expected-fail': 2 });
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<failure message="regression:/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| regression \| 2 \|/);
    const never = await svmtest(['compare', join(EXAMPLES, 'runs/legacy'), join(EXAMPLES, 'runs/gpusvm'), '--fail-on', 'never', '-o', tempDir(), '-r', 'json']);
    expect(never.exitCode).toBe(0);
    expect(JSON.parse(never.stdout).kind).toBe('comparison');
  });

  it('report re-renders a saved comparison with the github reporter only under GitHub Actions', async () => {
    const out = tempDir();
    await svmtest(['compare', join(EXAMPLES, 'runs/legacy'), join(EXAMPLES, 'runs/gpusvm'), '-o', out, '-r', 'json']);
    const plain = await svmtest(['report', out, '-r', 'github']);
    expect(plain.stdout).toBe('');
    const gha = await svmtest(['report', out, '-r', 'github'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(gha.stdout).toMatch(/^::error title=regression%3A kfdtest\/KFDSVMRangeTest.MigrateLargeBufTest\/1::/m);
    const summary = join(out, 'step-summary.md');
    writeFileSync(summary, '');
    await svmtest(['report', out, '-r', 'markdown'], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(readFileSync(summary, 'utf8')).toMatch(/## svmtest: gpusvm vs legacy/);
  });

  it('bad inputs: one line naming the file and what was expected, exit 2', async () => {
    const dir = tempDir();
    const cases: Array<[string, string, RegExp]> = [
      ['missing.json', '', /missing.json: no such file or directory/],
      ['empty.json', '', /empty.json: is empty, expected a JSON run.json or comparison.json/],
      ['trunc.json', '{"schemaVersion": 1, "run": {', /trunc.json: is not valid JSON/],
      ['v2.json', '{"schemaVersion": 2}', /v2.json: schemaVersion is 2, this svmtest reads a run.json version 1/],
      [
        'badfield.json',
        JSON.stringify({
          ...JSON.parse(readFileSync(join(EXAMPLES, 'runs/legacy/run.json'), 'utf8')),
          tests: [{ suite: 'k', name: 'A.B', status: 'exploded', durationMs: 1, attempts: [], kernelEvents: [] }],
        }),
        /badfield.json: tests\[0\].status \(test k\/A.B\) must be one of pass, fail, skip, crash, timeout, notrun/,
      ],
    ];
    for (const [name, content, message] of cases) {
      if (name !== 'missing.json') writeFileSync(join(dir, name), content);
      const r = await svmtest(['report', join(dir, name)]);
      expect(r.exitCode, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
    }
  });

  it('refuses to compare a run with itself', async () => {
    const run = join(EXAMPLES, 'runs/legacy');
    const r = await svmtest(['compare', run, run, '-o', tempDir()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/same run as the baseline/);
  });
});

describe('svmtest parse', () => {
  it("records where the results came from: kernel, GPU families, commit and night; the start time is the files' own", async () => {
    const out = join(tempDir(), 'run.json');
    // gtest's XML timestamp carries no zone: it is read in the time zone svmtest runs in.
    const r = await svmtest(
      [
        'parse',
        join(REAL_FIXTURES, 'gtest-1.12/sample.xml'),
        '-s',
        'kfdtest',
        '--variant',
        'gpusvm',
        '--kernel-release',
        '6.18.0-gpusvm',
        '--gfx',
        'gfx942,gfx90a',
        '--commit',
        'a'.repeat(40),
        '--night',
        '2026-11-20',
        '-o',
        out,
      ],
      { env: { TZ: 'America/New_York' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    expect(run.run.startedAt).toBe('2026-11-25T18:01:23.435Z');
    expect(run.run.night).toBe('2026-11-20');
    expect(run.run.environment).toMatchObject({ kernelRelease: '6.18.0-gpusvm', kernelBuild: { commit: 'a'.repeat(40) } });
    expect(run.run.environment.gpus.map((g) => g.gfx)).toEqual(['gfx942', 'gfx90a']);
    // The history files it under the night given, with its kernel.
    const db = join(tempDir(), 'h.db');
    expect((await svmtest(['history', 'import', '--db', db, out])).exitCode).toBe(0);
    const trend = JSON.parse((await svmtest(['history', 'trend', '--db', db, '--json'])).stdout) as { items: Array<{ night: string; gfx: string }> };
    expect(trend.items[0]).toMatchObject({ night: '2026-11-20', gfx: 'gfx90a,gfx942' });
    for (const [flag, value, message] of [
      ['--gfx', 'vega', /--gfx "vega": expected a GPU family like gfx942/],
      ['--commit', 'HEAD', /--commit "HEAD": expected a git commit hash/],
      ['--night', '2026-13-40', /--night "2026-13-40": expected a date/],
      ['--kernel-release', '6.1 rc', /--kernel-release "6.1 rc": expected a release/],
    ] as const) {
      const bad = await svmtest(['parse', join(REAL_FIXTURES, 'gtest-1.12/sample.xml'), '-s', 'x', flag, value, '-o', join(tempDir(), 'r.json')]);
      expect(bad.exitCode, flag).toBe(2);
      expect(bad.stderr, flag).toMatch(message);
    }
  });

  it('merges outputs of several suites into one valid run', async () => {
    const out = tempDir();
    const r = await svmtest([
      'parse',
      join(REAL_FIXTURES, 'gtest-1.12/sample.xml'),
      join(REAL_FIXTURES, 'ctest-3.25-catch2-2.13/ctest-junit.xml'),
      join(REAL_FIXTURES, 'ctest-3.25-catch2-2.13/ctest-console.txt'),
      '--suite',
      'kfdtest',
      '--suite',
      'hip-tests',
      '--suite',
      'hip-tests',
      '--variant',
      'legacy',
      '-o',
      out,
    ]);
    expect(r.stderr).toMatch(/ctest-junit, 5 tests/);
    expect(r.exitCode).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.tests).toHaveLength(11);
    expect(run.tests.find((t: { name: string }) => t.name === 'shell_timeout').status).toBe('timeout');
    const shown = await svmtest(['report', out]);
    expect(shown.stdout).toMatch(/FAIL kfdtest\/KFDQMTest.SdmaConcurrentCopies/);
  });

  it('rejects binary, empty and unrecognised files with the file name', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bin.out'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
    writeFileSync(join(dir, 'prose.txt'), 'hello world\nnothing to see\n');
    for (const [file, message] of [
      ['bin.out', /bin.out: is a binary file/],
      ['prose.txt', /prose.txt: format not recognised; expected one of gtest-json, .* \(use --format to force one\)/],
    ] as const) {
      const r = await svmtest(['parse', join(dir, file), '--suite', 'x']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const forced = await svmtest(['parse', join(REAL_FIXTURES, 'gtest-1.12/console.txt'), '--suite', 'x', '--format', 'gtest-xml', '-o', dir]);
    expect(forced.exitCode).toBe(2);
    expect(forced.stderr).toMatch(/console.txt: line 1: not XML/);
  });
});
