import type { BindParams, Database, SqlValue, Statement } from 'sql.js';

export type Row = Record<string, SqlValue>;

// Search builds its SQL from the query's shape; the shapes are few, but keep the cache bounded anyway.
const MAX_CACHED_STATEMENTS = 256;

/** Prepared-statement cache and row helpers over a sql.js database. */
export class Statements {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  all(sql: string, params?: BindParams): Row[] {
    const stmt = this.prepare(sql);
    try {
      if (params) stmt.bind(params);
      const rows: Row[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject());
      return rows;
    } finally {
      stmt.reset();
    }
  }

  get(sql: string, params?: BindParams): Row | undefined {
    const stmt = this.prepare(sql);
    try {
      if (params) stmt.bind(params);
      return stmt.step() ? stmt.getAsObject() : undefined;
    } finally {
      stmt.reset();
    }
  }

  /** Every row as an array of values, in column order: cheaper than objects for wide scans. */
  arrays(sql: string, params?: BindParams): SqlValue[][] {
    const stmt = this.prepare(sql);
    try {
      if (params) stmt.bind(params);
      const rows: SqlValue[][] = [];
      while (stmt.step()) rows.push(stmt.get());
      return rows;
    } finally {
      stmt.reset();
    }
  }

  /** The first column of every row. */
  column(sql: string, params?: BindParams): SqlValue[] {
    const stmt = this.prepare(sql);
    try {
      if (params) stmt.bind(params);
      const values: SqlValue[] = [];
      while (stmt.step()) values.push(stmt.get()[0] ?? null);
      return values;
    } finally {
      stmt.reset();
    }
  }

  /** Runs a change and returns how many rows it touched. */
  run(sql: string, params?: BindParams): number {
    const stmt = this.prepare(sql);
    try {
      stmt.run(params ?? null);
    } finally {
      stmt.reset();
    }
    return this.db.getRowsModified();
  }

  free(): void {
    for (const stmt of this.cache.values()) stmt.free();
    this.cache.clear();
  }

  private prepare(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      if (this.cache.size >= MAX_CACHED_STATEMENTS) this.free();
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}
