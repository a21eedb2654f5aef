import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_SCRIPT } from '../../src/targets/qemu/initramfs.js';
import { AgentRequest } from '../../src/targets/qemu/agent-request.js';

// The guest agent itself, run here by the shell a guest runs it with, in a mount namespace of its
// own: its kernel-log line goes to /dev/null and its /run is a fresh tmpfs, so this machine's kernel
// log (which the other test lane's host tests read) and /run stay untouched.
const dir = mkdtempSync(join(tmpdir(), 'svmtest-agent-'));
const boot = join(dir, 'boot-1');
const agent = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind /dev/null /dev/kmsg && mount -t tmpfs tmpfs /run && exec sh "$0" "$1"', AGENT_SCRIPT, boot], {
  stdio: 'ignore',
  detached: true,
});
afterAll(() => {
  process.kill(-agent.pid!, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function answer(request: AgentRequest): Promise<{ rc: string; stdout: string }> {
  const rc = join(request.dir, 'rc');
  for (let i = 0; i < 500 && !(existsSync(rc) && readFileSync(rc, 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 20));
  return { rc: readFileSync(rc, 'utf8').trim(), stdout: readFileSync(join(request.dir, 'stdout'), 'utf8') };
}

describe("the QEMU guest agent's builtin answers (shell builtins, no exec)", () => {
  it('lists what `ls -1` lists, in its order, and says exit 2 for a path that is no directory', async () => {
    const listed = join(dir, 'topology', 'nodes');
    mkdirSync(listed, { recursive: true });
    for (const name of ['1', '0', '10', 'b c', '.hidden']) mkdirSync(join(listed, name));
    symlinkSync('/nonexistent', join(listed, 'dangling'));
    mkdirSync(join(boot, 'req'), { recursive: true });
    const ls = AgentRequest.create(join(boot, 'req'), 1, { argv: ['ls', '-1', listed] }, 'list');
    expect(await answer(ls)).toEqual({ rc: '0', stdout: '0\n1\n10\nb c\ndangling\n' });
    const missing = AgentRequest.create(join(boot, 'req'), 2, { argv: ['ls', '-1', join(dir, 'nowhere')] }, 'list');
    expect(await answer(missing)).toEqual({ rc: '2', stdout: '' });
    // No program ran: the agent's own process tree had no child for these (an exec would have left a pid file).
    expect(existsSync(join(ls.dir, 'pid'))).toBe(false);
  }, 20_000);

  it('reads text files as `cat` does, a last line without its newline included, and says exit 1 for one it cannot read', async () => {
    const files = ['/proc/sys/kernel/hostname', '/proc/sys/kernel/osrelease', '/proc/sys/kernel/version'];
    mkdirSync(join(boot, 'req'), { recursive: true });
    const read = AgentRequest.create(join(boot, 'req'), 3, { argv: ['cat', ...files] }, 'read');
    const expected = files.map((f) => readFileSync(f, 'utf8')).join('');
    expect(await answer(read)).toEqual({ rc: '0', stdout: expected });
    const unterminated = join(dir, 'no-newline');
    writeFileSync(unterminated, 'one\ntwo');
    const partial = AgentRequest.create(join(boot, 'req'), 4, { argv: ['cat', unterminated, join(dir, 'nowhere')] }, 'read');
    expect(await answer(partial)).toEqual({ rc: '1', stdout: 'one\ntwo\n' });
    expect(existsSync(join(read.dir, 'pid'))).toBe(false);
  }, 20_000);
});
