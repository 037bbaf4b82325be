import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG_SCHEMA_VERSION, CatalogTooNewError, type Migration } from '../../../src/core/catalog';
import { INDEX_ROWS_IN_NAME_ORDER } from '../../../src/core/catalog/catalog';
import { CATALOG_APPLICATION_ID, CATALOG_MIGRATIONS, ensureDerivedIndexes, readUserVersion, runMigrations } from '../../../src/core/catalog/migrations';
import { isMistudioError } from '../../../src/core/errors';
import { makeTempDir, openFile, wasmPath } from './helpers';

function schemaNames(db: Database, type: 'table' | 'index'): string[] {
  return (db.exec(`SELECT name FROM sqlite_master WHERE type = '${type}' ORDER BY name`)[0]?.values ?? []).map((v) => String(v[0]));
}

function columnNames(db: Database, table: string): string[] {
  return (db.exec(`PRAGMA table_info(${table})`)[0]?.values ?? []).map((v) => String(v[1]));
}

describe('catalog migrations', () => {
  let SQL: SqlJsStatic;
  let applied: number[];

  // Synthetic future versions, appended after the real ones the way a later release would.
  const v = CATALOG_SCHEMA_VERSION;
  const addNotes: Migration = {
    version: v + 1,
    description: 'entries get notes',
    up: (db) => {
      applied.push(v + 1);
      db.exec("ALTER TABLE entries ADD COLUMN notes TEXT NOT NULL DEFAULT ''");
    },
  };
  const addTags: Migration = {
    version: v + 2,
    description: 'tags table',
    up: (db) => {
      applied.push(v + 2);
      db.exec('CREATE TABLE tags (entry_id TEXT NOT NULL, tag TEXT NOT NULL)');
    },
  };
  const failing: Migration = {
    version: v + 2,
    description: 'half-done then fails',
    up: (db) => {
      applied.push(v + 2);
      db.exec('CREATE TABLE doomed (x INTEGER); ALTER TABLE entries ADD COLUMN doomed_col TEXT');
      throw new Error('disk gremlin');
    },
  };

  beforeAll(async () => {
    SQL = await initSqlJs({ locateFile: () => wasmPath });
  });
  beforeEach(() => {
    applied = [];
  });

  it('builds the current schema from an empty database', () => {
    const db = new SQL.Database();
    expect(runMigrations(db, CATALOG_MIGRATIONS)).toEqual(CATALOG_MIGRATIONS.map((m) => m.version));
    expect(readUserVersion(db)).toBe(CATALOG_SCHEMA_VERSION);
    expect(db.exec('PRAGMA application_id')[0]?.values[0]?.[0]).toBe(CATALOG_APPLICATION_ID);
    expect(schemaNames(db, 'table')).toEqual(['entries', 'entry_files', 'jobs', 'sync_state']);
    // Running again is a no-op.
    expect(runMigrations(db, CATALOG_MIGRATIONS)).toEqual([]);
    db.close();
  });

  it('applies only the missing migrations, in order', () => {
    const db = new SQL.Database();
    runMigrations(db, CATALOG_MIGRATIONS);
    expect(runMigrations(db, [...CATALOG_MIGRATIONS, addNotes])).toEqual([v + 1]);
    expect(runMigrations(db, [...CATALOG_MIGRATIONS, addNotes, addTags])).toEqual([v + 2]);
    expect(applied).toEqual([v + 1, v + 2]);
    expect(readUserVersion(db)).toBe(v + 2);

    const fresh = new SQL.Database();
    applied = [];
    expect(runMigrations(fresh, [...CATALOG_MIGRATIONS, addNotes, addTags])).toEqual([...CATALOG_MIGRATIONS.map((m) => m.version), v + 1, v + 2]);
    expect(applied).toEqual([v + 1, v + 2]);
    expect(columnNames(fresh, 'entries')).toContain('notes');
    expect(schemaNames(fresh, 'table')).toContain('tags');
    db.close();
    fresh.close();
  });

  it('applies each migration atomically: a failure keeps the earlier ones and undoes its own part', () => {
    const db = new SQL.Database();
    let error: unknown;
    try {
      runMigrations(db, [...CATALOG_MIGRATIONS, addNotes, failing]);
    } catch (err) {
      error = err;
    }
    expect(isMistudioError(error, 'CatalogCorrupt')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`schema ${v + 2} .*disk gremlin`));
    expect(readUserVersion(db)).toBe(v + 1);
    expect(schemaNames(db, 'table')).not.toContain('doomed');
    expect(columnNames(db, 'entries')).toContain('notes');
    expect(columnNames(db, 'entries')).not.toContain('doomed_col');
    db.close();
  });

  it('reads the search index rows in name order from the covering index alone, without a sort', () => {
    const db = new SQL.Database();
    runMigrations(db, CATALOG_MIGRATIONS);
    expect(ensureDerivedIndexes(db)).toBe(true);
    expect(ensureDerivedIndexes(db)).toBe(false);
    const plan = (db.exec(`EXPLAIN QUERY PLAN ${INDEX_ROWS_IN_NAME_ORDER}`)[0]?.values ?? []).map((row) => String(row.at(-1)));
    expect(plan).toEqual(['SCAN entries USING COVERING INDEX entries_in_name_order']);
    db.close();
  });

  it('refuses a migration list that is not numbered 1, 2, 3…', () => {
    const db = new SQL.Database();
    expect(() => runMigrations(db, [...CATALOG_MIGRATIONS, addTags])).toThrow(/numbered/);
    expect(readUserVersion(db)).toBe(0);
    db.close();
  });

  describe('on a catalog file', () => {
    let dir: string;
    let cleanup: () => void;
    let file: string;

    beforeEach(() => {
      ({ dir, cleanup } = makeTempDir());
      file = path.join(dir, 'catalog.sqlite');
    });
    afterEach(() => cleanup());

    async function writeCurrentCatalog(): Promise<string> {
      const { catalog } = await openFile(file);
      const id = catalog.addEntry({ kind: 'model', repoId: 'org/m', status: 'ready' }).id;
      await catalog.close();
      return id;
    }

    it('upgrades a file from every earlier version, keeps its data and saves the result', async () => {
      const id = await writeCurrentCatalog();
      const { catalog, warnings } = await openFile(file, { migrations: [...CATALOG_MIGRATIONS, addNotes, addTags] });
      expect(catalog.schemaVersion).toBe(v + 2);
      expect(catalog.getEntry(id)?.status).toBe('ready');
      await catalog.close();
      expect(warnings).toEqual([]);
      expect(applied).toEqual([v + 1, v + 2]);

      const db = new SQL.Database(fs.readFileSync(file));
      expect(readUserVersion(db)).toBe(v + 2);
      expect(schemaNames(db, 'table')).toContain('tags');
      db.close();

      // From the intermediate version only the last step runs.
      const mid = path.join(dir, 'mid.sqlite');
      const midCatalog = await openFile(mid, { migrations: [...CATALOG_MIGRATIONS, addNotes] });
      await midCatalog.catalog.close();
      applied = [];
      const upgraded = await openFile(mid, { migrations: [...CATALOG_MIGRATIONS, addNotes, addTags] });
      expect(applied).toEqual([v + 2]);
      await upgraded.catalog.close();
    });

    it('adds a missing derived index without a schema bump (older versions keep the file) and saves it at once', async () => {
      const id = await writeCurrentCatalog();
      // A catalog written before the index existed.
      const old = new SQL.Database(fs.readFileSync(file));
      old.exec('DROP INDEX entries_in_name_order');
      fs.writeFileSync(file, old.export());
      old.close();

      const { catalog, warnings } = await openFile(file);
      const saved = new SQL.Database(fs.readFileSync(file));
      expect(schemaNames(saved, 'index')).toContain('entries_in_name_order');
      expect(readUserVersion(saved)).toBe(CATALOG_SCHEMA_VERSION);
      saved.close();
      expect(catalog.search({ text: 'org/m' }).items.map((e) => e.id)).toEqual([id]);
      await catalog.close();
      expect(warnings).toEqual([]);
    });

    it('leaves the file untouched when an upgrade fails', async () => {
      await writeCurrentCatalog();
      const before = fs.readFileSync(file);
      const listing = fs.readdirSync(dir);
      await expect(openFile(file, { migrations: [...CATALOG_MIGRATIONS, addNotes, failing] })).rejects.toMatchObject({ code: 'CatalogCorrupt' });
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(listing);
    });

    it('refuses a file upgraded by a newer version, without touching it', async () => {
      await writeCurrentCatalog();
      const newer = await openFile(file, { migrations: [...CATALOG_MIGRATIONS, addNotes] });
      await newer.catalog.close();
      const before = fs.readFileSync(file);
      const listing = fs.readdirSync(dir);
      await expect(openFile(file)).rejects.toBeInstanceOf(CatalogTooNewError);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(listing);
    });
  });
});
