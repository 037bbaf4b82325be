/**
 * Rows back to objects. Every column is read defensively: a value a hand-edited or damaged row holds (bad JSON,
 * unknown status, negative count) degrades to an empty or neutral value instead of breaking a listing.
 */
import type { SqlValue } from 'sql.js';
import type { RepoMetadata } from '../metadata';
import { REPO_KINDS } from '../repo';
import type { Row } from './statements';
import { ENTRY_STATUSES, FILE_STATES, JOB_STATES, JOB_TYPES, STOP_REQUESTS, type ByteRange, type CatalogEntry, type EntryFile, type Job, type JsonValue } from './types';
import { isErrorCode, isJsonValue, isOneOf } from './validate';

function text(value: SqlValue | undefined): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}

function optionalText(value: SqlValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function count(value: SqlValue | undefined): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function parseJson(value: SqlValue | undefined): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function stringList(value: SqlValue | undefined): string[] {
  const parsed = parseJson(value);
  return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : [];
}

function metadataOf(value: SqlValue | undefined): RepoMetadata {
  const parsed = parseJson(value);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as RepoMetadata) : {};
}

function rangesOf(value: SqlValue | undefined): ByteRange[] {
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (r): r is ByteRange =>
      Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && 0 <= r[0] && r[0] < r[1],
  );
}

function jsonOf(value: SqlValue | undefined): JsonValue {
  const parsed = parseJson(value);
  return isJsonValue(parsed, new Set()) ? parsed : null;
}

export const ENTRY_COLUMNS =
  'id, kind, repo_id, revision, display_name, commit_sha, status, bytes_done, bytes_total, file_count, snapshot_path, ' +
  'error_code, error_message, include_patterns, exclude_patterns, metadata, created_at, updated_at, owner, stop_request';

export function entryFromRow(row: Row): CatalogEntry {
  const kind = row.kind;
  const status = row.status;
  const errorCode = row.error_code;
  return {
    id: text(row.id),
    kind: isOneOf(REPO_KINDS, kind) ? kind : 'model',
    repoId: text(row.repo_id),
    displayName: text(row.display_name),
    revision: text(row.revision),
    commit: optionalText(row.commit_sha),
    status: isOneOf(ENTRY_STATUSES, status) ? status : 'error',
    bytesDone: count(row.bytes_done),
    bytesTotal: count(row.bytes_total),
    fileCount: count(row.file_count),
    snapshotPath: optionalText(row.snapshot_path),
    errorCode: isErrorCode(errorCode) ? errorCode : null,
    errorMessage: optionalText(row.error_message),
    includePatterns: stringList(row.include_patterns),
    excludePatterns: stringList(row.exclude_patterns),
    metadata: metadataOf(row.metadata),
    createdAt: count(row.created_at),
    updatedAt: count(row.updated_at),
    owner: optionalText(row.owner),
    stopRequest: isOneOf(STOP_REQUESTS, row.stop_request) ? row.stop_request : null,
  };
}

export const FILE_COLUMNS = 'entry_id, path, size, blob_id, sha256, git_sha1, state, bytes_done, done_ranges';

export function fileFromRow(row: Row): EntryFile {
  const state = row.state;
  return {
    entryId: text(row.entry_id),
    path: text(row.path),
    size: count(row.size),
    blobId: text(row.blob_id),
    sha256: optionalText(row.sha256),
    gitSha1: text(row.git_sha1),
    state: isOneOf(FILE_STATES, state) ? state : 'pending',
    bytesDone: count(row.bytes_done),
    doneRanges: rangesOf(row.done_ranges),
  };
}

export const JOB_COLUMNS = 'id, type, entry_id, state, attempts, payload, last_error, created_at, updated_at, owner';

export function jobFromRow(row: Row): Job {
  const type = row.type;
  const state = row.state;
  const knownType = isOneOf(JOB_TYPES, type);
  return {
    id: text(row.id),
    type: knownType ? type : 'download',
    entryId: optionalText(row.entry_id),
    // A job we cannot read properly must not run: it shows as failed.
    state: knownType && isOneOf(JOB_STATES, state) ? state : 'failed',
    attempts: count(row.attempts),
    payload: jsonOf(row.payload),
    lastError: optionalText(row.last_error),
    createdAt: count(row.created_at),
    updatedAt: count(row.updated_at),
    owner: optionalText(row.owner),
  };
}
