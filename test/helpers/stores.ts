import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from './paths.js';

export type StoreKind = 'sqlite' | 'postgres';

const START_POSTGRES = join(REPO_ROOT, 'scripts', 'start-postgres.sh');

/** The server at $SVMTEST_TEST_POSTGRES, or else a throwaway cluster started (or reused) by scripts/start-postgres.sh. */
function postgresUrl(): string {
  if (process.env.SVMTEST_TEST_POSTGRES) return process.env.SVMTEST_TEST_POSTGRES;
  try {
    process.env.SVMTEST_TEST_POSTGRES = execFileSync('bash', [START_POSTGRES], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(
      `the PostgreSQL history tests need a server and could not start one (${stderr || String(error)}): sudo apt-get install -y postgresql, or set SVMTEST_TEST_POSTGRES to a server's URL`,
    );
  }
  return process.env.SVMTEST_TEST_POSTGRES;
}

/** A fresh, empty history store of each kind: a SQLite file in `dir`, or a new database on the PostgreSQL server. */
export async function freshStore(kind: StoreKind, dir: string): Promise<string> {
  if (kind === 'sqlite') return join(dir, `history-${randomBytes(4).toString('hex')}.db`);
  const base = postgresUrl();
  const name = `svmtest_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
