import type { Database } from 'sql.js';
import { applyOp, type CatalogOp } from './ops';
import { Statements } from './statements';

/**
 * Applies an op read from the log inside its own savepoint: an op this database refuses (a constraint, a value
 * another version allowed) is skipped whole instead of half-applied or failing the batch around it.
 * Returns the entry it touched, or undefined (a job, or skipped).
 */
export function applyOpGuarded(sql: Statements, op: CatalogOp): string | undefined {
  sql.db.exec('SAVEPOINT replay');
  try {
    const entryId = applyOp(sql, op);
    sql.db.exec('RELEASE replay');
    return entryId;
  } catch {
    sql.db.exec('ROLLBACK TO replay; RELEASE replay');
    return undefined;
  }
}

/** Applies log records to a database nobody watches yet (while opening or reloading). */
export function applyRecordsQuietly(db: Database, opsList: readonly (readonly CatalogOp[])[]): void {
  if (opsList.every((ops) => ops.length === 0)) return;
  const sql = new Statements(db);
  db.exec('BEGIN');
  try {
    for (const ops of opsList) for (const op of ops) applyOpGuarded(sql, op);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  } finally {
    sql.free();
  }
}
