import { CompiledQuery, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './migrations.js';
import type { HistoryDatabase } from './tables.js';

// Rows per INSERT: as many as the bound-parameter budget allows (SQLite allows 32,766 and
// PostgreSQL 65,535 per statement): fewer, larger statements are what makes a night import fast.
const PARAMETER_BUDGET = 4000;

/** Splits rows into INSERT-sized chunks for their column count. */
export function chunks<T extends object>(items: readonly T[]): T[][] {
  const size = Math.max(1, Math.floor(PARAMETER_BUDGET / Math.max(1, Object.keys(items[0] ?? {}).length)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Many rows of one table in few statements, with the SQL text written here: Kysely's builder makes
 * and visits a node per value, which was a third of a night's import (10,000 results: compile time
 * and garbage). Table and column names are the code's own keys, never input; values are bound.
 */
export async function insertRows<T extends keyof HistoryDatabase & string>(
  db: Kysely<HistoryDatabase> | Transaction<HistoryDatabase>,
  dialect: Dialect,
  table: T,
  rows: readonly Insertable<HistoryDatabase[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  for (const chunk of chunks(rows)) {
    const parameters: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((column) => {
        parameters.push((row as Record<string, unknown>)[column] ?? null);
        return dialect === 'postgres' ? `$${parameters.length}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    await db.executeQuery(CompiledQuery.raw(head + tuples.join(', '), parameters));
  }
}
