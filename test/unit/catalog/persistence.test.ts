import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogTooNewError, CATALOG_SCHEMA_VERSION, openCatalog, type CatalogFileSystem } from '../../../src/core/catalog';
import { nodeFileSystem } from '../../../src/core/catalog/catalogFile';
import { loadSqlJs } from '../../../src/core/catalog/sqljs';
import { isMistudioError } from '../../../src/core/errors';
import { SHA1, SHA256, makeTempDir, openFile, wasmPath } from './helpers';

interface FsLog {
  /** Records appended to the change log. */
  appends: number;
  /** Whole files written (image and log at a compaction). */
  fileWrites: number;
  maxConcurrentAppends: number;
}

/** The real file system, counting writes; `failWith` makes every write fail until cleared. */
function instrumentedFs(options: { writeDelayMs?: number } = {}): { fs: CatalogFileSystem; log: FsLog; failWith: { code: string | null } } {
  const log: FsLog = { appends: 0, fileWrites: 0, maxConcurrentAppends: 0 };
  const failWith: { code: string | null } = { code: null };
  let concurrent = 0;
  const fail = (): void => {
    if (failWith.code) throw Object.assign(new Error(`${failWith.code}: simulated failure, write`), { code: failWith.code });
  };
  const instrumented: CatalogFileSystem = {
    ...nodeFileSystem,
    open: async (file, flags) => {
      if (flags.startsWith('w')) fail();
      const handle = await nodeFileSystem.open(file, flags);
      let appending = false;
      return {
        read: (...args) => handle.read(...args),
        stat: () => handle.stat(),
        truncate: (n) => handle.truncate(n),
        datasync: () => handle.datasync(),
        write: async (...args) => {
          fail();
          if (!appending) {
            appending = true;
            log.appends += 1;
            concurrent += 1;
            log.maxConcurrentAppends = Math.max(log.maxConcurrentAppends, concurrent);
          }
          if (options.writeDelayMs) await new Promise((r) => setTimeout(r, options.writeDelayMs));
          return handle.write(...args);
        },
        writeFile: async (data) => {
          log.fileWrites += 1;
          await handle.writeFile(data);
        },
        sync: () => handle.sync(),
        close: async () => {
          if (appending) concurrent -= 1;
          await handle.close();
        },
      };
    },
  };
  return { fs: instrumented, log, failWith };
}

/** What a catalog file has beside it once used: its change log, the log a compaction replaced, and the lock. */
const SHARED_FILES = ['catalog.sqlite', 'catalog.sqlite.lock', 'catalog.sqlite.log', 'catalog.sqlite.log.prev'];

describe('catalog persistence', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;

  beforeEach(() => {
    ({ dir, cleanup } = makeTempDir());
    file = path.join(dir, 'state', 'catalog.sqlite');
  });
  afterEach(() => cleanup());

  const siblings = (): string[] => fs.readdirSync(path.dirname(file)).sort();

  it('round-trips entries, files and jobs across close and reopen', async () => {
    const first = await openFile(file);
    const entry = first.catalog.addEntry({ kind: 'dataset', repoId: 'org/data', displayName: 'Data ✓', metadata: { dataset: { configs: [{ name: 'default', splits: [] }] } } });
    first.catalog.setFiles(entry.id, [{ path: 'data/train.parquet', size: 100, blobId: SHA256(3), sha256: SHA256(3), gitSha1: SHA1(3), state: 'partial', bytesDone: 40, doneRanges: [[0, 20], [50, 70]] }]);
    const job = first.catalog.addJob({ type: 'download', entryId: entry.id, payload: { include: ['*.parquet'] } });
    await first.catalog.close();
    expect(first.warnings).toEqual([]);

    const second = await openFile(file);
    expect(second.catalog.schemaVersion).toBe(CATALOG_SCHEMA_VERSION);
    expect(second.catalog.getEntry(entry.id)).toEqual(entry);
    expect(second.catalog.getFiles(entry.id)[0]?.doneRanges).toEqual([[0, 20], [50, 70]]);
    expect(second.catalog.getJob(job.id)).toEqual(job);
    expect(second.catalog.search({ text: 'data ✓' }).total).toBe(1);
    await second.catalog.close();
    expect(second.warnings).toEqual([]);
    expect(siblings()).toEqual(SHARED_FILES);
  });

  it('coalesces many changes into one write and never overlaps writes', async () => {
    const { fs: countingFs, log } = instrumentedFs({ writeDelayMs: 20 });
    const { catalog } = await openFile(file, { fileSystem: countingFs, saveDelayMs: 50 });
    const base = log.appends;
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    for (let i = 1; i <= 200; i++) catalog.updateEntry(entry.id, { bytesDone: i });
    await catalog.flush();
    expect(log.appends - base).toBe(1);

    // Changes arriving while a slow write runs are gathered into the next write, never a parallel one.
    for (let round = 0; round < 5; round++) {
      catalog.updateEntry(entry.id, { bytesDone: 1000 + round });
      await new Promise((r) => setTimeout(r, 30));
    }
    await catalog.flush();
    expect(log.maxConcurrentAppends).toBe(1);
    expect(log.appends - base).toBeLessThan(1 + 5);
    await catalog.close();

    const reopened = await openFile(file);
    expect(reopened.catalog.getEntry(entry.id)?.bytesDone).toBe(1004);
    await reopened.catalog.close();
  });

  it('makes flush write pending changes now, and close flush too', async () => {
    const { catalog } = await openFile(file, { saveDelayMs: 60_000 });
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    expect(catalog.hasUnsavedChanges).toBe(true);
    await catalog.flush();
    expect(catalog.hasUnsavedChanges).toBe(false);
    const peek = await openFile(file);
    expect(peek.catalog.getEntry(entry.id)).toBeDefined();
    await peek.catalog.close();

    catalog.updateEntry(entry.id, { status: 'ready' });
    await catalog.close();
    const after = await openFile(file);
    expect(after.catalog.getEntry(entry.id)?.status).toBe('ready');
    await after.catalog.close();
  });

  it('does not write when nothing changed', async () => {
    const { fs: countingFs, log } = instrumentedFs();
    const setup = await openFile(file);
    const entry = setup.catalog.addEntry({ kind: 'model', repoId: 'org/m', bytesTotal: 3 });
    await setup.catalog.close();

    const { catalog } = await openFile(file, { fileSystem: countingFs });
    catalog.search({ text: 'm' });
    catalog.updateEntry(entry.id, { bytesTotal: 3 });
    catalog.transaction(() => catalog.getEntry(entry.id));
    await catalog.close();
    expect(log.appends).toBe(0);
    expect(log.fileWrites).toBe(0);
  });

  it('keeps the in-memory state when a save fails, warns, and succeeds on the next save', async () => {
    const setup = await openFile(file);
    const kept = setup.catalog.addEntry({ kind: 'model', repoId: 'org/kept' });
    await setup.catalog.close();
    const before = fs.readFileSync(file);
    const logBefore = fs.readFileSync(`${file}.log`);

    const { fs: failingFs, failWith } = instrumentedFs();
    const { catalog, warnings } = await openFile(file, { fileSystem: failingFs });
    failWith.code = 'ENOSPC';
    const added = catalog.addEntry({ kind: 'model', repoId: 'org/new' });
    let error: unknown;
    try {
      await catalog.flush();
    } catch (err) {
      error = err;
    }
    expect(isMistudioError(error, 'NoSpace')).toBe(true);
    expect(warnings.some((w) => /Cannot save the catalog/.test(w) && /kept in memory/.test(w))).toBe(true);
    expect(catalog.hasUnsavedChanges).toBe(true);
    expect(catalog.getEntry(added.id)).toBeDefined();
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readFileSync(`${file}.log`).equals(logBefore)).toBe(true);
    expect(siblings()).toEqual(SHARED_FILES);

    // A timer-driven save fails the same way: reported, nothing lost.
    const warningsBefore = warnings.length;
    catalog.updateEntry(kept.id, { status: 'ready' });
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings.length).toBeGreaterThan(warningsBefore);

    failWith.code = null;
    catalog.updateEntry(added.id, { status: 'paused' });
    await catalog.flush();
    expect(catalog.hasUnsavedChanges).toBe(false);
    await catalog.close();

    const reopened = await openFile(file);
    expect(reopened.catalog.getEntry(added.id)?.status).toBe('paused');
    expect(reopened.catalog.getEntry(kept.id)?.status).toBe('ready');
    await reopened.catalog.close();
  });

  it('closes even when the final save fails, and says so', async () => {
    const { fs: failingFs, failWith } = instrumentedFs();
    const { catalog } = await openFile(file, { fileSystem: failingFs });
    failWith.code = 'EIO';
    catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    await expect(catalog.close()).rejects.toMatchObject({ code: 'Io' });
    expect(() => catalog.search()).toThrow(/closed/);
  });

  it('removes temp files left by dead processes, and only those', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const dead = `${file}.tmp-99999999-1`;
    const live = `${file}.tmp-${process.ppid}-1`;
    const other = path.join(path.dirname(file), 'unrelated.tmp-99999999-1');
    for (const f of [dead, live, other]) fs.writeFileSync(f, 'partial');
    const { catalog, warnings } = await openFile(file);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(warnings.some((w) => /unfinished catalog save/.test(w))).toBe(true);
    await catalog.close();
  });

  it('starts fresh from a zero-length file without a warning', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    const { catalog, warnings } = await openFile(file);
    expect(catalog.search().total).toBe(0);
    catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    await catalog.close();
    expect(warnings).toEqual([]);
    expect(siblings()).toEqual(SHARED_FILES);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });

  it('keeps an in-memory catalog off the disk', async () => {
    const catalog = await openCatalog({ file: null, wasmPath });
    catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    expect(catalog.hasUnsavedChanges).toBe(false);
    await catalog.flush();
    await catalog.close();
    expect(catalog.file).toBeNull();
  });

  it('loads the SQLite engine once per wasm path and reports a missing one as an Io error', async () => {
    expect(loadSqlJs(wasmPath)).toBe(loadSqlJs(wasmPath));
    const missing = path.join(dir, 'missing.wasm');
    await expect(openCatalog({ file: null, wasmPath: missing })).rejects.toMatchObject({ code: 'Io' });
    // A failed load is not cached: once the file exists, opening works.
    fs.copyFileSync(wasmPath, missing);
    const catalog = await openCatalog({ file: null, wasmPath: missing });
    await catalog.close();
  });

  it('validates the save delay', async () => {
    await expect(openCatalog({ file: null, wasmPath, saveDelayMs: -1 })).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  describe('unreadable files', () => {
    async function writeRealCatalog(entries: number): Promise<Buffer> {
      const { catalog } = await openFile(file);
      catalog.transaction(() => {
        for (let i = 0; i < entries; i++) catalog.addEntry({ kind: 'model', repoId: `org/model-${i}`, metadata: { license: 'x'.repeat(200) } });
      });
      await catalog.close();
      return fs.readFileSync(file);
    }

    async function expectMovedAsideAndFresh(original: Buffer): Promise<void> {
      const { catalog, warnings } = await openFile(file);
      expect(catalog.search().total).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/could not be read .* moved to .*catalog\.sqlite\.corrupt-/);
      await catalog.close();
      const moved = siblings().filter((n) => n.startsWith('catalog.sqlite.corrupt-'));
      expect(moved).toHaveLength(1);
      expect(moved[0]).toMatch(/^catalog\.sqlite\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
      // Nothing is lost: the unreadable bytes are kept, and a valid fresh catalog takes their place.
      expect(fs.readFileSync(path.join(path.dirname(file), moved[0] as string)).equals(original)).toBe(true);
      const again = await openFile(file);
      expect(again.warnings).toEqual([]);
      await again.catalog.close();
    }

    it('moves a torn file (truncated mid-page) aside and starts fresh', async () => {
      const whole = await writeRealCatalog(300);
      expect(whole.length).toBeGreaterThan(8 * 4096);
      fs.truncateSync(file, Math.floor(whole.length / 2) + 123);
      await expectMovedAsideAndFresh(fs.readFileSync(file));
    });

    it('moves a file truncated at a page boundary aside', async () => {
      const whole = await writeRealCatalog(300);
      fs.truncateSync(file, whole.length - 2 * 4096);
      await expectMovedAsideAndFresh(fs.readFileSync(file));
    });

    it('moves a file with damaged pages aside', async () => {
      const whole = await writeRealCatalog(300);
      const damaged = Buffer.from(whole);
      for (let i = 2 * 4096; i < 6 * 4096; i++) damaged[i] = (i * 31 + 7) & 0xff;
      fs.writeFileSync(file, damaged);
      await expectMovedAsideAndFresh(damaged);
    });

    it('moves garbage bytes aside', async () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const garbage = Buffer.from('this is not a database, just some text that happens to be here\n'.repeat(100));
      fs.writeFileSync(file, garbage);
      await expectMovedAsideAndFresh(garbage);
    });

    it('moves another program’s SQLite database aside', async () => {
      const SQL = await initSqlJs({ locateFile: () => wasmPath });
      const db = new SQL.Database();
      db.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (\'hello\')');
      const foreign = Buffer.from(db.export());
      db.close();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, foreign);
      await expectMovedAsideAndFresh(foreign);
    });

    it('keeps two corrupt files apart', async () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      for (let i = 0; i < 2; i++) {
        fs.writeFileSync(file, `garbage ${i}`.repeat(50));
        const { catalog } = await openFile(file);
        await catalog.close();
      }
      expect(siblings().filter((n) => n.includes('.corrupt-'))).toHaveLength(2);
    });
  });

  it('refuses a catalog from a newer version and leaves it untouched', async () => {
    const setup = await openFile(file);
    setup.catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    await setup.catalog.close();
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const db = new SQL.Database(fs.readFileSync(file));
    db.exec(`PRAGMA user_version = ${CATALOG_SCHEMA_VERSION + 1}`);
    fs.writeFileSync(file, db.export());
    db.close();
    fs.writeFileSync(`${file}.tmp-99999999-4`, 'left by the newer version');
    const before = fs.readFileSync(file);
    const mtime = fs.statSync(file).mtimeMs;
    const listing = siblings();

    const warnings: string[] = [];
    let error: unknown;
    try {
      await openCatalog({ file, wasmPath, onWarning: (m) => warnings.push(m) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CatalogTooNewError);
    expect(error).toMatchObject({ fileVersion: CATALOG_SCHEMA_VERSION + 1, supportedVersion: CATALOG_SCHEMA_VERSION });
    expect((error as Error).message).toMatch(/newer version/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(siblings()).toEqual(listing);
    expect(warnings).toEqual([]);
  });

  it('reads damaged rows defensively instead of failing the listing', async () => {
    const setup = await openFile(file);
    const entry = setup.catalog.addEntry({ kind: 'model', repoId: 'org/m', includePatterns: ['*.json'], metadata: { likes: 1 } });
    setup.catalog.setFiles(entry.id, [{ path: 'a.bin', size: 10, blobId: SHA1(1), gitSha1: SHA1(1), doneRanges: [[0, 5]] }]);
    const job = setup.catalog.addJob({ type: 'download', payload: { a: 1 } });
    await setup.catalog.close();

    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const db = new SQL.Database(fs.readFileSync(file));
    db.exec(`
      UPDATE entries SET metadata = '{not json', include_patterns = '"nope"', exclude_patterns = '[1, "*.bin"]', status = 'weird', error_code = 'Nope';
      UPDATE entry_files SET done_ranges = '[[1], [3, 2], [0, 4], "x"]', state = 'strange';
      UPDATE jobs SET payload = '{', type = 'teleport';
    `);
    fs.writeFileSync(file, db.export());
    db.close();

    const { catalog, warnings } = await openFile(file);
    expect(warnings).toEqual([]);
    const [listed] = catalog.listEntries();
    expect(listed).toMatchObject({ metadata: {}, includePatterns: [], excludePatterns: ['*.bin'], status: 'error', errorCode: null });
    expect(catalog.search({ text: 'org/m' }).items[0]?.id).toBe(entry.id);
    expect(catalog.getFiles(entry.id)[0]).toMatchObject({ doneRanges: [[0, 4]], state: 'pending' });
    expect(catalog.getJob(job.id)).toMatchObject({ payload: null, state: 'failed' });
    // And a damaged row can be repaired through the API.
    expect(catalog.updateEntry(entry.id, { metadata: { likes: 2 } }).metadata).toEqual({ likes: 2 });
    await catalog.close();
  });
});
