import type { Database } from 'sql.js';
import { MistudioError, describeError } from '../errors';

/**
 * One forward step of the schema. Versions start at 1 and increase by one; `PRAGMA user_version` holds the last
 * applied version. To change the schema, append a migration — never edit one that has shipped.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database) => void;
}

/** Marks a SQLite file as ours ("MIST"), so another program's database is not mistaken for an empty catalog. */
export const CATALOG_APPLICATION_ID = 0x4d495354;

export const CATALOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'entries, their files and persisted jobs',
    up: (db) => {
      db.exec(`
        PRAGMA application_id = ${CATALOG_APPLICATION_ID};
        CREATE TABLE entries (
          id TEXT PRIMARY KEY NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('model', 'dataset')),
          repo_id TEXT NOT NULL,
          revision TEXT NOT NULL,
          display_name TEXT NOT NULL,
          commit_sha TEXT,
          status TEXT NOT NULL,
          bytes_done INTEGER NOT NULL CHECK (bytes_done >= 0),
          bytes_total INTEGER NOT NULL CHECK (bytes_total >= 0),
          file_count INTEGER NOT NULL CHECK (file_count >= 0),
          snapshot_path TEXT,
          error_code TEXT,
          error_message TEXT,
          include_patterns TEXT NOT NULL,
          exclude_patterns TEXT NOT NULL,
          metadata TEXT NOT NULL,
          -- Folded for search (searchKey.ts); searching and sorting happen in an in-memory index built from these.
          name_key TEXT NOT NULL,
          repo_key TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          UNIQUE (kind, repo_id, revision)
        );

        CREATE TABLE entry_files (
          entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
          path TEXT NOT NULL,
          size INTEGER NOT NULL CHECK (size >= 0),
          blob_id TEXT NOT NULL,
          sha256 TEXT,
          git_sha1 TEXT NOT NULL,
          state TEXT NOT NULL,
          bytes_done INTEGER NOT NULL CHECK (bytes_done >= 0),
          done_ranges TEXT NOT NULL,
          PRIMARY KEY (entry_id, path)
        ) WITHOUT ROWID;

        -- No foreign key to entries: a cleanup job outlives the entry it frees.
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY NOT NULL,
          type TEXT NOT NULL,
          entry_id TEXT,
          state TEXT NOT NULL,
          attempts INTEGER NOT NULL CHECK (attempts >= 0),
          payload TEXT NOT NULL,
          last_error TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX jobs_by_entry ON jobs (entry_id);
      `);
    },
  },
  {
    version: 2,
    description: 'many processes: download owners, stop requests, and where the image stands in the change log',
    up: (db) => {
      db.exec(`
        -- The process (see core/ownership) whose download this is, while one runs.
        ALTER TABLE entries ADD COLUMN owner TEXT;
        -- "pause" / "cancel" asked of the owner by another process.
        ALTER TABLE entries ADD COLUMN stop_request TEXT;
        ALTER TABLE jobs ADD COLUMN owner TEXT;
        CREATE TABLE sync_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
      `);
    },
  },
];

export const CATALOG_SCHEMA_VERSION = latestVersion(CATALOG_MIGRATIONS);

/**
 * Indexes that hold no data of their own, added without a schema version: SQLite maintains an index for every
 * program that opens the file, so a catalog gaining one stays readable and writable by older versions (a migration
 * would make them refuse it).
 *
 * entries_in_name_order covers the columns the search index is built from, in the order it keeps them: opening a
 * catalog reads it in order from the index alone, and the sort of 100,000 names that followed (~300 ms here) meets
 * sorted input and becomes one pass.
 */
const DERIVED_INDEXES: Readonly<Record<string, string>> = {
  entries_in_name_order: 'entries (name_key, id, kind, status, bytes_total, updated_at, repo_key)',
};

/** Creates the derived indexes a catalog lacks; true if it created any (the image is then worth writing anew). */
export function ensureDerivedIndexes(db: Database): boolean {
  const present = new Set((db.exec("SELECT name FROM sqlite_master WHERE type = 'index'")[0]?.values ?? []).map((v) => String(v[0])));
  let created = false;
  for (const [name, on] of Object.entries(DERIVED_INDEXES)) {
    if (present.has(name)) continue;
    db.exec(`CREATE INDEX ${name} ON ${on}`);
    created = true;
  }
  return created;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

export function readUserVersion(db: Database): number {
  const value = db.exec('PRAGMA user_version')[0]?.values[0]?.[0];
  return typeof value === 'number' ? value : 0;
}

/**
 * Applies, in order, the migrations newer than the database's user_version, each in its own transaction together
 * with the version bump, so a failure leaves the database at the last fully applied version.
 * Returns the versions applied. The caller refuses databases newer than the list before calling this.
 */
export function runMigrations(db: Database, migrations: readonly Migration[]): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Catalog migrations must be numbered 1, 2, 3…; found ${m.version} at position ${i + 1}`);
  });
  const current = readUserVersion(db);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      migration.up(db);
      db.exec(`PRAGMA user_version = ${migration.version}`);
      db.exec('COMMIT');
    } catch (err) {
      rollbackQuietly(db);
      throw new MistudioError(
        'CatalogCorrupt',
        `Could not upgrade the catalog to schema ${migration.version} (${migration.description}): ${describeError(err)}`,
        {},
        { cause: err },
      );
    }
    applied.push(migration.version);
  }
  return applied;
}

function rollbackQuietly(db: Database): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // The migration itself may have ended the transaction; there is nothing left to undo then.
  }
}
