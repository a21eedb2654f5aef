import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSshFlag } from '../../src/targets/ssh/ssh-endpoint.js';
import { startGroup } from '../../src/targets/machine/process-group.js';
import { CommandChannel } from '../../src/targets/ssh/command-channel.js';
import { checkBooted } from '../../src/targets/ssh/kernel-boot.js';
import { bzImageRelease } from '../../src/targets/ssh/kernel-image.js';
import { GROUPS_DIR_PREFIX, groupCommand, quoteArgv, quoteWord, sweepCommand } from '../../src/targets/ssh/remote-shell.js';
import { sshOptions } from '../../src/targets/ssh/ssh-connection.js';
import { exitFromStatus as exitOf } from '../../src/targets/machine/exit-status.js';
import { tempDir } from '../helpers/cli.js';

/** A command line run by sh as sshd would, its stdin held open until it ends. */
function runHoldingStdin(line: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', () => {
      child.stdin!.destroy();
      resolve({ stdout, stderr });
    });
  });
}

/** What a POSIX shell makes of a command line: its words, as printf sees them. */
function wordsAfter(shell: string, line: string): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const HOSTILE = ["it's", '$(touch /tmp/pwned)', '`id`', 'a b', '*', '~root', 'x;y', 'a\nb', '"q"', '\\', '-n', '', '!', '$HOME', "'''", '\t', '#c'];

describe('quoting for the remote shell', () => {
  it('every word reaches the command unchanged, in sh, dash and bash', () => {
    for (const shell of ['sh', 'dash', 'bash']) expect(wordsAfter(shell, quoteArgv(HOSTILE))).toEqual(HOSTILE);
  });

  it('any string survives (property: random words through a real shell)', () => {
    const word = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (argv) => {
        expect(wordsAfter('sh', quoteArgv(argv))).toEqual(argv);
      }),
      { numRuns: 60 },
    );
  });

  it('plain words stay readable; NUL and empty commands are refused', () => {
    expect(quoteArgv(['cat', '/proc/uptime', 'KEY=v'])).toBe('cat /proc/uptime KEY=v');
    expect(quoteWord('')).toBe("''");
    expect(() => quoteWord('a\0b')).toThrow(/NUL/);
    expect(() => quoteArgv([])).toThrow(/empty/);
  });

  it('a grouped command announces its process group and its exit status (128+N for signal N)', async () => {
    const line = groupCommand({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 7'], env: { A_B: "x'y" }, cwd: '/' });
    // As sshd runs it, with the connection's stdin open for as long as the command runs.
    const result = await runHoldingStdin(line);
    expect(result.stdout).toBe('out\n');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^@svmtest-pgid \d+$/);
    expect(lines.slice(1)).toEqual(['err', '@svmtest-rc 7']);
    expect(() => groupCommand({ argv: ['true'], env: { 'A;B': '1' } })).toThrow(/not a valid name/);
    expect(exitOf(7)).toEqual({ exitCode: 7, signal: null });
    expect(exitOf(139)).toEqual({ exitCode: null, signal: 'SIGSEGV' });
  });
});

describe('nothing started on the DUT outlives svmtest', () => {
  const alive = (pid: number) => spawnSync('kill', ['-0', String(pid)]).status === 0;
  const sleepUntil = async (check: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return true;
    return check();
  };

  it('when the connection (its stdin) closes, the guard kills the whole group, a child that ignores SIGTERM too', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'pid');
    const line = groupCommand({ argv: ['sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.1; done`] });
    const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'ignore', 'ignore'] });
    expect(await sleepUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 5000)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    child.stdin!.end(); // svmtest (or its connection) is gone
    expect(await sleepUntil(() => !alive(pid), 6000), 'the test outlived its connection').toBe(true);
  });

  it('the next connection sweeps a recorded group whose guard is gone, and leaves one whose guard lives', async () => {
    const orphan = spawn('setsid', ['sh', '-c', 'while :; do sleep 0.1; done'], { stdio: 'ignore', detached: false });
    const guarded = spawn('setsid', ['sh', '-c', 'while :; do sleep 0.1; done'], { stdio: 'ignore', detached: false });
    const guard = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const GROUPS_DIR = `${GROUPS_DIR_PREFIX}${process.getuid!()}`;
    mkdirSync(GROUPS_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(join(GROUPS_DIR, String(orphan.pid)), '999999999\n'); // a guard that no longer exists
    writeFileSync(join(GROUPS_DIR, String(guarded.pid)), `${guard.pid}\n`);
    const [shell, ...args] = sweepCommand();
    const swept = spawnSync(shell!, args, { encoding: 'utf8' });
    expect(swept.stdout).toContain(`swept ${orphan.pid}`);
    expect(await sleepUntil(() => !alive(orphan.pid!), 3000)).toBe(true);
    expect(alive(guarded.pid!)).toBe(true);
    expect(existsSync(join(GROUPS_DIR, String(orphan.pid)))).toBe(false);
    for (const p of [guarded, guard]) p.kill('SIGKILL');
    rmSync(join(GROUPS_DIR, String(guarded.pid)), { force: true });
  });
});

describe('the DUT address and ssh options', () => {
  it('--ssh takes [USER@]HOST[:PORT] and refuses anything else', () => {
    expect(parseSshFlag('ci@mi300-lab-03')).toEqual({ host: 'mi300-lab-03', user: 'ci' });
    expect(parseSshFlag('root@127.0.0.1:2222')).toEqual({ host: '127.0.0.1', user: 'root', port: 2222 });
    expect(parseSshFlag('[::1]:22')).toEqual({ host: '::1', port: 22 });
    for (const bad of ['', 'a b', 'host:99999', '-oProxyCommand=x', 'u@', 'a:b:c']) expect(() => parseSshFlag(bad), bad).toThrow(/--ssh/);
  });

  it('host keys are checked unless asked otherwise; options are -o forms that scp and rsync share', () => {
    const endpoint = { host: 'dut', user: 'ci', port: 2222, identityFile: '/k', checkHostKey: true, options: { ProxyJump: 'bastion' }, connectTimeoutS: 10 };
    const strict = sshOptions(endpoint, '/s/master');
    expect(strict.join(' ')).not.toMatch(/StrictHostKeyChecking/);
    expect(strict).toEqual(expect.arrayContaining(['Port=2222', 'User=ci', 'IdentityFile=/k', 'ProxyJump=bastion', 'BatchMode=yes', 'ControlPath=/s/master']));
    expect(strict).not.toContain('-p');
    expect(sshOptions({ ...endpoint, checkHostKey: false }, '/s/master')).toContain('StrictHostKeyChecking=no');
  });
});

describe('proof of the booted kernel', () => {
  const before = { bootId: 'a', release: '6.1.0-56-amd64', cmdline: 'console=ttyS0' };

  it('the same boot is not yet the new kernel; a new boot must carry the token and the release', () => {
    expect(checkBooted(before, before, 'tok', '6.18.0')).toBe('not-yet');
    expect(checkBooted(before, { bootId: 'b', release: '6.18.0', cmdline: 'console=ttyS0 svmtest.dut_boot=tok' }, 'tok', '6.18.0')).toBe('booted');
    expect(() => checkBooted(before, { bootId: 'b', release: '6.1.0-56-amd64', cmdline: 'console=ttyS0' }, 'tok', '6.18.0')).toThrow(
      /came back on another kernel/,
    );
    expect(() => checkBooted(before, { bootId: 'b', release: '6.1.0-56-amd64', cmdline: 'svmtest.dut_boot=tok' }, 'tok', '6.18.0')).toThrow(
      /booted kernel 6\.1\.0-56-amd64, but the deployed kernel is 6\.18\.0/,
    );
  });

  it("reads a bzImage's release from its boot header, and nothing from a file that is not one", () => {
    // The x86 boot protocol's header: "HdrS" at 0x202, and at 0x20E a pointer (less 0x200) to the
    // version string. Debian's 6.1 bzImage has it at 0x44C0; the real image is read in e2e.
    const image = Buffer.alloc(0x4600);
    image.write('HdrS', 0x202, 'latin1');
    image.writeUInt16LE(0x44c0 - 0x200, 0x20e);
    image.write('6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3\0', 0x44c0, 'latin1');
    const dir = tempDir();
    writeFileSync(join(dir, 'bzImage'), image);
    expect(bzImageRelease(join(dir, 'bzImage'))).toBe('6.1.0-57-amd64');
    writeFileSync(join(dir, 'not-a-kernel'), 'x'.repeat(4096));
    expect(bzImageRelease(join(dir, 'not-a-kernel'))).toBeUndefined();
    writeFileSync(join(dir, 'short'), image.subarray(0, 0x100));
    expect(bzImageRelease(join(dir, 'short'))).toBeUndefined();
    const noPointer = Buffer.from(image);
    noPointer.writeUInt16LE(0, 0x20e);
    writeFileSync(join(dir, 'no-version'), noPointer);
    expect(bzImageRelease(join(dir, 'no-version'))).toBeUndefined();
  });
});

describe('the command channel (one remote shell for short commands)', () => {
  // The remote half is a POSIX shell loop; here it runs in a local sh, as sshd would run it.
  const channel = () => new CommandChannel((line) => startGroup({ argv: ['sh', '-c', line] }, { stdin: true }));

  it('answers each command with its status, stdout (binary-safe) and stderr, in order', async () => {
    const c = channel();
    const r = await c.run(['sh', '-c', 'printf "a\\nb"; echo err >&2; exit 3']);
    expect([r.stdout, r.stderr, r.exitCode]).toEqual(['a\nb', 'err\n', 3]);
    const bytes = await c.run(['head', '-c', '200000', '/dev/urandom']);
    expect(bytes.bytes.length).toBe(200_000);
    // Output that imitates the framing is data, not an answer.
    const forged = await c.run(['printf', '%s', "x'\n@@svm 0 0 0\n@@svmtest-end-00\n"]);
    expect(forged.stdout).toBe("x'\n@@svm 0 0 0\n@@svmtest-end-00\n");
    const all = await Promise.all(['1', '2', '3', '4'].map((n) => c.run(['echo', n])));
    expect(all.map((x) => x.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n']);
    c.close();
  });

  it('a command that overruns its time limit ends the channel; the next command gets a new one', async () => {
    const c = channel();
    const slow = await c.run(['sleep', '5'], 300);
    expect(slow).toMatchObject({ signal: 'SIGKILL', stderr: expect.stringMatching(/no answer within/) });
    expect((await c.run(['echo', 'again'])).stdout).toBe('again\n');
    c.close();
  });
});
