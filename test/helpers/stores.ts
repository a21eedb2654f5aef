import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';

export type StoreKind = 'sqlite' | 'postgres';

/**
 * A fresh, empty history store of each kind: a SQLite file in `dir`, or a new database on the
 * PostgreSQL server at $SVMTEST_TEST_POSTGRES (.ci/run starts one with scripts/start-postgres.sh).
 */
export async function freshStore(kind: StoreKind, dir: string): Promise<string> {
  if (kind === 'sqlite') return join(dir, `history-${randomBytes(4).toString('hex')}.db`);
  const base = process.env.SVMTEST_TEST_POSTGRES;
  if (!base)
    throw new Error('the PostgreSQL history tests need a server: run `bash scripts/start-postgres.sh` and set SVMTEST_TEST_POSTGRES to the URL it prints');
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
