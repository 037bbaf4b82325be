import * as path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { echo } from '../echo';
import { MistudioError, describeError } from '../errors';
import { Catalog } from './catalog';
import {
  moveAside,
  nodeFileSystem,
  readCatalogBytes,
  removeStaleTempFiles,
  sqliteImageProblem,
  type CatalogFileSystem,
} from './catalogFile';
import { CATALOG_APPLICATION_ID, CATALOG_MIGRATIONS, ensureDerivedIndexes, latestVersion, readUserVersion, runMigrations, type Migration } from './migrations';
import { CatalogSync, logFileOf, type PreparedImage } from './catalogSync';
import { loadSqlJs } from './sqljs';
import { Statements } from './statements';

export interface OpenCatalogOptions {
  /** The catalog file; null keeps the catalog in memory only. */
  file: string | null;
  /** sql.js's sql-wasm.wasm (the bundles ship it as dist/sql-wasm.wasm). */
  wasmPath: string;
  /** Problems that did not stop the catalog from working: a corrupt file moved aside, a failed save. */
  onWarning?: (message: string) => void;
  /** How long changes gather before one append to the shared log; default 100 ms. */
  saveDelayMs?: number;
  /** How often the log is checked for other processes' changes when no file event arrives; default 500 ms. */
  pollMs?: number;
  /** Fold the log into a new image past this size; default 4 MiB or a quarter of the image, the larger. */
  compactBytes?: number;
  /** For tests: the file operations to use. */
  fileSystem?: CatalogFileSystem;
  /** For tests: the schema migrations to apply instead of the real ones. */
  migrations?: readonly Migration[];
}

/** The catalog on disk was written by a newer MechInterp Studio; it is left untouched. */
export class CatalogTooNewError extends MistudioError {
  constructor(
    readonly file: string,
    readonly fileVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      'CatalogCorrupt',
      `The catalog ${file} was written by a newer version of MechInterp Studio (schema ${fileVersion}; this version reads up to ${supportedVersion}). Update the extension to use it; the file was not changed.`,
      { path: file },
    );
  }
}

/**
 * Opens (or creates) the catalog. A file that is not a readable catalog is moved aside to
 * "<name>.corrupt-<timestamp>" and a fresh catalog starts (reported through onWarning) — if it is plausibly a
 * damaged catalog (see refuseUnlessOurs); any other file is refused with InvalidInput and left untouched. A catalog
 * from a newer version is refused with CatalogTooNewError and left as it is.
 */
export async function openCatalog(options: OpenCatalogOptions): Promise<Catalog> {
  const saveDelayMs = options.saveDelayMs ?? 100;
  if (!Number.isFinite(saveDelayMs) || saveDelayMs < 0) throw new MistudioError('InvalidInput', `Invalid save delay ${saveDelayMs}: expected milliseconds ≥ 0`);
  const SQL = await loadSqlJs(options.wasmPath);
  const migrations = options.migrations ?? CATALOG_MIGRATIONS;
  const warn = (message: string): void => {
    try {
      options.onWarning?.(message);
    } catch {
      // A failing warning sink must not break the catalog.
    }
  };

  if (options.file === null) {
    return createCatalog(prepare(new SQL.Database(), migrations).db, null, null);
  }

  const file = path.resolve(options.file);
  const fs = options.fileSystem ?? nodeFileSystem;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
  } catch (err) {
    throw new MistudioError('Io', `Cannot create the folder for the catalog ${file}: ${describeError(err)}`, { path: file }, { cause: err });
  }
  const supported = latestVersion(migrations);
  await refuseForeignBeforeLocking(SQL, fs, file, supported);
  /** Run under the catalog lock, so no compaction replaces the image between this read and the log's. */
  const readImage = async (): Promise<PreparedImage> => {
    const bytes = await readCatalogBytes(fs, file);
    if (bytes === null) return { ...prepare(new SQL.Database(), migrations), bytes: 0 };
    const loaded = loadImage(SQL, bytes, file, supported);
    if ('db' in loaded) return { ...prepare(loaded.db, migrations), bytes: bytes.byteLength };
    refuseUnlessOurs(file, bytes, loaded);
    const movedTo = await moveAside(fs, file, new Date());
    warn(`The catalog ${file} could not be read (${loaded.problem}); it was moved to ${movedTo} and a new, empty catalog was started.`);
    return { ...prepare(new SQL.Database(), migrations), bytes: 0 };
  };
  const { db, sync } = await CatalogSync.open(
    {
      file,
      fs,
      schemaVersion: supported,
      delayMs: saveDelayMs,
      pollMs: options.pollMs ?? 500,
      compactBytes: options.compactBytes,
      warn,
      loadImage: (data) => {
        if (data.byteLength === 0) return prepare(new SQL.Database(), migrations).db;
        // Another process may have replaced the image since we checked it; a bad one now is an error, not moved aside.
        const loaded = loadImage(SQL, data, file, supported);
        if ('db' in loaded) return prepare(loaded.db, migrations).db;
        throw new MistudioError('CatalogCorrupt', `The catalog ${file} could not be read (${loaded.problem})`, { path: file });
      },
    },
    readImage,
  );
  let removed = 0;
  for (const target of [file, logFileOf(file)]) removed += (await removeStaleTempFiles(fs, target)).length;
  if (removed > 0) warn(`Removed ${removed} unfinished catalog save(s) left by a process that stopped.`);

  return createCatalog(db, file, sync);
}

/** Pragmas, migrations and derived indexes, on an image about to be used; `migrated` when the image must be written anew. */
function prepare(db: Database, migrations: readonly Migration[]): { db: Database; migrated: boolean } {
  try {
    db.exec('PRAGMA foreign_keys = ON; PRAGMA journal_mode = MEMORY;');
    const migrated = runMigrations(db, migrations).length > 0;
    return { db, migrated: ensureDerivedIndexes(db) || migrated };
  } catch (err) {
    db.close();
    throw err;
  }
}

function createCatalog(db: Database, file: string | null, sync: CatalogSync | null): Catalog {
  try {
    return new Catalog({ statements: new Statements(db), sync, file, schemaVersion: readUserVersion(db) });
  } catch (err) {
    db.close();
    throw err;
  }
}

type LoadedImage = { db: Database } | { problem: string; foreignDatabase?: true };

/** What every catalog we create is called (the CLI's default and the extension's): catalog.sqlite. */
const CATALOG_NAME = 'catalog.sqlite';
const CATALOG_EXTENSION = '.sqlite';
const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

/**
 * Moving an unreadable file aside is for a damaged catalog; a file the user named by mistake (`--catalog notes.txt`,
 * their own database) must not be renamed. The rule, on a non-empty file that did not load:
 * - starts with the SQLite header but is torn or damaged → ours, damaged (we only ever write SQLite there): move aside;
 * - a healthy SQLite database of another program → move aside only under our own name "catalog.sqlite";
 * - no SQLite header at all → move aside only when named "*.sqlite", the extension every catalog has;
 * anything else is refused, untouched.
 */
function refuseUnlessOurs(file: string, bytes: Uint8Array, loaded: { problem: string; foreignDatabase?: true }): void {
  const name = path.basename(file).toLowerCase();
  const hasHeader = bytes.byteLength >= SQLITE_HEADER.length && SQLITE_HEADER.every((b, i) => bytes[i] === b);
  const ours = loaded.foreignDatabase ? name === CATALOG_NAME : hasHeader || path.extname(name) === CATALOG_EXTENSION;
  if (ours) return;
  const what = loaded.foreignDatabase ? 'another program’s SQLite database' : 'not a SQLite database';
  throw new MistudioError('InvalidInput', `Refusing to use ${echo(file, 200)} as the catalog: it is ${what}; the file was left untouched. Choose another catalog file.`, {
    path: file,
  });
}

/**
 * A file that is not ours is refused before the lock and log files appear beside it: only files whose first bytes
 * say "maybe someone else's" are read in full here, so a normal open reads the image once (under the lock).
 */
async function refuseForeignBeforeLocking(SQL: SqlJsStatic, fs: CatalogFileSystem, file: string, supported: number): Promise<void> {
  let head: Buffer;
  try {
    const handle = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(100);
      head = head.subarray(0, (await handle.read(head, 0, head.length, 0)).bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return;
  }
  if (head.length === 0) return;
  const name = path.basename(file).toLowerCase();
  const hasHeader = head.length >= SQLITE_HEADER.length && SQLITE_HEADER.every((b, i) => head[i] === b);
  const applicationId = head.length >= 72 ? head.readUInt32BE(68) : 0;
  const suspicious = hasHeader ? applicationId !== CATALOG_APPLICATION_ID && name !== CATALOG_NAME : path.extname(name) !== CATALOG_EXTENSION;
  if (!suspicious) return;
  const bytes = await readCatalogBytes(fs, file);
  if (bytes === null) return;
  const loaded = loadImage(SQL, bytes, file, supported);
  if ('db' in loaded) loaded.db.close();
  else refuseUnlessOurs(file, bytes, loaded);
}

/** Opens the bytes as a database and checks they are a whole catalog this version can read. */
function loadImage(SQL: SqlJsStatic, bytes: Uint8Array, file: string, supportedVersion: number): LoadedImage {
  const structural = sqliteImageProblem(bytes);
  if (structural) return { problem: structural };
  let db: Database | undefined;
  try {
    db = new SQL.Database(bytes);
    const check = db.exec('PRAGMA quick_check')[0]?.values.map((v) => String(v[0])) ?? [];
    if (check.length !== 1 || check[0] !== 'ok') {
      db.close();
      return { problem: `damaged database: ${check.slice(0, 3).join('; ') || 'integrity check failed'}` };
    }
    const applicationId = Number(db.exec('PRAGMA application_id')[0]?.values[0]?.[0] ?? 0);
    const objectCount = Number(db.exec('SELECT count(*) FROM sqlite_master')[0]?.values[0]?.[0] ?? 0);
    const version = readUserVersion(db);
    if (applicationId !== CATALOG_APPLICATION_ID && (objectCount > 0 || version > 0)) {
      db.close();
      return { problem: 'not a MechInterp Studio catalog', foreignDatabase: true };
    }
    if (version > supportedVersion) {
      db.close();
      throw new CatalogTooNewError(file, version, supportedVersion);
    }
    return { db };
  } catch (err) {
    if (err instanceof CatalogTooNewError) throw err;
    db?.close();
    return { problem: describeError(err) };
  }
}
