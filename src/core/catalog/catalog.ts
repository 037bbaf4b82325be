import { createHash, randomUUID } from 'node:crypto';
import type { Database, SqlValue } from 'sql.js';
import { MistudioError } from '../errors';
import { Emitter, type Event } from '../events';
import { REPO_KINDS, isCommitSha, validateRepoId, validateRevision, type RepoKind } from '../repo';
import { whereClause } from './entryQuery';
import { ENTRY_COLUMNS, FILE_COLUMNS, JOB_COLUMNS, entryFromRow, fileFromRow, jobFromRow } from './rows';
import type { CatalogSync, SyncTarget } from './catalogSync';
import type { LogRecord } from './opLog';
import { ENTRY_ROW_COLUMNS, JOB_ROW_COLUMNS, applyOp, entryIdOf, type CatalogOp, type OpColumns, type SqlScalar } from './ops';
import { applyOpGuarded, applyRecordsQuietly } from './replay';
import { SearchIndex, byName, type IndexedEntry } from './searchIndex';
import { foldForSearch } from './searchKey';
import { Statements } from './statements';
import {
  ENTRY_STATUSES,
  type CatalogChange,
  type CatalogCounts,
  type CatalogEntry,
  type EntryFile,
  type EntryFilePatch,
  type EntryFilter,
  type EntryPatch,
  type EntryStatus,
  type Job,
  type JobFilter,
  type JobPatch,
  type NewEntry,
  type NewEntryFile,
  type NewJob,
  type SearchQuery,
  type SearchResult,
  type StatusCounts,
  type StopRequest,
} from './types';
import {
  checkBlobId,
  checkCommit,
  checkCount,
  checkDirection,
  checkErrorCode,
  checkFileState,
  checkGitSha1,
  checkJobState,
  checkJobType,
  checkKind,
  checkMetadata,
  checkOptionalText,
  checkPatterns,
  checkRepoPath,
  checkSha256,
  checkSortKey,
  checkStatus,
  checkText,
  checkedJson,
  normaliseRanges,
} from './validate';

const ENTRY_PATCH_KEYS: ReadonlySet<string> = new Set<keyof EntryPatch>([
  'displayName',
  'commit',
  'status',
  'bytesDone',
  'bytesTotal',
  'fileCount',
  'snapshotPath',
  'errorCode',
  'errorMessage',
  'includePatterns',
  'excludePatterns',
  'metadata',
  'owner',
  'stopRequest',
]);
const FILE_PATCH_KEYS: ReadonlySet<string> = new Set<keyof EntryFilePatch>(['state', 'bytesDone', 'doneRanges']);
const JOB_PATCH_KEYS: ReadonlySet<string> = new Set<keyof JobPatch>(['state', 'attempts', 'payload', 'lastError', 'owner']);

/** The mutable columns of an entry, as stored. */
interface EntryColumns {
  display_name: string;
  name_key: string;
  commit_sha: string | null;
  status: EntryStatus;
  bytes_done: number;
  bytes_total: number;
  file_count: number;
  snapshot_path: string | null;
  error_code: string | null;
  error_message: string | null;
  include_patterns: string;
  exclude_patterns: string;
  metadata: string;
  owner: string | null;
  stop_request: string | null;
}

export interface CatalogParts {
  readonly statements: Statements;
  /** Null for an in-memory catalog. */
  readonly sync: CatalogSync | null;
  readonly file: string | null;
  readonly schemaVersion: number;
}

/**
 * Every model and dataset the user manages, their files' download state and the persisted job queue, in one SQLite
 * database (sql.js). All methods are synchronous against the in-memory database. Every change is a list of ops
 * (ops.ts) applied here and, for a catalog file, appended to the log that every process sharing the file replays
 * (catalogSync.ts); others' changes arrive as `remote` change events.
 */
export class Catalog implements SyncTarget {
  private readonly changes = new Emitter<CatalogChange>();
  readonly onDidChange: Event<CatalogChange> = this.changes.event;
  /** The catalog file, or null when in memory. */
  readonly file: string | null;
  readonly schemaVersion: number;

  private sql: Statements;
  private readonly sync: CatalogSync | null;
  /** Events of the open transaction and its savepoints, delivered only once the outermost commit succeeds. */
  private readonly pendingEvents: CatalogChange[][] = [];
  /** The ops of the open transaction and its savepoints, queued for the log at the outermost commit. */
  private readonly pendingOps: CatalogOp[][] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly index: SearchIndex;
  /** Entries changed by committed transactions whose index items are not yet refreshed. */
  private readonly staleIds = new Set<string>();

  constructor(parts: CatalogParts) {
    this.sql = parts.statements;
    this.sync = parts.sync;
    this.file = parts.file;
    this.schemaVersion = parts.schemaVersion;
    this.index = new SearchIndex(this.readIndexItems());
    this.sync?.attach(this);
  }

  /** The database, for the sync (exports and compaction). */
  get db(): Database {
    return this.sql.db;
  }

  // ---- entries ----

  /** Adds an entry; one per (kind, repoId, revision). Revision defaults to "main", display name to the repo id. */
  addEntry(input: NewEntry): CatalogEntry {
    this.assertOpen();
    const kind = checkKind(input.kind);
    const repoId = validateRepoId(checkText(input.repoId, 'repo id'));
    const revision = validateRevision(input.revision === undefined ? 'main' : checkText(input.revision, 'revision'));
    if (this.findEntry(kind, repoId, revision)) {
      throw new MistudioError('InvalidInput', `${kind === 'model' ? 'Model' : 'Dataset'} ${repoId}@${revision} is already in the catalog`, { repoId });
    }
    const displayName = input.displayName === undefined ? repoId : checkText(input.displayName, 'display name').trim();
    const now = Date.now();
    const id = entryIdFor(kind, repoId, revision);
    const columns = this.entryColumns({
      displayName,
      commit: input.commit === undefined ? (isCommitSha(revision) ? revision : null) : input.commit,
      status: input.status ?? 'queued',
      bytesDone: input.bytesDone ?? 0,
      bytesTotal: input.bytesTotal ?? 0,
      fileCount: input.fileCount ?? 0,
      snapshotPath: input.snapshotPath ?? null,
      errorCode: input.errorCode ?? null,
      errorMessage: input.errorMessage ?? null,
      includePatterns: input.includePatterns ?? [],
      excludePatterns: input.excludePatterns ?? [],
      metadata: input.metadata ?? {},
      owner: null,
      stopRequest: null,
    });
    const row: OpColumns = { id, kind, repo_id: repoId, revision, repo_key: foldForSearch(repoId), created_at: now, updated_at: now, ...columns };
    this.transaction(() => {
      this.record({ o: 'entry.put', row: pick(row, ENTRY_ROW_COLUMNS) });
      this.emit({ kind: 'entry-added', entryId: id });
    });
    return this.requireEntry(id);
  }

  getEntry(id: string): CatalogEntry | undefined {
    this.assertOpen();
    const row = this.sql.get(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id = ?`, [id]);
    return row ? entryFromRow(row) : undefined;
  }

  /** The entry for that revision; without a revision, the repo's most recently updated entry. */
  findEntry(kind: RepoKind, repoId: string, revision?: string): CatalogEntry | undefined {
    this.assertOpen();
    const row =
      revision === undefined
        ? this.sql.get(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE kind = ? AND repo_id = ? ORDER BY updated_at DESC, id DESC LIMIT 1`, [kind, repoId])
        : this.sql.get(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE kind = ? AND repo_id = ? AND revision = ?`, [kind, repoId, revision]);
    return row ? entryFromRow(row) : undefined;
  }

  /** Applies the given fields; a patch that changes nothing writes nothing and fires no event. */
  updateEntry(id: string, patch: EntryPatch): CatalogEntry {
    this.assertOpen();
    for (const key of Object.keys(patch)) {
      if (!ENTRY_PATCH_KEYS.has(key)) throw new MistudioError('InvalidInput', `Cannot change "${key}" of a catalog entry`);
    }
    const existing = this.requireEntry(id);
    const columns = this.entryColumns({ ...existing, ...definedFields(patch) });
    const current = this.sql.get(`SELECT ${Object.keys(columns).join(', ')} FROM entries WHERE id = ?`, [id]) ?? {};
    const changed = (Object.keys(columns) as Array<keyof EntryColumns>).filter((k) => current[k] !== columns[k]);
    if (changed.length === 0) return existing;
    const updatedAt = Math.max(Date.now(), existing.updatedAt);
    const set: OpColumns = Object.fromEntries(changed.map((k) => [k, columns[k]]));
    this.transaction(() => {
      this.record({ o: 'entry.set', id, set: { ...set, updated_at: updatedAt } });
      this.emit({ kind: 'entry-updated', entryId: id });
    });
    return this.requireEntry(id);
  }

  /** Removes the entry and its file rows; returns false when there was no such entry. Jobs are left to their owner. */
  removeEntry(id: string): boolean {
    this.assertOpen();
    if (!this.getEntry(id)) return false;
    this.transaction(() => {
      this.record({ o: 'entry.del', id });
      this.emit({ kind: 'entry-removed', entryId: id });
    });
    return true;
  }

  search(query: SearchQuery = {}): SearchResult {
    this.assertOpen();
    const text = query.text === undefined ? '' : checkText(query.text, 'search text', { allowEmpty: true });
    const { ids, total } = this.freshIndex().search({
      kind: query.kind === undefined ? undefined : checkKind(query.kind),
      statuses: query.statuses === undefined ? undefined : new Set(checkStatuses(query.statuses)),
      needle: foldForSearch(text.trim()),
      sort: checkSortKey(query.sort ?? 'name'),
      direction: checkDirection(query.direction ?? 'asc'),
      offset: checkCount(query.offset ?? 0, 'offset'),
      limit: query.limit === undefined ? -1 : checkCount(query.limit, 'limit'),
    });
    return { items: this.entriesInOrder(ids), total };
  }

  /** Every entry matching the filter, by name (the order of search's default sort). */
  listEntries(filter: EntryFilter = {}): CatalogEntry[] {
    this.assertOpen();
    const where = whereClause({
      kind: filter.kind === undefined ? undefined : checkKind(filter.kind),
      repoId: filter.repoId,
      statuses: filter.statuses === undefined ? undefined : checkStatuses(filter.statuses),
    });
    const index = this.freshIndex();
    const keyed = this.sql.all(`SELECT ${ENTRY_COLUMNS} FROM entries ${where.sql}`, where.params).map((row) => {
      const entry = entryFromRow(row);
      const key = index.get(entry.id) ?? indexedEntry(entry.id, entry.kind, entry.status, foldForSearch(entry.displayName), '', 0, 0);
      return { entry, key };
    });
    return keyed.sort((a, b) => byName(a.key, b.key)).map((k) => k.entry);
  }

  counts(): CatalogCounts {
    this.assertOpen();
    const empty = (): { total: number; byStatus: Record<EntryStatus, number> } => ({
      total: 0,
      byStatus: Object.fromEntries(ENTRY_STATUSES.map((s) => [s, 0])) as Record<EntryStatus, number>,
    });
    const result: Record<RepoKind, { total: number; byStatus: Record<EntryStatus, number> }> = { model: empty(), dataset: empty() };
    for (const item of this.freshIndex().values()) {
      result[item.kind].total += 1;
      result[item.kind].byStatus[item.status] += 1;
    }
    return result satisfies Record<RepoKind, StatusCounts>;
  }

  // ---- files ----

  /** Replaces the entry's file list. */
  setFiles(entryId: string, files: readonly NewEntryFile[]): void {
    this.assertOpen();
    this.requireEntry(entryId);
    if (!Array.isArray(files)) throw new MistudioError('InvalidInput', 'Invalid file list: expected an array');
    const seen = new Set<string>();
    const rows = files.map((f) => {
      const row = fileColumns(f);
      if (seen.has(row[0])) throw new MistudioError('InvalidInput', `File ${row[0]} is listed twice`);
      seen.add(row[0]);
      return row;
    });
    this.transaction(() => {
      this.record({ o: 'files.put', entry: entryId, rows });
    });
  }

  /** The entry's files by path; empty for an unknown entry. */
  getFiles(entryId: string): EntryFile[] {
    this.assertOpen();
    return this.sql.all(`SELECT ${FILE_COLUMNS} FROM entry_files WHERE entry_id = ? ORDER BY path`, [entryId]).map(fileFromRow);
  }

  getFile(entryId: string, path: string): EntryFile | undefined {
    this.assertOpen();
    const row = this.sql.get(`SELECT ${FILE_COLUMNS} FROM entry_files WHERE entry_id = ? AND path = ?`, [entryId, path]);
    return row ? fileFromRow(row) : undefined;
  }

  updateFile(entryId: string, path: string, patch: EntryFilePatch): EntryFile {
    this.assertOpen();
    for (const key of Object.keys(patch)) {
      if (!FILE_PATCH_KEYS.has(key)) throw new MistudioError('InvalidInput', `Cannot change "${key}" of a catalog file`);
    }
    const existing = this.getFile(entryId, path);
    if (!existing) throw new MistudioError('EntryNotFound', `File ${path} is not part of catalog entry ${entryId}`, { path });
    const next = { ...existing, ...definedFields(patch) };
    const state = checkFileState(next.state);
    const bytesDone = checkFileBytes(next.bytesDone, existing.size);
    const ranges = JSON.stringify(normaliseRanges(next.doneRanges, existing.size));
    if (state === existing.state && bytesDone === existing.bytesDone && ranges === JSON.stringify(existing.doneRanges)) return existing;
    this.transaction(() => {
      this.record({ o: 'file.set', entry: entryId, path, set: { state, bytes_done: bytesDone, done_ranges: ranges } });
    });
    return this.getFile(entryId, path) ?? existing;
  }

  // ---- jobs ----

  addJob(input: NewJob): Job {
    this.assertOpen();
    const id = randomUUID();
    const now = Date.now();
    const type = checkJobType(input.type);
    const entryId = input.entryId === undefined || input.entryId === null ? null : checkText(input.entryId, 'job entry id');
    const state = checkJobState(input.state ?? 'pending');
    const payload = checkedJson(input.payload ?? null, 'job payload');
    const owner = checkOptionalText(input.owner ?? null, 'job owner');
    const row: OpColumns = { id, type, entry_id: entryId, state, attempts: 0, payload, last_error: null, created_at: now, updated_at: now, owner };
    this.transaction(() => {
      this.record({ o: 'job.put', row: pick(row, JOB_ROW_COLUMNS) });
    });
    return this.requireJob(id);
  }

  getJob(id: string): Job | undefined {
    this.assertOpen();
    const row = this.sql.get(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, [id]);
    return row ? jobFromRow(row) : undefined;
  }

  /** Jobs in the order they were added. */
  listJobs(filter: JobFilter = {}): Job[] {
    this.assertOpen();
    const terms: string[] = [];
    const params: SqlValue[] = [];
    if (filter.type !== undefined) {
      terms.push('type = ?');
      params.push(checkJobType(filter.type));
    }
    if (filter.state !== undefined) {
      terms.push('state = ?');
      params.push(checkJobState(filter.state));
    }
    if (filter.entryId !== undefined) {
      terms.push(filter.entryId === null ? 'entry_id IS NULL' : 'entry_id = ?');
      if (filter.entryId !== null) params.push(filter.entryId);
    }
    const where = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
    return this.sql.all(`SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY created_at, rowid`, params).map(jobFromRow);
  }

  updateJob(id: string, patch: JobPatch): Job {
    this.assertOpen();
    for (const key of Object.keys(patch)) {
      if (!JOB_PATCH_KEYS.has(key)) throw new MistudioError('InvalidInput', `Cannot change "${key}" of a job`);
    }
    const existing = this.requireJob(id);
    const next = { ...existing, ...definedFields(patch) };
    const set: OpColumns = {
      state: checkJobState(next.state),
      attempts: checkCount(next.attempts, 'attempts'),
      payload: checkedJson(next.payload, 'job payload'),
      last_error: checkOptionalText(next.lastError, 'last error'),
      owner: checkOptionalText(next.owner, 'job owner'),
      updated_at: Math.max(Date.now(), existing.updatedAt),
    };
    this.transaction(() => {
      this.record({ o: 'job.set', id, set });
    });
    return this.requireJob(id);
  }

  removeJob(id: string): boolean {
    this.assertOpen();
    if (!this.getJob(id)) return false;
    this.transaction(() => this.record({ o: 'job.del', id }));
    return true;
  }

  // ---- transactions and persistence ----

  /**
   * Runs `fn` all-or-nothing: if it throws, every change it made is undone and no event fires. Nested calls become
   * savepoints. Change events are delivered after the outermost commit, and the whole transaction is one save.
   * `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    this.assertOpen();
    const depth = this.pendingEvents.length;
    const savepoint = `sp${depth}`;
    if (depth === 0) {
      this.sql.db.exec('BEGIN');
    } else {
      this.sql.db.exec(`SAVEPOINT ${savepoint}`);
    }
    this.pendingEvents.push([]);
    this.pendingOps.push([]);
    let result: T;
    try {
      result = fn();
      if (isThenable(result)) {
        result.then(undefined, () => undefined);
        throw new MistudioError('InvalidInput', 'Catalog transactions must be synchronous');
      }
      if (depth === 0) this.sql.db.exec('COMMIT');
      else this.sql.db.exec(`RELEASE ${savepoint}`);
    } catch (err) {
      this.pendingEvents.pop();
      this.pendingOps.pop();
      try {
        this.sql.db.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      } catch {
        // A failed COMMIT may already have rolled back; there is nothing left to undo.
      }
      throw err;
    }
    const events = this.pendingEvents.pop() ?? [];
    const ops = this.pendingOps.pop() ?? [];
    if (depth > 0) {
      this.pendingEvents[depth - 1]?.push(...events);
      this.pendingOps[depth - 1]?.push(...ops);
      return result;
    }
    this.sync?.push(ops);
    for (const event of events) this.staleIds.add(event.entryId);
    for (const event of events) this.changes.fire(event);
    return result;
  }

  /** Whether changes are waiting to be written (always false in memory). */
  get hasUnsavedChanges(): boolean {
    return this.sync?.hasUnsavedChanges ?? false;
  }

  /** Writes pending changes now; rejects (NoSpace / Io) if that write fails — the changes stay pending. */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.sync?.flush();
  }

  /** Applies what other processes have written to the catalog file, now (they also arrive on their own). */
  async refresh(): Promise<void> {
    this.assertOpen();
    await this.sync?.refresh();
  }

  /** SyncTarget: other processes' changes, with ours re-applied on top so the result is the log's order. */
  applyRemote(records: readonly LogRecord[], queued: readonly CatalogOp[]): void {
    if (this.closed || this.pendingEvents.length > 0) throw new MistudioError('Io', 'Cannot apply remote catalog changes now');
    const existedBefore = new Map<string, boolean>();
    this.sql.db.exec('BEGIN');
    try {
      for (const record of records) {
        for (const op of record.ops) {
          const entryId = entryIdOf(op);
          if (entryId !== undefined && !existedBefore.has(entryId)) existedBefore.set(entryId, this.hasEntry(entryId));
          applyOpGuarded(this.sql, op);
        }
      }
      for (const op of queued) applyOpGuarded(this.sql, op);
      this.sql.db.exec('COMMIT');
    } catch (err) {
      this.sql.db.exec('ROLLBACK');
      throw err;
    }
    this.announceRemote(existedBefore);
  }

  /** SyncTarget: a fresh database read from the image (this process fell behind a compaction). */
  replaceDatabase(db: Database, queued: readonly CatalogOp[]): void {
    applyRecordsQuietly(db, [queued]);
    const before = new Map(this.sql.column('SELECT id FROM entries').map((id) => [String(id), true]));
    const old = this.sql;
    this.sql = new Statements(db);
    old.free();
    old.db.close();
    for (const id of this.sql.column('SELECT id FROM entries')) if (!before.has(String(id))) before.set(String(id), false);
    this.index.reset(this.readIndexItems());
    this.staleIds.clear();
    this.announceRemote(before);
  }

  private announceRemote(existedBefore: ReadonlyMap<string, boolean>): void {
    const events: CatalogChange[] = [];
    for (const [entryId, before] of existedBefore) {
      const after = this.hasEntry(entryId);
      if (!before && !after) continue;
      events.push({ kind: before && after ? 'entry-updated' : after ? 'entry-added' : 'entry-removed', entryId, remote: true });
      this.staleIds.add(entryId);
    }
    for (const event of events) this.changes.fire(event);
  }

  private hasEntry(id: string): boolean {
    return this.sql.get('SELECT 1 AS found FROM entries WHERE id = ?', [id]) !== undefined;
  }

  /** Flushes and frees the database. If the final write fails the catalog still closes and the error is thrown. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    let failure: unknown;
    try {
      await this.sync?.close();
    } catch (err) {
      failure = err;
    }
    this.closed = true;
    this.sql.free();
    this.sql.db.close();
    this.changes.dispose();
    if (failure !== undefined) throw failure;
  }

  // ---- helpers ----

  private assertOpen(): void {
    if (this.closed || this.closing) throw new MistudioError('Io', `The catalog${this.file ? ` ${this.file}` : ''} is closed`);
  }

  private emit(change: CatalogChange): void {
    this.pendingEvents.at(-1)?.push(change);
  }

  /** Applies a change of the open transaction and keeps it for the log. */
  private record(op: CatalogOp): void {
    applyOp(this.sql, op);
    this.pendingOps.at(-1)?.push(op);
  }

  /** The search index, brought up to date with committed changes (one by one, or rebuilt after a bulk change). */
  private freshIndex(): SearchIndex {
    if (this.staleIds.size === 0) return this.index;
    if (this.staleIds.size > Math.max(1000, this.index.size / 10)) {
      this.index.reset(this.readIndexItems());
    } else {
      for (const id of this.staleIds) this.index.put(id, this.readIndexItems(id)[0]);
    }
    this.staleIds.clear();
    return this.index;
  }

  /**
   * The index columns of every entry (or one), read as one text value per row: each column crossing out of
   * WebAssembly costs about as much as a whole row's text, so 7 columns took 5× as long for 100,000 entries.
   * The name key goes last because it is the only field that may hold the separator (U+0001).
   */
  private readIndexItems(id?: string): IndexedEntry[] {
    const rows = id === undefined ? this.sql.column(INDEX_ROWS_IN_NAME_ORDER) : this.sql.column(`SELECT ${INDEX_ROW} FROM entries WHERE id = ?`, [id]);
    const items: IndexedEntry[] = [];
    for (const row of rows) if (typeof row === 'string') items.push(unpackIndexRow(row));
    return items;
  }

  /** Full entries for ids, in the ids' order. */
  private entriesInOrder(ids: readonly string[]): CatalogEntry[] {
    const found = new Map<string, CatalogEntry>();
    const CHUNK = 500;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      for (const row of this.sql.all(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk)) {
        const entry = entryFromRow(row);
        found.set(entry.id, entry);
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  private requireEntry(id: string): CatalogEntry {
    const entry = this.getEntry(id);
    if (!entry) throw new MistudioError('EntryNotFound', `No catalog entry with id ${id}`);
    return entry;
  }

  private requireJob(id: string): Job {
    const job = this.getJob(id);
    if (!job) throw new MistudioError('EntryNotFound', `No job with id ${id}`);
    return job;
  }

  /** Validates the mutable fields and turns them into column values. */
  private entryColumns(values: Required<EntryPatch>): EntryColumns {
    const displayName = checkText(values.displayName, 'display name').trim();
    return {
      display_name: displayName,
      name_key: foldForSearch(displayName),
      commit_sha: checkCommit(values.commit),
      status: checkStatus(values.status),
      bytes_done: checkCount(values.bytesDone, 'bytes done'),
      bytes_total: checkCount(values.bytesTotal, 'bytes total'),
      file_count: checkCount(values.fileCount, 'file count'),
      snapshot_path: checkOptionalText(values.snapshotPath, 'snapshot path'),
      error_code: checkErrorCode(values.errorCode),
      error_message: checkOptionalText(values.errorMessage, 'error message'),
      include_patterns: JSON.stringify(checkPatterns(values.includePatterns, 'include patterns')),
      exclude_patterns: JSON.stringify(checkPatterns(values.excludePatterns, 'exclude patterns')),
      metadata: JSON.stringify(checkMetadata(values.metadata)),
      owner: checkOptionalText(values.owner, 'owner'),
      stop_request: checkStopRequest(values.stopRequest),
    };
  }
}

const INDEX_ROW = `ifnull(kind, '') || char(1) || ifnull(status, '') || char(1) || ifnull(bytes_total, 0) || char(1) || ifnull(updated_at, 0)
  || char(1) || id || char(1) || ifnull(repo_key, '') || char(1) || ifnull(name_key, '')`;

/**
 * Every entry's index row in the search index's name order, read from the covering index entries_in_name_order
 * (migrations.ts), so the index's sort meets sorted input. SQLite orders by UTF-8 bytes and JavaScript by UTF-16
 * units (they differ only past U+E000): the search index still sorts, and a nearly sorted array costs it one pass.
 */
export const INDEX_ROWS_IN_NAME_ORDER = `SELECT ${INDEX_ROW} FROM entries ORDER BY name_key, id`;

const SEPARATOR = '\u0001';

/** Splits a row packed by readIndexItems; damaged values fall back like entryFromRow's. */
function unpackIndexRow(row: string): IndexedEntry {
  const fields: string[] = [];
  let from = 0;
  for (let i = 0; i < 6; i++) {
    const at = row.indexOf(SEPARATOR, from);
    fields.push(at < 0 ? row.slice(from) : row.slice(from, at));
    from = at < 0 ? row.length : at + 1;
  }
  const [kind, status, bytesTotal, updatedAt, id, repoKey] = fields;
  return indexedEntry(
    id ?? '',
    REPO_KINDS.find((k) => k === kind) ?? 'model',
    ENTRY_STATUSES.find((st) => st === status) ?? 'error',
    row.slice(from),
    repoKey ?? '',
    finiteOrZero(bytesTotal),
    finiteOrZero(updatedAt),
  );
}

function finiteOrZero(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

function indexedEntry(
  id: string,
  kind: RepoKind,
  status: EntryStatus,
  nameKey: string,
  repoKey: string,
  bytesTotal: number,
  updatedAt: number,
): IndexedEntry {
  // join() yields a flat string; a concatenation would be a rope that the first search pays to flatten.
  return { id, kind, status, nameKey, haystack: [nameKey, repoKey].join('\u0000'), bytesTotal, updatedAt };
}

/**
 * An entry's id follows from what it is, so two processes adding the same repo revision at once make one entry
 * (the later add wins) instead of two rows fighting over one (kind, repo, revision).
 */
export function entryIdFor(kind: RepoKind, repoId: string, revision: string): string {
  const hex = createHash('sha256').update(`${kind}\u0000${repoId}\u0000${revision}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function pick(row: OpColumns, columns: readonly string[]): OpColumns {
  return Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) as Record<string, SqlScalar>;
}

function checkStopRequest(value: unknown): StopRequest | null {
  if (value === null || value === undefined) return null;
  if (value === 'pause' || value === 'cancel') return value;
  throw new MistudioError('InvalidInput', `Invalid stop request ${String(value)}: expected pause or cancel`);
}

function checkStatuses(statuses: unknown): EntryStatus[] {
  if (!Array.isArray(statuses)) throw new MistudioError('InvalidInput', 'Invalid statuses: expected a list');
  return statuses.map(checkStatus);
}

function checkFileBytes(value: unknown, size: number): number {
  const bytes = checkCount(value, 'bytes done');
  if (bytes > size) throw new MistudioError('InvalidInput', `Invalid bytes done ${bytes} for a file of ${size} bytes`);
  return bytes;
}

/** [path, size, blobId, sha256, gitSha1, state, bytesDone, doneRanges] — validated. */
function fileColumns(f: NewEntryFile): [string, number, string, string | null, string, string, number, string] {
  const size = checkCount(f.size, 'file size');
  return [
    checkRepoPath(f.path),
    size,
    checkBlobId(f.blobId),
    checkSha256(f.sha256 ?? null),
    checkGitSha1(f.gitSha1),
    checkFileState(f.state ?? 'pending'),
    checkFileBytes(f.bytesDone ?? 0, size),
    JSON.stringify(normaliseRanges(f.doneRanges ?? [], size)),
  ];
}

/** Drops keys whose value is undefined, so `{ commit: undefined }` means "leave it", not "clear it". */
function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
