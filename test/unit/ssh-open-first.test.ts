import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFirst, SshConnection } from '../../src/targets/ssh/ssh-connection.js';
import type { SshEndpoint } from '../../src/targets/ssh/ssh-settings.js';
import { tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.mjs';
import { sleep, waitFor } from '../helpers/wait.js';

// A DUT coming back up, on this machine: Debian's sshd on a private port, reached through a port
// that swallows the first connection (accepted, never answered), as a booting machine's forwarded
// or routed port does. The tries that start beside it must not wait for it.
const SSHD = '/usr/sbin/sshd';
let dir: string;
let sshd: ResultPromise;
let front: Server;
let endpoint: SshEndpoint;
const held: Socket[] = [];
let heldClosed = false;
let connections = 0;
/** What the front does with its first connection: holds it silent, or answers with a banner and then stalls. */
let first: 'silent' | 'banner' = 'silent';

beforeAll(async () => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (scripts/install-deps.sh)`);
  dir = tempDir('svmtest-open-first-');
  for (const key of ['host', 'client']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
  const port = await freePort();
  mkdirSync('/run/sshd', { recursive: true });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'client.pub')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  sshd = execa(SSHD, ['-D', '-e', '-f', config], { reject: false });
  front = createServer((socket) => {
    if (connections++ === 0) {
      held.push(socket);
      // Read (and drop) what the client sends, so its close is seen.
      socket.resume();
      if (first === 'banner') socket.write('SSH-2.0-OpenSSH_9.2p1 slow\r\n');
      socket.on('close', () => (heldClosed = true));
      return;
    }
    const back = connect(port, '127.0.0.1');
    socket.pipe(back).pipe(socket);
    socket.on('error', () => back.destroy());
    back.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const hostKey = (await execa('ssh-keygen', ['-y', '-f', join(dir, 'host')])).stdout.trim();
  const frontPort = (front.address() as { port: number }).port;
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${frontPort} ${hostKey}\n`);
  endpoint = {
    host: '127.0.0.1',
    user: 'root',
    port: frontPort,
    identityFile: join(dir, 'client'),
    knownHosts: join(dir, 'known_hosts'),
    checkHostKey: true,
    options: {},
    connectTimeoutS: 10,
  };
  for (let i = 0; !(await execa('ssh-keyscan', ['-p', String(port), '127.0.0.1'], { reject: false })).stdout.includes('ssh-ed25519'); i++) {
    if (i === 100) throw new Error(`sshd did not answer on port ${port}`);
    await sleep(100);
  }
}, 60_000);

afterAll(async () => {
  for (const socket of held) socket.destroy();
  front?.close();
  sshd?.kill('SIGTERM');
  await sshd;
});

describe('waiting for a DUT over SSH', () => {
  it('a later try opens while the first still waits for an answer that never comes; the first is closed', async () => {
    connections = 0;
    const started = Date.now();
    const conn = await openFirst(endpoint, 15_000, [0, 500, 1500]);
    try {
      const waited = Date.now() - started;
      expect(waited).toBeLessThan(8000); // one try alone waits out its ConnectTimeout (10 s)
      expect((await conn.run(['echo', 'up'])).stdout.trim()).toBe('up');
      expect(held).toHaveLength(1);
      // The swallowed try gave up when the winner opened: its client closed the held connection.
      await waitFor('the held connection to close', () => heldClosed, 10_000);
    } finally {
      await conn.close();
    }
  }, 30_000);

  it('a try whose server sent its banner gets no rival: a slow sshd is not handed more logins', async () => {
    connections = 0;
    first = 'banner';
    try {
      await expect(openFirst(endpoint, 3000, [0, 500, 1500])).rejects.toThrow(/no connection within 3 s/);
      expect(connections).toBe(1);
    } finally {
      first = 'silent';
    }
  }, 30_000);

  it('every try refused: rejects with ssh`s reason, at once', async () => {
    const closed = { ...endpoint, port: await freePort() };
    const started = Date.now();
    await expect(openFirst(closed, 15_000, [0, 500])).rejects.toThrow(/Connection refused/);
    expect(Date.now() - started).toBeLessThan(3000);
    // One try alone says the same.
    await expect(new SshConnection(closed).open(15_000)).rejects.toThrow(/Connection refused/);
  }, 30_000);
});
