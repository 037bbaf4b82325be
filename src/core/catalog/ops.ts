/**
 * The catalog's changes as blind writes: every committed change is a list of these ops, applied locally and appended
 * to the shared log (opLog.ts), and every process replays the others' ops in log order. Each op says what a row
 * becomes (a whole row, or the columns set), never what it was, so replaying one twice, or after someone else's, is
 * well defined; an op on a row that is gone does nothing, which is what keeps a delete from being resurrected.
 */
import type { Statements } from './statements';

export type SqlScalar = string | number | null;
export type OpColumns = Record<string, SqlScalar>;

export type CatalogOp =
  | { readonly o: 'entry.put'; readonly row: OpColumns }
  | { readonly o: 'entry.set'; readonly id: string; readonly set: OpColumns }
  | { readonly o: 'entry.del'; readonly id: string }
  | { readonly o: 'files.put'; readonly entry: string; readonly rows: readonly (readonly SqlScalar[])[] }
  | { readonly o: 'file.set'; readonly entry: string; readonly path: string; readonly set: OpColumns }
  | { readonly o: 'job.put'; readonly row: OpColumns }
  | { readonly o: 'job.set'; readonly id: string; readonly set: OpColumns }
  | { readonly o: 'job.del'; readonly id: string };

/** Every column of an entry row, in table order; an entry.put carries exactly these. */
export const ENTRY_ROW_COLUMNS = [
  'id',
  'kind',
  'repo_id',
  'revision',
  'display_name',
  'commit_sha',
  'status',
  'bytes_done',
  'bytes_total',
  'file_count',
  'snapshot_path',
  'error_code',
  'error_message',
  'include_patterns',
  'exclude_patterns',
  'metadata',
  'name_key',
  'repo_key',
  'created_at',
  'updated_at',
  'owner',
  'stop_request',
] as const;
const ENTRY_SET_COLUMNS: ReadonlySet<string> = new Set(ENTRY_ROW_COLUMNS.filter((c) => !['id', 'kind', 'repo_id', 'revision', 'repo_key', 'created_at'].includes(c)));

/** A files.put row: these values in this order. */
export const FILE_ROW_COLUMNS = ['path', 'size', 'blob_id', 'sha256', 'git_sha1', 'state', 'bytes_done', 'done_ranges'] as const;
const FILE_SET_COLUMNS: ReadonlySet<string> = new Set(['state', 'bytes_done', 'done_ranges']);

export const JOB_ROW_COLUMNS = ['id', 'type', 'entry_id', 'state', 'attempts', 'payload', 'last_error', 'created_at', 'updated_at', 'owner'] as const;
const JOB_SET_COLUMNS: ReadonlySet<string> = new Set(['state', 'attempts', 'payload', 'last_error', 'updated_at', 'owner']);

const FILE_INSERT = `INSERT INTO entry_files (entry_id, ${FILE_ROW_COLUMNS.join(', ')}) VALUES (?, ${FILE_ROW_COLUMNS.map(() => '?').join(', ')})`;
const ENTRY_UPSERT = `INSERT INTO entries (${ENTRY_ROW_COLUMNS.join(', ')}) VALUES (${ENTRY_ROW_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${ENTRY_ROW_COLUMNS.filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const JOB_UPSERT = `INSERT OR REPLACE INTO jobs (${JOB_ROW_COLUMNS.join(', ')}) VALUES (${JOB_ROW_COLUMNS.map(() => '?').join(', ')})`;

/** Applies one op; returns the id of the entry whose row or files it touched (undefined for jobs). */
export function applyOp(sql: Statements, op: CatalogOp): string | undefined {
  switch (op.o) {
    case 'entry.put': {
      const id = String(op.row.id);
      // Two processes adding the same repo revision: the later add wins, and a put starts the entry afresh.
      sql.run('DELETE FROM entries WHERE kind = ? AND repo_id = ? AND revision = ? AND id <> ?', [
        op.row.kind ?? null,
        op.row.repo_id ?? null,
        op.row.revision ?? null,
        id,
      ]);
      sql.run('DELETE FROM entry_files WHERE entry_id = ?', [id]);
      sql.run(
        ENTRY_UPSERT,
        ENTRY_ROW_COLUMNS.map((c) => op.row[c] ?? null),
      );
      return id;
    }
    case 'entry.set':
      sql.run(updateSql('entries', Object.keys(op.set), 'id = ?'), [...Object.values(op.set), op.id]);
      return op.id;
    case 'entry.del':
      sql.run('DELETE FROM entry_files WHERE entry_id = ?', [op.id]);
      sql.run('DELETE FROM entries WHERE id = ?', [op.id]);
      return op.id;
    case 'files.put':
      if (!sql.get('SELECT 1 AS found FROM entries WHERE id = ?', [op.entry])) return op.entry;
      sql.run('DELETE FROM entry_files WHERE entry_id = ?', [op.entry]);
      for (const row of op.rows) sql.run(FILE_INSERT, [op.entry, ...row]);
      return op.entry;
    case 'file.set':
      sql.run(updateSql('entry_files', Object.keys(op.set), 'entry_id = ? AND path = ?'), [...Object.values(op.set), op.entry, op.path]);
      return op.entry;
    case 'job.put':
      sql.run(
        JOB_UPSERT,
        JOB_ROW_COLUMNS.map((c) => op.row[c] ?? null),
      );
      return undefined;
    case 'job.set':
      sql.run(updateSql('jobs', Object.keys(op.set), 'id = ?'), [...Object.values(op.set), op.id]);
      return undefined;
    case 'job.del':
      sql.run('DELETE FROM jobs WHERE id = ?', [op.id]);
      return undefined;
  }
}

function updateSql(table: string, columns: readonly string[], where: string): string {
  return `UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE ${where}`;
}

/**
 * Later sets of the same row fold into the earlier one while nothing else touched that row in between, so a
 * download's many progress updates become one op per flush.
 */
export class OpQueue {
  private ops: CatalogOp[] = [];
  /** Row key → index of the set op that is still the last op on that row. */
  private readonly openSets = new Map<string, number>();

  get length(): number {
    return this.ops.length;
  }

  push(op: CatalogOp): void {
    const key = rowKey(op);
    if (op.o === 'entry.set' || op.o === 'file.set' || op.o === 'job.set') {
      const at = this.openSets.get(key);
      const previous = at === undefined ? undefined : this.ops[at];
      if (previous && 'set' in previous) {
        this.ops[at as number] = { ...previous, set: { ...previous.set, ...op.set } } as CatalogOp;
        return;
      }
      this.closeRow(op, key);
      this.openSets.set(key, this.ops.length);
    } else {
      this.closeRow(op, key);
    }
    this.ops.push(op);
  }

  /** The queued ops, oldest first. */
  peek(): readonly CatalogOp[] {
    return this.ops;
  }

  /** The queued ops for an append; later sets no longer fold into them, so nothing is lost while the append runs. */
  seal(): readonly CatalogOp[] {
    this.openSets.clear();
    return [...this.ops];
  }

  /** Drops the first `count` ops (they reached the log). */
  drop(count: number): void {
    this.ops = this.ops.slice(count);
    this.openSets.clear();
  }

  private closeRow(op: CatalogOp, key: string): void {
    this.openSets.delete(key);
    // Whole-entry ops end every open set on that entry's files too.
    if (op.o === 'entry.put' || op.o === 'entry.del' || op.o === 'files.put') {
      const entry = op.o === 'files.put' ? op.entry : op.o === 'entry.put' ? String(op.row.id) : op.id;
      for (const k of [...this.openSets.keys()]) if (k.startsWith(`f\u0000${entry}\u0000`)) this.openSets.delete(k);
    }
  }
}

function rowKey(op: CatalogOp): string {
  switch (op.o) {
    case 'entry.put':
      return `e\u0000${String(op.row.id)}`;
    case 'entry.set':
    case 'entry.del':
      return `e\u0000${op.id}`;
    case 'files.put':
      return `fs\u0000${op.entry}`;
    case 'file.set':
      return `f\u0000${op.entry}\u0000${op.path}`;
    case 'job.put':
      return `j\u0000${String(op.row.id)}`;
    case 'job.set':
    case 'job.del':
      return `j\u0000${op.id}`;
  }
}

// ---- validation of ops read from the log (another process, possibly another version, wrote them) ----

function isScalar(value: unknown): value is SqlScalar {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 4096;
}

function columnsOf(value: unknown, allowed: ReadonlySet<string>, required?: readonly string[]): OpColumns | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length === 0 && !required) return undefined;
  for (const [key, v] of entries) if (!allowed.has(key) || !isScalar(v)) return undefined;
  if (required && required.some((c) => !(c in value))) return undefined;
  return value as OpColumns;
}

const ENTRY_ALL: ReadonlySet<string> = new Set(ENTRY_ROW_COLUMNS);
const JOB_ALL: ReadonlySet<string> = new Set(JOB_ROW_COLUMNS);
/** Columns a put must carry; newer columns may be absent when an older version wrote the op. */
const ENTRY_REQUIRED = ENTRY_ROW_COLUMNS.filter((c) => c !== 'owner' && c !== 'stop_request');
const JOB_REQUIRED = JOB_ROW_COLUMNS.filter((c) => c !== 'owner');

/** The op, if `value` is a well-formed one; column names are checked against the schema, never interpolated unchecked. */
export function parseOp(value: unknown): CatalogOp | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.o) {
    case 'entry.put': {
      const row = columnsOf(v.row, ENTRY_ALL, ENTRY_REQUIRED);
      return row && isText(row.id) ? { o: 'entry.put', row } : undefined;
    }
    case 'entry.set': {
      const set = columnsOf(v.set, ENTRY_SET_COLUMNS);
      return set && isText(v.id) ? { o: 'entry.set', id: v.id, set } : undefined;
    }
    case 'entry.del':
      return isText(v.id) ? { o: 'entry.del', id: v.id } : undefined;
    case 'files.put': {
      if (!isText(v.entry) || !Array.isArray(v.rows)) return undefined;
      const rows = v.rows as unknown[];
      const ok = rows.every((r) => Array.isArray(r) && r.length === FILE_ROW_COLUMNS.length && r.every(isScalar));
      return ok ? { o: 'files.put', entry: v.entry, rows: rows as SqlScalar[][] } : undefined;
    }
    case 'file.set': {
      const set = columnsOf(v.set, FILE_SET_COLUMNS);
      return set && isText(v.entry) && isText(v.path) ? { o: 'file.set', entry: v.entry, path: v.path, set } : undefined;
    }
    case 'job.put': {
      const row = columnsOf(v.row, JOB_ALL, JOB_REQUIRED);
      return row && isText(row.id) ? { o: 'job.put', row } : undefined;
    }
    case 'job.set': {
      const set = columnsOf(v.set, JOB_SET_COLUMNS);
      return set && isText(v.id) ? { o: 'job.set', id: v.id, set } : undefined;
    }
    case 'job.del':
      return isText(v.id) ? { o: 'job.del', id: v.id } : undefined;
    default:
      return undefined;
  }
}

/** The entry whose row or files an op touches, before it is applied; undefined for job ops. */
export function entryIdOf(op: CatalogOp): string | undefined {
  switch (op.o) {
    case 'entry.put':
      return String(op.row.id);
    case 'entry.set':
    case 'entry.del':
      return op.id;
    case 'files.put':
    case 'file.set':
      return op.entry;
    default:
      return undefined;
  }
}
