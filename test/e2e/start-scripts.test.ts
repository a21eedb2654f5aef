import { execa } from 'execa';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { lavaServer, stopWorker } from '../helpers/lava.js';
import { REPO_ROOT } from '../helpers/paths.js';

// The scripts CI runs before the tests, called as CI calls them: captured by $(...). A daemon that
// keeps the capture's pipe open makes the caller wait for as long as that daemon lives (a CI run
// once hung there until its time ran out), so each test starts a daemon for real and must return.
const script = (name: string) => join(REPO_ROOT, 'scripts', name);
const captured = (command: string, env: Record<string, string> = {}) =>
  execa('bash', ['-c', `out=$(${command}); status=$?; printf '%s' "$out"; exit $status`], { env, timeout: 180_000, reject: false });

describe('the service scripts CI captures with $(...)', () => {
  it('start-postgres.sh starts a new cluster, prints only its URL and returns', async () => {
    const dir = tempDir('svmtest-pgstart-');
    chmodSync(dir, 0o755); // the cluster belongs to the postgres user when run as root
    const data = join(dir, 'cluster');
    const port = '55499';
    const started = await captured(`bash ${script('start-postgres.sh')} ${data}`, { SVMTEST_PG_PORT: port });
    try {
      expect(started.timedOut, "start-postgres.sh did not return: a server holds the caller's pipe").toBe(false);
      expect(started.exitCode, started.stderr).toBe(0);
      expect(started.stdout).toBe(`postgres://svmtest@127.0.0.1:${port}/svmtest`);
      const ready = await execa('pg_isready', ['-h', '127.0.0.1', '-p', port], { reject: false });
      expect(ready.exitCode, ready.stdout).toBe(0);
    } finally {
      const bin = (await execa('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1'])).stdout;
      const stop = [`${bin}/pg_ctl`, '-D', data, 'stop', '-m', 'fast'];
      await (process.getuid?.() === 0 ? execa('runuser', ['-u', 'postgres', '--', ...stop]) : execa(stop[0]!, stop.slice(1)));
    }
  }, 200_000);

  it('start-lava.sh starts the stopped worker again, prints only the two assignments and returns', async () => {
    await lavaServer();
    stopWorker();
    const started = await captured(`bash ${script('start-lava.sh')}`);
    expect(started.timedOut, "start-lava.sh did not return: a daemon holds the caller's pipe").toBe(false);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(started.stdout.split('\n')).toEqual([
      expect.stringMatching(/^SVMTEST_TEST_LAVA_URL=http:\/\/127\.0\.0\.1:\d+\/$/),
      expect.stringMatching(/^SVMTEST_TEST_LAVA_TOKEN_FILE=\/\S+$/),
    ]);
    const worker = await execa('pgrep', ['-f', 'lava-worker'], { reject: false });
    expect(worker.exitCode, 'no lava-worker runs after the script').toBe(0);
  }, 1_500_000); // .ci/run starts LAVA in the background: this may wait for it
});
