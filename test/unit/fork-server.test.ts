import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostTarget } from '../../src/targets/host.js';
import type { CommandSpec, ExitInfo } from '../../src/targets/target.js';
import { forkProbe, gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';

// The fork server with real programs: a C probe that reports what it was given and where it runs,
// built plain, with a thread started before main(), and statically linked (where no preload
// reaches); and the engine's own gtest program, whose crash and hang the engine's tests know.

const IDLE = { idleArgs: ['idle'] } as const;
let cache: string;
let probe: string;
let threaded: string;
let staticProbe: string;
let gtest: string;
const targets: HostTarget[] = [];

beforeAll(async () => {
  cache = mkdtempSync(join(tmpdir(), 'svmtest-fork-'));
  [probe, threaded, staticProbe, gtest] = await Promise.all([forkProbe('plain'), forkProbe('threaded'), forkProbe('static'), gtestProgram()]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const target of targets) await target.close();
  rmSync(cache, { recursive: true, force: true });
});

function forkingHost(): HostTarget {
  const target = new HostTarget('', { forkServer: { cacheDir: cache } });
  targets.push(target);
  return target;
}

async function run(target: HostTarget, spec: CommandSpec, killAfterMs?: number): Promise<{ exit: ExitInfo; stdout: string[]; stderr: string[]; ms: number }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const start = performance.now();
  const running = target.spawn(spec, { onLine: (stream, line) => (stream === 'stdout' ? stdout : stderr).push(line) });
  if (killAfterMs !== undefined) setTimeout(() => running.kill('SIGKILL'), killAfterMs);
  const exit = await running.done;
  return { exit, stdout, stderr, ms: performance.now() - start };
}

/** Running, as opposed to gone or a zombie waiting for a reaper. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('fork server', () => {
  it('runs each command in its own forked process with its own arguments, output streams and exit code, and says so', async () => {
    const target = forkingHost();
    const first = await run(target, { argv: [probe, 'env', 'one', 'two words'], forkable: IDLE });
    expect(first.exit.exitCode).toBe(3);
    expect(first.stdout).toEqual(['preload=(unset)', 'control=(unset)', 'arg=one', 'arg=two words']);
    expect(first.stderr).toEqual(['on stderr']);
    const second = await run(target, { argv: [probe, 'group'], forkable: IDLE });
    const [, pid, group] = /^pid=(\d+) group=(\d+)$/.exec(second.stdout[0] ?? '') ?? [];
    // Its own process group (a timeout kills what it started), and the pid its kernel records name.
    expect(Number(group)).toBe(Number(pid));
    expect(second.exit.pid).toBe(Number(pid));
    expect(first.exit.pid).not.toBe(second.exit.pid);
    expect(target.notes()).toEqual([expect.stringMatching(/^fork_probe-plain-\w+: 2 test process\(es\) forked from a warm start/)]);
  });

  it('keeps what the command preloads itself, without its own library, for the test and what it starts', async () => {
    const target = forkingHost();
    const { stdout } = await run(target, { argv: [probe, 'env'], env: { LD_PRELOAD: 'libc.so.6' }, forkable: IDLE });
    expect(stdout[0]).toBe('preload=libc.so.6');
  });

  it('reports a crash by its signal, and a kill reaches the test and the processes it started', async () => {
    const target = forkingHost();
    const crash = await run(target, { argv: [gtest, '--gtest_filter=Crash.Segfault'], forkable: { idleArgs: ['--gtest_list_tests', '--gtest_filter=-*'] } });
    expect(crash.exit.signal).toBe('SIGSEGV');
    expect(crash.exit.pid).toBeGreaterThan(0);
    // A signal by its own name, as node gives it for a process it started (SIGABRT, not its alias SIGIOT).
    const abort = await run(target, { argv: [gtest, '--gtest_filter=Crash.Abort'], forkable: { idleArgs: ['--gtest_list_tests', '--gtest_filter=-*'] } });
    expect(abort.exit.signal).toBe('SIGABRT');
    const childPidFile = join(cache, 'hang-child');
    const hang = await run(
      target,
      {
        argv: [gtest, '--gtest_filter=Hang.Forever'],
        env: { SVMTEST_FIXTURE_CHILDPID: childPidFile },
        forkable: { idleArgs: ['--gtest_list_tests', '--gtest_filter=-*'] },
      },
      1500,
    );
    expect(hang.exit.signal).toBe('SIGKILL');
    const grandchild = Number(readFileSync(childPidFile, 'utf8'));
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(grandchild)).toBe(false);
    expect(target.notes()[0]).toMatch(/3 test process\(es\) forked/);
  });

  it('a kill given before the process was forked still ends it', async () => {
    const target = forkingHost();
    const { exit, ms } = await run(target, { argv: [probe, 'hang'], forkable: IDLE }, 0);
    expect(exit.signal).toBe('SIGKILL');
    expect(ms).toBeLessThan(10_000);
  });

  it('ends a command when its process ends, though a process it started still holds its output open', async () => {
    const target = forkingHost();
    const { exit, stdout, ms } = await run(target, { argv: [probe, 'linger'], forkable: IDLE });
    expect(exit.exitCode).toBe(0);
    expect(stdout).toEqual(['parent ends']);
    expect(ms).toBeLessThan(3_000);
  });

  it('refuses a program that runs a thread before main(), and one the library cannot reach: each command then has its own exec', async () => {
    const target = forkingHost();
    for (const program of [threaded, staticProbe]) {
      for (let i = 0; i < 2; i++) {
        const { exit, stdout } = await run(target, { argv: [program, 'env', 'x'], forkable: IDLE });
        expect(exit.exitCode).toBe(3);
        expect(stdout).toEqual(['preload=(unset)', 'control=(unset)', 'arg=x']);
      }
    }
    // A script: the preloaded library reaches its interpreter, which is not the program asked for.
    const script = join(cache, 'suite-script');
    writeFileSync(script, '#!/bin/sh\necho "script $1"\nexit 3\n');
    chmodSync(script, 0o755);
    const scripted = await run(target, { argv: [script, 'env'], forkable: IDLE });
    expect(scripted.exit.exitCode).toBe(3);
    expect(scripted.stdout).toEqual(['script env']);
    const notes = target.notes();
    expect(notes).toHaveLength(3);
    expect(notes[2]).toMatch(/^suite-script: no fork server \(it is not a native program \(a script's interpreter started instead\)\)/);
    expect(notes[0]).toMatch(
      /^fork_probe-threaded-\w+: no fork server \(the program runs 2 threads before main\(\)\); each of its test processes was started with its own exec$/,
    );
    expect(notes[1]).toMatch(/^fork_probe-static-\w+: no fork server \(it ended \(exit 0\) before serving\)/);
  });

  it('runs everything with its own exec when asked not to fork (--no-fork-server)', async () => {
    const target = new HostTarget('');
    const { exit } = await run(target, { argv: [probe, 'group'], forkable: IDLE });
    expect(exit.exitCode).toBe(0);
    expect(target.notes()).toEqual([]);
  });
});
