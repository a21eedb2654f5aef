import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunFile, TestResult } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

let program: string;
let dir: string;
let suiteFile: string;
let config: string;

beforeAll(async () => {
  program = await gtestProgram();
  dir = tempDir('svmtest-engine-');
  suiteFile = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 20 });
  config = writeConfig(dir);
}, SETUP_TIMEOUT_MS);

function readRunFile(out: string): RunFile {
  return JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
}

function byName(run: RunFile): Map<string, TestResult> {
  return new Map(run.tests.map((t) => [t.name, t]));
}

/** Running, as opposed to gone or a zombie waiting for a reaper. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const canWriteKmsg = process.getuid?.() === 0 && existsSync('/dev/kmsg');

describe('svmtest run --target host on a real gtest program', () => {
  it('batch mode: crashes in mid-batch continue with the next test; skips, disabled, params and fake markers are right', async () => {
    const out = join(dir, 'batch');
    const r = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      suiteFile,
      '-o',
      out,
      '-f',
      '-fixture/Slow*',
      '-f',
      '-fixture/Hang*',
      '-f',
      '-fixture/Kernel*',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const run = readRunFile(out);
    expect(run.run.status).toBe('complete');
    const t = byName(run);
    expect(t.get('Basic.Passes')?.status).toBe('pass');
    expect(t.get('Basic.Fails')).toMatchObject({ status: 'fail', message: expect.stringContaining('deliberate mismatch') });
    expect(t.get('Basic.Skips')).toMatchObject({ status: 'skip', message: 'not supported on this machine' });
    expect(t.get('Basic.OldStyleSkip')).toMatchObject({ status: 'skip', message: 'Skipping test: At least two GPUs are required.' });
    expect(t.get('Basic.DISABLED_NeverRuns')?.status).toBe('notrun');
    expect(t.get('Crash.Segfault')).toMatchObject({ status: 'crash', message: expect.stringContaining('SIGSEGV') });
    expect(t.get('Crash.Abort')).toMatchObject({ status: 'crash', message: expect.stringContaining('SIGABRT') });
    expect(t.get('Crash.After')?.status).toBe('pass');
    expect(t.get('Output.FakeMarkers')?.status).toBe('pass');
    expect(t.has('Phantom.Test')).toBe(false);
    expect(t.get('Gen/SvmParam.XnackMode/1')?.status).toBe('pass');
    // Each test appears once, and the run log shows no test ran twice.
    expect(run.tests.length).toBe(new Set(run.tests.map((x) => x.name)).size);
    // A loud test's output is capped, with a note.
    const loud = readFileSync(join(out, t.get('Output.Loud')!.log!), 'utf8');
    expect(loud.length).toBeLessThan(9000);
    expect(loud).toMatch(/\[svmtest: output truncated after \d+ bytes \(cap 8192\)\]/);
  });

  it('a batch crash the test alone does not reproduce is not blamed on it; a binary that keeps doing it runs one test per process', async () => {
    const out = join(dir, 'poison');
    const r = await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', out, '-f', 'fixture/Poison.*']);
    expect(r.exitCode, r.stderr).toBe(0);
    const t = byName(readRunFile(out));
    for (const name of ['Poison.Leader', 'Poison.Victim1', 'Poison.Victim2', 'Poison.Victim3', 'Poison.Victim4'])
      expect(t.get(name)?.status, name).toBe('pass');
    expect(t.get('Poison.Victim1')?.message).toMatch(/the batch process killed by SIGSEGV during this test; run alone it ended pass/);
    expect(t.get('Poison.Victim3')?.message).toMatch(/run alone it ended pass/);
    expect(r.stderr).toMatch(/fixture: the batch process crashed 2 times where the test alone did not; the rest runs one test per process/);
  });

  it('isolated mode gives the same results as batch mode, forked from a warm start of the program or each with its own exec', async () => {
    const filters = ['-f', 'fixture/Basic*', '-f', 'fixture/Crash*'];
    const batch = join(dir, 'iso-batch');
    const isolated = join(dir, 'iso-isolated');
    const execed = join(dir, 'iso-exec');
    await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', batch, ...filters]);
    await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', isolated, '--isolate', ...filters]);
    await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', execed, '--isolate', '--no-fork-server', ...filters]);
    const statuses = (out: string) =>
      readRunFile(out)
        .tests.map((x) => [x.name, x.status, x.status === 'crash' ? (x.message ?? '').replace(/\s*\[.*$/s, '') : ''])
        .sort();
    expect(statuses(isolated)).toEqual(statuses(batch));
    expect(statuses(execed)).toEqual(statuses(batch));
    // Basic.* and Crash.* that run (4 + 3), each in its own process; DISABLED_ is never started.
    expect(readRunFile(isolated).run.notes).toEqual([expect.stringMatching(/: 7 test process\(es\) forked from a warm start of the program \(fork server\)/)]);
    expect(readRunFile(execed).run.notes).toBeUndefined();
  });

  it('a hang becomes a timeout within timeout + grace, its whole process group is killed, and the run goes on', async () => {
    const out = join(dir, 'hang');
    const childPidFile = join(dir, 'hang-child.pid');
    const started = Date.now();
    const r = await svmtest(
      ['run', '-c', config, '--suite-file', suiteFile, '-o', out, '--timeout', '1', '-f', 'fixture/Hang*', '-f', 'fixture/Basic.Passes'],
      {
        env: { SVMTEST_FIXTURE_CHILDPID: childPidFile },
      },
    );
    const elapsed = (Date.now() - started) / 1000;
    expect(r.exitCode).toBe(1);
    const t = byName(readRunFile(out));
    expect(t.get('Hang.Forever')).toMatchObject({ status: 'timeout', message: 'killed by svmtest after 1 s (timeout)' });
    expect(t.get('Hang.Forever')!.durationMs).toBeLessThan(1000 + 1000 + 500);
    // Its output up to the hang is in its log: the program's stdout was line-buffered, not lost in
    // its stdio buffer when the timeout killed it.
    expect(readFileSync(join(out, t.get('Hang.Forever')!.log!), 'utf8')).toContain('about to hang');
    expect(t.get('Basic.Passes')?.status).toBe('pass');
    expect(elapsed).toBeLessThan(10);
    const child = Number(readFileSync(childPidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAlive(child)).toBe(false); // the forked child went with its group
  });

  it('--retries detects a flaky test: all attempts recorded', async () => {
    const out = join(dir, 'flaky');
    const r = await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', out, '--retries', '2', '-f', 'fixture/Flaky*'], {
      env: { SVMTEST_FIXTURE_FLAKY: join(dir, 'flaky.state') },
    });
    expect(r.exitCode).toBe(0);
    const flaky = byName(readRunFile(out)).get('Flaky.PassesSecondTime')!;
    expect(flaky.status).toBe('pass');
    expect(flaky.attempts.map((a) => a.status)).toEqual(['fail', 'pass']);
    // compare sees it as flaky against a baseline where it passed
    const baselineOut = join(dir, 'flaky-base');
    await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', baselineOut, '-f', 'fixture/Flaky*']);
    // Both are host runs of the same (default) variant: only allowed when asked, and then said first.
    const refused = await svmtest(['compare', baselineOut, out, '-o', join(dir, 'flaky-cmp'), '-r', 'json']);
    expect(refused.exitCode).toBe(2);
    const cmp = await svmtest(['compare', baselineOut, out, '-o', join(dir, 'flaky-cmp'), '-r', 'json', '--allow-same-variant']);
    const comparison = JSON.parse(cmp.stdout) as { counts: { flaky: number }; warnings: string[] };
    expect(comparison.counts.flaky).toBe(1);
    expect(comparison.warnings[0]).toMatch(/--allow-same-variant: both runs are variant "default"/);
  });

  it('a kernel record lands on the test that logged it; --kernel-events decides the status', async () => {
    // Never skipped: without root the test fails and says why (CI runs as root).
    if (!canWriteKmsg) throw new Error('this test writes /dev/kmsg: run the tests as root');
    const out = join(dir, 'kmsg');
    const r = await svmtest([
      'run',
      '-c',
      config,
      '--suite-file',
      suiteFile,
      '-o',
      out,
      '-f',
      'fixture/Output.Loud',
      '-f',
      'fixture/Kernel*',
      '-f',
      'fixture/Basic.Passes',
    ]);
    expect(r.exitCode).toBe(1);
    const t = byName(readRunFile(out));
    const fault = t.get('Kernel.PageFault')!;
    expect(fault.status).toBe('fail');
    expect(fault.message).toMatch(/^kernel gpu-page-fault during the test/);
    expect(fault.kernelEvents.map((e) => e.kind)).toEqual(['gpu-page-fault']);
    expect(fault.kernelEvents[0]!.lines).toHaveLength(3);
    expect(t.get('Output.Loud')!.kernelEvents).toEqual([]);
    expect(t.get('Basic.Passes')!.kernelEvents).toEqual([]);
    const warned = join(dir, 'kmsg-warn');
    await svmtest(['run', '-c', config, '--suite-file', suiteFile, '-o', warned, '-f', 'fixture/Kernel*', '--kernel-events', 'warn']);
    const kept = byName(readRunFile(warned)).get('Kernel.PageFault')!;
    expect(kept.status).toBe('pass');
    expect(kept.kernelEvents).toHaveLength(1);
  });

  it('kill -9 of svmtest mid-run, then --resume: complete, nothing lost, nothing finished run twice', async () => {
    const out = join(dir, 'resume');
    const runlog = join(dir, 'resume-runlog.txt');
    const env = { SVMTEST_FIXTURE_RUNLOG: runlog };
    const args = ['run', '-c', config, '--suite-file', suiteFile, '-o', out, '-f', 'fixture/Slow*'];
    const first = svmtest(args, { env });
    const journal = join(out, 'journal.jsonl');
    for (let i = 0; i < 300; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (
        existsSync(journal) &&
        readFileSync(journal, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"type":"test"')).length >= 3
      )
        break;
    }
    first.kill('SIGKILL');
    await first;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the orphaned gtest dies on its next write
    const journaled = readFileSync(journal, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"test"'))
      .map((l) => (JSON.parse(l) as { test: TestResult }).test.name);
    expect(journaled.length).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(out, 'run.json'))).toBe(false);
    const second = await svmtest(['run', '-c', config, '--suite-file', suiteFile, '--resume', out, '-f', 'fixture/Slow*'], { env });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`resuming run .*: ${journaled.length} tests already finished`));
    const run = readRunFile(out);
    expect(run.tests.map((x) => x.name).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `Slow.Step${i}`));
    expect(run.tests.every((x) => x.status === 'pass' && x.attempts.length === 1)).toBe(true);
    const runs = readFileSync(runlog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]!);
    for (const name of journaled) expect(runs.filter((n) => n === name)).toHaveLength(1);
  });

  it('Ctrl-C (SIGINT) writes an interrupted run.json and exits 130; --resume finishes it', async () => {
    const out = join(dir, 'sigint');
    const args = ['run', '-c', config, '--suite-file', suiteFile, '-o', out, '-f', 'fixture/Slow*'];
    const child = svmtest(args);
    const journal = join(out, 'journal.jsonl');
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"type":"test"')) break;
    }
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const run = readRunFile(out);
    expect(run.run.status).toBe('interrupted');
    expect(run.tests.some((x) => x.status === 'notrun')).toBe(true);
    const resumed = await svmtest(['run', '-c', config, '--suite-file', suiteFile, '--resume', out, '-f', 'fixture/Slow*']);
    expect(resumed.exitCode).toBe(0);
    const done = readRunFile(out);
    expect(done.run.status).toBe('complete');
    expect(done.run.id).toBe(run.run.id);
    expect(done.tests.filter((x) => x.status === 'pass')).toHaveLength(8);
  });

  it('test names that could escape the run directory make safe log file names', async () => {
    const { safeFileName } = await import('../../src/engine/test-logs.js');
    for (const name of ['../../etc/passwd', '/abs/path', '..', 'a/../../b', 'x'.repeat(500)]) {
      const safe = safeFileName(name);
      expect(safe).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
      expect(safe).not.toContain('..');
      expect(safe.length).toBeLessThan(140);
    }
  });
});
