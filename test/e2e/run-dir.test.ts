import { execa } from 'execa';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { workflowCommandLines } from '../helpers/hostile.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { sleep, waitFor } from '../helpers/wait.js';

let dir: string;
let config: string;
let suite: string;
const mounts: string[] = [];

beforeAll(async () => {
  const program = await gtestProgram();
  dir = tempDir('svmtest-rundir-');
  config = writeConfig(dir, {}, { variants: { mine: { env: { FIXTURE_MARK: 'mine' }, expect: { kfd: false } } } });
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 30 });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
});

const readRun = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
const testRecords = (out: string) =>
  readFileSync(join(out, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"test"'));

/** Running, as opposed to gone or a zombie. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A tmpfs of a few pages: a real full disk. Needs root, as CI has; without it the test fails saying so. */
async function tinyDisk(name: string, size: string): Promise<string> {
  const mnt = join(dir, name);
  mkdirSync(mnt, { recursive: true });
  const r = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { reject: false });
  if (r.exitCode !== 0) throw new Error(`the disk-full tests mount a small tmpfs and need root: ${r.stderr}`);
  mounts.push(mnt);
  return mnt;
}

describe('the run directory', () => {
  it("a second run on the same directory fails at once naming the PID; a dead holder's lock is taken over", async () => {
    const out = join(dir, 'locked');
    const first = svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Slow*', '-f', 'fixture/Hang.Forever', '--timeout', '2']);
    await waitFor('the first run to start', () => existsSync(join(out, 'journal.jsonl')));
    const started = Date.now();
    const second = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Slow*']);
    expect(second.exitCode).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(second.stderr).toMatch(new RegExp(`in use by svmtest process ${first.pid}`));
    const resumedWhileHeld = await svmtest(['run', '--resume', out]);
    expect(resumedWhileHeld.stderr).toMatch(/in use by svmtest process/);
    first.kill('SIGKILL');
    await first.catch(() => undefined);
    const resumed = await svmtest(['run', '--resume', out]);
    expect(resumed.exitCode, resumed.stderr).toBe(1); // Hang.Forever times out
    const run = readRun(out);
    expect(run.run.status).toBe('complete');
    expect(run.tests.map((t) => t.name).sort()).toEqual(['Hang.Forever', ...Array.from({ length: 8 }, (_, i) => `Slow.Step${i}`)]);
  });

  it('--resume alone restores suites, filters, variant and config; contradicting options are refused', async () => {
    const out = join(dir, 'restore');
    const child = svmtest(['run', '-c', config, '--variant', 'mine', '--suite-file', suite, '-o', out, '-f', 'fixture/Slow*']);
    await waitFor('two tests', () => existsSync(join(out, 'journal.jsonl')) && testRecords(out).length >= 2);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
    const contradiction = await svmtest(['run', '--resume', out, '-f', 'fixture/Basic*']);
    expect(contradiction.exitCode).toBe(2);
    expect(contradiction.stderr).toMatch(/--filter \["fixture\/Basic\*"\] contradicts the run being resumed \(\["fixture\/Slow\*"\]\)/);
    const same = await svmtest(['run', '--resume', out, '--variant', 'mine'], { cwd: '/' });
    expect(same.exitCode, same.stderr).toBe(0);
    const run = readRun(out);
    expect(run.run.variant).toBe('mine');
    expect(run.run.status).toBe('complete');
    expect(run.tests).toHaveLength(8);
  });

  it('a torn last record is cut before the next one; every later resume still reads the journal', async () => {
    const out = join(dir, 'torn');
    const child = svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Slow*']);
    await waitFor('two tests', () => existsSync(join(out, 'journal.jsonl')) && testRecords(out).length >= 2);
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    appendFileSync(join(out, 'journal.jsonl'), '{"type":"test","test":{"suite":"fixture","na'); // the writer died mid-record
    for (let i = 0; i < 2; i++) {
      const r = await svmtest(['run', '--resume', out]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    for (const line of readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(readRun(out).tests.filter((t) => t.status === 'pass')).toHaveLength(8);
  });

  it('a torn first record is not a dead end: the run starts again', async () => {
    const out = join(dir, 'torn-first');
    const child = svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Slow*']);
    await waitFor('the journal', () => existsSync(join(out, 'journal.jsonl')) && readFileSync(join(out, 'journal.jsonl')).length > 40);
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    truncateSync(join(out, 'journal.jsonl'), 30);
    const r = await svmtest(['run', '--resume', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readRun(out).tests.filter((t) => t.status === 'pass')).toHaveLength(8);
  });
});

describe('the journal', () => {
  it('a retry adds one record holding that attempt only, never all attempts again', async () => {
    const out = join(dir, 'retries');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Basic.Fails', '--retries', '3']);
    expect(r.exitCode).toBe(1);
    const records = testRecords(out).map((l) => JSON.parse(l) as { attempt?: number; test: RunFile['tests'][number] });
    expect(records.map((x) => [x.attempt ?? 1, x.test.attempts.length])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(readRun(out).tests[0]!.attempts.map((a) => a.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
  });
});

describe('no process outlives svmtest', () => {
  it("after kill -9 of svmtest, the test's process group and the kernel-log reader are gone within seconds", async () => {
    const out = join(dir, 'orphans');
    const pidFile = join(dir, 'orphan-child.pid');
    const child = svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Hang.Forever'], {
      env: { SVMTEST_FIXTURE_CHILDPID: pidFile },
    });
    await waitFor('the hanging test', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    const helpers = childrenOf(child.pid!);
    const testChild = Number(readFileSync(pidFile, 'utf8'));
    expect(helpers.length).toBeGreaterThanOrEqual(2); // the test's group leader, cat /dev/kmsg (when readable), the reaper
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    await waitFor('every helper and test process to end', () => [...helpers, testChild].every((pid) => !isAlive(pid)), 6000);
  });

  it('a second Ctrl-C kills a test that ignores SIGTERM, and run.json is still written', async () => {
    const slowKill = writeConfig(tempDir('svmtest-grace-'), { killGrace: 120 });
    const out = join(dir, 'second-sigint');
    const pidFile = join(dir, 'ignores-term.pid');
    const child = svmtest(['run', '-c', slowKill, '--suite-file', suite, '-o', out, '-f', 'fixture/Hang.IgnoresTerm'], {
      env: { SVMTEST_FIXTURE_CHILDPID: pidFile },
    });
    await waitFor('the test', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    const testPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    await sleep(700);
    expect(isAlive(testPid)).toBe(true); // SIGTERM is ignored; the grace is 120 s
    const started = Date.now();
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isAlive(testPid)).toBe(false);
    expect(readRun(out).run.status).toBe('interrupted');
  });
});

describe('a full disk', () => {
  it('run: exit 3 with one line, the journal intact, no temporary files', async () => {
    const mnt = await tinyDisk('full-run', '24k');
    const out = join(mnt, 'run');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', '-fixture/Hang*', '-f', '-fixture/Kernel*']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/disk full: cannot write .* \(ENOSPC\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const journal = join(out, 'journal.jsonl');
    if (existsSync(journal)) for (const line of readFileSync(journal, 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.tmp'))).toEqual([]);
  });

  it('parse and compare: exit 3 with one line, no temporary files', async () => {
    const mnt = await tinyDisk('full-out', '8k');
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(4096));
    const input = join(dir, 'many.txt');
    writeFileSync(input, Array.from({ length: 3000 }, (_, i) => `[ RUN      ] S.T${i}\n[       OK ] S.T${i} (1 ms)\n`).join(''));
    const parsed = await svmtest(['parse', input, '--suite', 's', '--variant', 'legacy', '-o', join(mnt, 'run.json')]);
    expect(parsed.exitCode).toBe(3);
    expect(parsed.stderr).toMatch(/disk full: cannot write .*run\.json \(ENOSPC\)/);
    const a = join(dir, 'full-a.json');
    const b = join(dir, 'full-b.json');
    expect((await svmtest(['parse', input, '--suite', 's', '--variant', 'legacy', '-o', a])).exitCode).toBe(0);
    expect((await svmtest(['parse', input, '--suite', 's', '--variant', 'gpusvm', '-o', b])).exitCode).toBe(0);
    const compared = await svmtest(['compare', a, b, '-o', join(mnt, 'cmp')]);
    expect(compared.exitCode).toBe(3);
    expect(compared.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(mnt, { recursive: true }).filter((f) => String(f).endsWith('.tmp'))).toEqual([]);
  });
});

describe('a test cannot drive the CI runner', () => {
  it("a test printing workflow commands and escapes: the only commands in svmtest's output are its own", async () => {
    const out = join(dir, 'hostile');
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', out, '-f', 'fixture/Output.Hostile', '-r', 'terminal,github'], {
      env: { GITHUB_ACTIONS: 'true', CI: 'true' },
    });
    expect(r.exitCode).toBe(1);
    const commands = workflowCommandLines(`${r.stdout}\n${r.stderr}`);
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) expect(line).toMatch(/^::error title=fail%3A fixture\/Output.Hostile::/);
    // eslint-disable-next-line no-control-regex
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(readRun(out).tests[0]!.message).toContain('::error title=forged::from a failure message'); // recorded as it was
  });
});
