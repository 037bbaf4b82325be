import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { describeError, MistudioError } from '../errors';
import { acquireFileLock, type HeldLock } from '../locking/fileLock';
import { ioError, writeAtomically, type CatalogFileSystem, type DurableFile } from './catalogFile';
import { encodeHeader, encodeRecord, readHeader, readRecords, type LogHeader, type LogRecord } from './opLog';
import { OpQueue, type CatalogOp } from './ops';
import { applyRecordsQuietly } from './replay';
import { SaveScheduler } from './saveScheduler';

/** What the catalog lets the sync do to it. */
export interface SyncTarget {
  readonly db: Database;
  /** Applies other processes' records, then re-applies our queued ops on top, and tells listeners. */
  applyRemote(records: readonly LogRecord[], queued: readonly CatalogOp[]): void;
  /** Swaps in a database read from the image (we fell behind a compaction), with our queued ops re-applied. */
  replaceDatabase(db: Database, queued: readonly CatalogOp[]): void;
}

/** An image read at open: the database (migrated), its size, and whether migrations changed it. */
export interface PreparedImage {
  readonly db: Database;
  readonly bytes: number;
  readonly migrated: boolean;
}

/** Where the image stands in the log: the image holds everything of log `log` up to byte `offset`. */
export interface SyncState {
  readonly log: string;
  readonly offset: number;
}

export interface CatalogSyncOptions {
  readonly file: string;
  readonly fs: CatalogFileSystem;
  readonly schemaVersion: number;
  /** How long local changes gather before one append. */
  readonly delayMs: number;
  /** How often the log is checked for others' changes when no file event arrives. */
  readonly pollMs: number;
  /** The log is folded into a new image once it is larger than this; default: 4 MiB or a quarter of the image, the larger. */
  readonly compactBytes: number | undefined;
  readonly warn: (message: string) => void;
  /** Loads and checks an image (see open.ts); runs migrations. */
  readonly loadImage: (bytes: Uint8Array) => Database;
}

/** Lock waits are short (one append or one compaction); past this something is wrong, and we say so. */
const LOCK_TIMEOUT_MS = 60_000;

export function logFileOf(file: string): string {
  return `${file}.log`;
}

/** The log a compaction replaced, kept one generation so a process that had not read its end can finish it. */
export function previousLogFileOf(file: string): string {
  return `${file}.log.prev`;
}

export function lockFileOf(file: string): string {
  return `${file}.lock`;
}

/**
 * Many processes, one catalog: each keeps the whole database in memory (sql.js), appends its committed changes as
 * ops to the shared log under a cross-process lock, and replays the others' ops in log order — on file events and on
 * a slow poll. Before appending, a writer catches up and re-applies its own ops on top, so every process converges on
 * the log's order and no change is lost. When the log grows large one writer folds it into a new image.
 */
export class CatalogSync {
  private readonly queue = new OpQueue();
  private readonly scheduler: SaveScheduler;
  private readonly writer = randomUUID();
  private seq = 0;
  private target: SyncTarget | undefined;
  private state: SyncState;
  /** Size and inode of the log when last read, to skip reads when nothing changed. */
  private seen = { size: -1, ino: -1 };
  /** Serialises appends, catch-ups and compactions within this process. */
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: nodeFs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private imageBytes: number;
  /** Bytes of the current log's header: a log longer than this holds records. */
  private headerLength = 0;
  private closed = false;

  private constructor(
    private readonly options: CatalogSyncOptions,
    state: SyncState,
    imageBytes: number,
  ) {
    this.state = state;
    this.imageBytes = imageBytes;
    this.scheduler = new SaveScheduler({
      save: () => this.serial(() => this.append()),
      delayMs: options.delayMs,
      onFailure: (error) => options.warn(`${error.message}. Your changes are kept in memory and saving will be retried.`),
    });
  }

  get logFile(): string {
    return logFileOf(this.options.file);
  }

  /**
   * Reads the image and replays the log under the lock, so it never sees a compaction half done; a catalog without
   * a log (new, or written before the log existed) gets one. Returns the database for the catalog to wrap.
   */
  static async open(options: CatalogSyncOptions, readImage: () => Promise<PreparedImage>): Promise<{ db: Database; sync: CatalogSync }> {
    const lock = await takeLock(options.file);
    try {
      const { db, bytes, migrated } = await readImage();
      try {
        const sync = new CatalogSync(options, readSyncState(db) ?? { log: '', offset: 0 }, bytes);
        await sync.replayAtOpen(db, migrated);
        return { db, sync };
      } catch (err) {
        db.close();
        throw err;
      }
    } finally {
      lock.release();
    }
  }

  /** Starts following others' changes. */
  attach(target: SyncTarget): void {
    this.target = target;
    try {
      this.watcher = nodeFs.watch(path.dirname(this.options.file), { persistent: false }, (_event, name) => {
        if (name === null || name === path.basename(this.logFile)) this.poke();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No file events here (some network filesystems): the poll alone keeps us up to date.
    }
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref();
  }

  get hasUnsavedChanges(): boolean {
    return this.queue.length > 0 || this.scheduler.hasUnsavedChanges;
  }

  /** Local ops of one committed transaction. */
  push(ops: readonly CatalogOp[]): void {
    if (ops.length === 0) return;
    for (const op of ops) this.queue.push(op);
    this.scheduler.request();
  }

  async flush(): Promise<void> {
    await this.scheduler.flush();
  }

  /** Reads what others appended, now; resolves once it is applied. */
  refresh(): Promise<void> {
    return this.serial(() => this.catchUpUnlocked());
  }

  /**
   * Writes what is queued and, when the log holds records, folds it into the image, so the image alone is current
   * for anyone reading catalog.sqlite directly (sqlite3, a backup) and the next open replays nothing.
   */
  async close(): Promise<void> {
    this.stopFollowing();
    try {
      await this.scheduler.flush();
      await this.serial(() => this.compactAtClose()).catch((err: unknown) => this.options.warn(`Cannot compact the catalog ${this.options.file}: ${describeError(err)}`));
    } finally {
      this.closed = true;
      this.scheduler.dispose();
      await this.chain.catch(() => undefined);
    }
  }

  private async compactAtClose(): Promise<void> {
    const db = this.target?.db;
    if (!db) return;
    const stat = await statOrUndefined(this.logFile);
    if (stat && stat.size <= this.headerLength) return;
    await this.underLock(async () => {
      const behind = await this.withLog('r', (handle) => this.catchUp(handle));
      if (behind) await this.reloadFromImage();
      const current = this.target?.db;
      if (current && this.state.offset > this.headerLength) await this.compact(current);
    });
  }

  private stopFollowing(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private poke(): void {
    if (this.closed || !this.target) return;
    this.serial(() => this.catchUpUnlocked()).catch((err: unknown) => this.options.warn(`Cannot read the catalog's changes from ${this.logFile}: ${describeError(err)}`));
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ---- open ----

  private async replayAtOpen(db: Database, migrated: boolean): Promise<void> {
    const handle = await openOrUndefined(this.options.fs, this.logFile, 'r');
    // A migrated image is written at once, so older logs and images never mix with the new schema.
    let mustCompact = migrated;
    try {
      const head = handle ? await readHeader(handle) : undefined;
      const imageState = readSyncState(db);
      if (head && head.header.schema > this.options.schemaVersion) {
        throw new MistudioError(
          'CatalogCorrupt',
          `The catalog ${this.options.file} is being used by a newer version of MechInterp Studio (schema ${head.header.schema}; this version reads up to ${this.options.schemaVersion}). Update the extension to use it; the files were not changed.`,
          { path: this.options.file },
        );
      }
      if (handle && head && imageState && head.header.log === imageState.log) {
        const { size } = await handle.stat();
        const read = await readRecords(handle, imageState.offset, size);
        applyRecordsQuietly(db, read.records.map((r) => r.ops));
        this.state = { log: imageState.log, offset: read.end };
        this.headerLength = head.length;
        this.warnDamaged(read.damaged);
      } else if (handle && head && imageState && head.header.after?.log === imageState.log) {
        // An image older than its log (restored from a backup?): replay what the log has, which is the best left.
        const { size } = await handle.stat();
        applyRecordsQuietly(db, (await readRecords(handle, head.length, size)).records.map((r) => r.ops));
        this.options.warn(`The catalog image ${this.options.file} is older than its change log; recent changes may be missing.`);
        mustCompact = true;
      } else {
        // New catalog, a catalog from before the log, or an image newer than the log (a compaction stopped between
        // writing the image and the log): the image is the whole truth; start a log for it.
        if (head && imageState && head.header.log !== imageState.log && !isPreviousLog(db, head.header.log)) {
          this.options.warn(`The change log ${this.logFile} does not belong to the catalog image; it was replaced.`);
        }
        mustCompact = true;
      }
    } finally {
      await handle?.close();
    }
    if (mustCompact) await this.compact(db);
  }

  // ---- following ----

  /** Applies what others appended since we last read; for the poll, without the lock (whole lines only). */
  private async catchUpUnlocked(): Promise<void> {
    if (this.closed) return;
    const stat = await statOrUndefined(this.logFile);
    if (!stat || (stat.size === this.seen.size && stat.ino === this.seen.ino)) return;
    // Without the lock the log can vanish between the stat and the open: a compaction in another process has moved it
    // to .prev and not yet written the next one. Nothing is lost; the new log's file event (or the poll) reads on.
    const behind = await this.withLog('r', (handle) => this.catchUp(handle), () => false);
    if (behind) await this.underLock(() => this.reloadFromImage());
  }

  /** Runs `task` on the open log; a missing log is `ifMissing()`, or an error when that is not given. */
  private async withLog<T>(flags: string, task: (handle: DurableFile) => Promise<T>, ifMissing?: () => T): Promise<T> {
    const handle = await openOrUndefined(this.options.fs, this.logFile, flags);
    if (!handle && ifMissing) return ifMissing();
    if (!handle) throw new MistudioError('Io', `The catalog's change log ${this.logFile} is missing; reopen the catalog`, { path: this.logFile });
    try {
      return await task(handle);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Reads new records from an open log and applies them. Returns true when the log was compacted past what we have
   * read, so only the image can bring us up to date.
   */
  private async catchUp(handle: DurableFile): Promise<boolean> {
    const head = await readHeader(handle);
    const { size, ino } = await handle.stat();
    if (!head) return false;
    if (head.header.log !== this.state.log) {
      const after = head.header.after;
      if (!after || after.log !== this.state.log || !(await this.finishPreviousLog(after.bytes))) return true;
      // Compacted after what we have read: the new log goes on from its header.
      this.state = { log: head.header.log, offset: head.length };
      this.headerLength = head.length;
    }
    const read = await readRecords(handle, this.state.offset, size);
    this.state = { log: this.state.log, offset: read.end };
    this.seen = { size, ino };
    this.warnDamaged(read.damaged);
    this.applyForeign(read.records);
    return false;
  }

  /** Others' records, with our queued ops re-applied on top; our own records are already in the database. */
  private applyForeign(records: readonly LogRecord[]): void {
    const foreign = records.filter((r) => r.writer !== this.writer);
    if (foreign.length > 0) this.target?.applyRemote(foreign, this.queue.peek());
  }

  private warnDamaged(count: number): void {
    if (count > 0) this.options.warn(`Skipped ${count} damaged change record(s) in ${this.logFile}.`);
  }

  /** Reads the rest of the log a compaction replaced, up to where the compaction took it; false if it is gone. */
  private async finishPreviousLog(bytes: number): Promise<boolean> {
    if (this.state.offset === bytes) return true;
    const handle = await openOrUndefined(this.options.fs, previousLogFileOf(this.options.file), 'r');
    if (!handle) return false;
    try {
      const head = await readHeader(handle);
      const { size } = await handle.stat();
      if (!head || head.header.log !== this.state.log || size < bytes || this.state.offset > bytes) return false;
      const read = await readRecords(handle, this.state.offset, bytes);
      if (read.end !== bytes) return false;
      this.applyForeign(read.records);
      this.state = { log: this.state.log, offset: bytes };
      return true;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async reloadFromImage(): Promise<void> {
    const bytes = await this.options.fs.readFile(this.options.file).catch((err: unknown) => {
      throw ioError('Cannot read the catalog', this.options.file, err);
    });
    const db = this.options.loadImage(bytes);
    const imageState = readSyncState(db);
    const handle = await openOrUndefined(this.options.fs, this.logFile, 'r');
    try {
      const head = handle ? await readHeader(handle) : undefined;
      if (!handle || !head || !imageState || head.header.log !== imageState.log) {
        db.close();
        throw new MistudioError('CatalogCorrupt', `The catalog ${this.options.file} and its change log do not match; reopen the catalog`, { path: this.options.file });
      }
      const { size, ino } = await handle.stat();
      const read = await readRecords(handle, imageState.offset, size);
      applyRecordsQuietly(db, read.records.map((r) => r.ops));
      this.state = { log: imageState.log, offset: read.end };
      this.headerLength = head.length;
      this.seen = { size, ino };
      this.imageBytes = bytes.byteLength;
    } finally {
      await handle?.close();
    }
    this.target?.replaceDatabase(db, this.queue.peek());
  }

  // ---- writing ----

  private async append(): Promise<void> {
    if (this.queue.length === 0 || !this.target) return;
    await this.underLock(async () => {
      let end = await this.withLog('r+', async (handle) => ((await this.catchUp(handle)) ? undefined : this.writeBatch(handle)));
      if (end === undefined) {
        await this.reloadFromImage();
        end = await this.withLog('r+', async (handle) => {
          if (await this.catchUp(handle)) throw new MistudioError('Io', `The catalog's change log ${this.logFile} changed while it was locked`, { path: this.logFile });
          return this.writeBatch(handle);
        });
      }
      const db = this.target?.db;
      if (db && end > (this.options.compactBytes ?? Math.max(4 * 1024 * 1024, this.imageBytes / 4))) {
        await this.compact(db).catch((err: unknown) => this.options.warn(`Cannot compact the catalog ${this.options.file}: ${describeError(err)}`));
      }
    });
  }

  /** Appends the queued ops as one record at the end of the whole lines; returns the log's new size. */
  private async writeBatch(handle: DurableFile): Promise<number> {
    const at = this.state.offset;
    const { size } = await handle.stat();
    // Under the lock nobody is mid-append: bytes past the last whole line are a crashed writer's torn tail.
    if (size > at) await handle.truncate(at);
    const batch = this.queue.seal();
    const record = encodeRecord(this.writer, ++this.seq, batch);
    try {
      await writeFully(handle, record, at);
      await handle.datasync();
    } catch (err) {
      await handle.truncate(at).catch(() => undefined);
      throw ioError('Cannot save the catalog to', this.logFile, err);
    }
    this.queue.drop(batch.length);
    const end = at + record.length;
    this.state = { log: this.state.log, offset: end };
    const stat = await handle.stat();
    this.seen = { size: stat.size, ino: stat.ino };
    return end;
  }

  /**
   * Folds the log into a new image: the image first (naming the new log and the old one it replaces), then the new
   * log. A crash between the two leaves an image newer than the log, which the next open recognises and repairs.
   */
  private async compact(db: Database): Promise<void> {
    const header: LogHeader = {
      log: randomUUID(),
      schema: this.options.schemaVersion,
      ...(this.state.log ? { after: { log: this.state.log, bytes: this.state.offset } } : {}),
    };
    const headerBytes = encodeHeader(header);
    writeSyncState(db, { log: header.log, offset: headerBytes.length }, this.state.log);
    const image = db.export();
    await writeAtomically(this.options.fs, this.options.file, image);
    if (this.state.log) {
      await this.options.fs.rename(this.logFile, previousLogFileOf(this.options.file)).catch((err: unknown) => {
        if ((err as { code?: unknown }).code !== 'ENOENT') throw ioError('Cannot compact the catalog log', this.logFile, err);
      });
    }
    await writeAtomically(this.options.fs, this.logFile, headerBytes);
    this.state = { log: header.log, offset: headerBytes.length };
    this.headerLength = headerBytes.length;
    this.imageBytes = image.byteLength;
    this.seen = { size: -1, ino: -1 };
  }

  private async underLock<T>(task: () => Promise<T>): Promise<T> {
    const lock = await takeLock(this.options.file);
    try {
      return await task();
    } finally {
      lock.release();
    }
  }
}

function takeLock(file: string): Promise<HeldLock> {
  return acquireFileLock(lockFileOf(file), { timeoutMs: LOCK_TIMEOUT_MS, minPollMs: 1, maxPollMs: 20 });
}

export function readSyncState(db: Database): SyncState | undefined {
  try {
    const rows = db.exec("SELECT key, value FROM sync_state WHERE key IN ('log', 'offset')")[0]?.values ?? [];
    const map = new Map(rows.map((r) => [String(r[0]), String(r[1])]));
    const log = map.get('log');
    const offset = Number(map.get('offset'));
    return log && Number.isSafeInteger(offset) && offset > 0 ? { log, offset } : undefined;
  } catch {
    return undefined;
  }
}

function isPreviousLog(db: Database, log: string): boolean {
  try {
    return db.exec("SELECT value FROM sync_state WHERE key = 'previous_log'")[0]?.values[0]?.[0] === log;
  } catch {
    return false;
  }
}

function writeSyncState(db: Database, state: SyncState, previousLog: string): void {
  db.run("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('log', ?), ('offset', ?), ('previous_log', ?)", [state.log, String(state.offset), previousLog]);
}

async function openOrUndefined(fs: CatalogFileSystem, file: string, flags: string): Promise<DurableFile | undefined> {
  try {
    return await fs.open(file, flags);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw ioError('Cannot open', file, err);
  }
}

async function statOrUndefined(file: string): Promise<{ size: number; ino: number } | undefined> {
  try {
    const st = await nodeFs.promises.stat(file);
    return { size: st.size, ino: st.ino };
  } catch {
    return undefined;
  }
}

async function writeFully(handle: DurableFile, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    if (bytesWritten <= 0) throw new Error('short write');
    written += bytesWritten;
  }
}
