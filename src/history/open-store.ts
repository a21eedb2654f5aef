import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
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
// Kysely's record of applied migrations: a database that has it is a svmtest history store.
const MIGRATION_TABLE = 'kysely_migration';
const MIGRATION_TRIES = 50;

/** The URL without its password: everything between the user and the last @ (a password may hold an @ of its own). */
export function redact(url: string): string {
  const start = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (start < 0 || at < start) return url;
  const userinfo = url.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? url : `${url.slice(0, start + 3)}${userinfo.slice(0, colon)}:***${url.slice(at)}`;
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

/** The tables a database holds (svmtest's own, Kysely's migration record, or anything else). */
async function tablesOf(db: Kysely<HistoryDatabase>, dialect: Dialect): Promise<string[]> {
  const rows =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db);
  return rows.rows.map((r) => r.name);
}

/**
 * Opens the history store — a SQLite file (the default), or PostgreSQL for a team's many runners
 * (`postgres://…`) — and brings its schema up to date. A database written by a newer svmtest, or
 * one that is not a history store, is refused. Only an importer may create a store: a reader
 * pointed at nothing (a mistyped --db) fails rather than reporting an empty, green history.
 */
export async function openStore(location: string, options: { create?: boolean } = {}): Promise<HistoryStore> {
  const isPostgres = /^postgres(ql)?:\/\//i.test(location);
  // Any other URL is a mistake (a misspelled scheme): never a file name, and never echoed (it may hold a password).
  if (!isPostgres && /^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new InputError('history store: a URL whose scheme is not postgres:// or postgresql://; expected one of those, or a SQLite file path');
  }
  const dialect: Dialect = isPostgres ? 'postgres' : 'sqlite';
  const where = isPostgres ? redact(location) : resolve(location);
  if (!isPostgres && !options.create && !existsSync(where)) {
    throw new InputError(`${where}: no history store there; svmtest history import (or ci --history) creates one`);
  }
  const db = isPostgres ? await postgres(location) : await sqlite(resolve(location));
  const tables = await tablesOf(db, dialect);
  if (tables.length > 0 && !tables.includes(MIGRATION_TABLE)) {
    await db.destroy();
    throw new InputError(
      `${where}: holds tables that are not svmtest's (${tables.slice(0, 3).join(', ')}); use an empty database or a new file for the history`,
    );
  }
  if (tables.length === 0 && !options.create) {
    await db.destroy();
    throw new InputError(`${where}: holds no svmtest history; svmtest history import (or ci --history) creates one`);
  }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(dialect) } });
  const known = Object.keys(migrationsFor(dialect));
  // Two importers opening a new or older store at once both try its migrations; each runs in a
  // transaction, so the one that loses (locked, or finding the column the other just added) has
  // changed nothing, and tries again to find the schema up to date.
  let error: unknown;
  for (let attempt = 1; attempt <= MIGRATION_TRIES; attempt++) {
    ({ error } = await migrator.migrateToLatest());
    if (!error || !/SQLITE_BUSY|database is locked|duplicate column|already exists/i.test(String((error as Error).message))) break;
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
  }
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
