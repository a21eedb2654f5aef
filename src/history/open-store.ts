import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { InfraError, InputError } from '../model/errors.js';
import { type Dialect, migrationsFor } from './migrations.js';
import type { HistoryDatabase } from './tables.js';

export interface HistoryStore {
  readonly db: Kysely<HistoryDatabase>;
  readonly dialect: Dialect;
  /** Where it is, for messages: a file path, or the PostgreSQL URL without its password. */
  readonly where: string;
  close(): Promise<void>;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** A file given as the database must be SQLite (or empty/new): anything else is refused, naming it. */
function checkSqliteFile(file: string): void {
  if (!existsSync(file)) return;
  const stat = statSync(file);
  if (!stat.isFile()) throw new InputError(`${file}: is not a regular file; expected a SQLite history database`);
  if (stat.size === 0) return;
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_MAGIC) throw new InputError(`${file}: is not a SQLite database; expected a history database (or a new file)`);
}

async function sqlite(file: string): Promise<Kysely<HistoryDatabase>> {
  checkSqliteFile(file);
  mkdirSync(dirname(file), { recursive: true });
  const { default: Database } = await import('better-sqlite3');
  let handle: InstanceType<typeof Database>;
  try {
    handle = new Database(file);
    // WAL and a busy timeout: two shard jobs importing at once wait for each other instead of failing.
    handle.pragma('busy_timeout = 30000');
    handle.pragma('journal_mode = WAL');
    handle.pragma('foreign_keys = ON');
  } catch (error) {
    throw new InputError(`${file}: cannot be opened as a SQLite database (${(error as Error).message})`);
  }
  return new Kysely<HistoryDatabase>({ dialect: new SqliteDialect({ database: handle }) });
}

async function postgres(url: string): Promise<Kysely<HistoryDatabase>> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw new InfraError(`${redact(url)}: cannot connect to PostgreSQL (${(error as Error).message})`);
  }
  return new Kysely<HistoryDatabase>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Opens the history store — a SQLite file (the default), or PostgreSQL for a team's many runners
 * (`postgres://…`) — and brings its schema up to date. A database written by a newer svmtest, or
 * one that is not a history store, is refused.
 */
export async function openStore(location: string): Promise<HistoryStore> {
  const isPostgres = /^postgres(ql)?:\/\//.test(location);
  const dialect: Dialect = isPostgres ? 'postgres' : 'sqlite';
  const where = isPostgres ? redact(location) : resolve(location);
  const db = isPostgres ? await postgres(location) : await sqlite(resolve(location));
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(dialect) } });
  const known = Object.keys(migrationsFor(dialect));
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const message = (error as Error).message;
    if (/previously executed migration .* is missing/.test(message)) {
      throw new InputError(`${where}: was written by a newer svmtest (it has schema versions beyond ${known[known.length - 1]}); upgrade svmtest to read it`);
    }
    throw new InputError(`${where}: is not a svmtest history database, or is damaged (${message})`);
  }
  return { db, dialect, where, close: () => db.destroy() };
}
