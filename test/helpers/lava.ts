import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const START_LAVA = join(REPO_ROOT, 'scripts', 'start-lava.sh');

export interface LavaServer {
  readonly url: string;
  readonly token: string;
}

function adopt(assignments: string): void {
  for (const line of assignments.split('\n')) {
    const [key, value] = line.split('=', 2);
    if (key && value && key.startsWith('SVMTEST_TEST_LAVA_')) process.env[key] = value;
  }
}

/**
 * .ci/run starts LAVA in the background while the other tests run (it takes minutes):
 * $SVMTEST_TEST_LAVA_STARTING.env appears with the assignments when it is up, .failed when not.
 */
async function waitForBackgroundStart(prefix: string): Promise<void> {
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    if (existsSync(`${prefix}.env`)) return adopt(readFileSync(`${prefix}.env`, 'utf8'));
    if (existsSync(`${prefix}.failed`)) {
      throw new Error(
        `LAVA did not start (bash scripts/start-lava.sh, run by .ci/run): ${readFileSync(`${prefix}.log`, 'utf8').trim().split('\n').slice(-5).join(' | ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`LAVA was still starting after 20 minutes: see ${prefix}.log`);
}

/** The real LAVA instance at $SVMTEST_TEST_LAVA_URL, or else one started (or reused) by scripts/start-lava.sh. */
export async function lavaServer(): Promise<LavaServer> {
  const starting = process.env.SVMTEST_TEST_LAVA_STARTING;
  if (!process.env.SVMTEST_TEST_LAVA_URL && starting) await waitForBackgroundStart(starting);
  if (!process.env.SVMTEST_TEST_LAVA_URL || !process.env.SVMTEST_TEST_LAVA_TOKEN_FILE) {
    let out: string;
    try {
      out = execFileSync('bash', [START_LAVA], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(
        `the LAVA tests need a LAVA server and could not start one (${stderr || String(error)}): sudo apt-get install -y --no-install-recommends lava-server lava-dispatcher postgresql, then bash scripts/start-lava.sh`,
      );
    }
    adopt(out);
  }
  return { url: process.env.SVMTEST_TEST_LAVA_URL!, token: readFileSync(process.env.SVMTEST_TEST_LAVA_TOKEN_FILE!, 'utf8').trim() };
}

/** Runs `lava-server manage` (LAVA's own tools want Debian's python3, not one earlier on the PATH). */
export function lavaManage(args: readonly string[]): string {
  return execFileSync('lava-server', ['manage', ...args], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
}

/** Stops the worker (kill -9, with the job's QEMU): the job it runs is lost until the worker comes back. */
export function stopWorker(): void {
  execFileSync('bash', [START_LAVA, 'stop-worker'], { stdio: 'ignore' });
  try {
    execFileSync('pkill', ['-KILL', '-f', 'qemu-system-x86_64 .*dispatcher/tmp'], { stdio: 'ignore' });
  } catch {
    // no QEMU left
  }
}

/** Starts the worker again (everything else is reused). */
export function startWorker(): void {
  execFileSync('bash', [START_LAVA], { stdio: 'ignore' });
}

/** A job's state as LAVA's REST API reports it. */
export async function lavaJob(server: LavaServer, id: string): Promise<{ state: string; health: string }> {
  const response = await fetch(`${server.url}api/v0.2/jobs/${id}/`, { headers: { Authorization: `Token ${server.token}` } });
  return (await response.json()) as { state: string; health: string };
}
