import { echo } from '../echo';
import { MistudioError, type ErrorCode } from '../errors';
import type { RepoMetadata } from '../metadata';
import { REPO_KINDS, isCommitSha, type RepoKind } from '../repo';
import {
  ENTRY_STATUSES,
  FILE_STATES,
  JOB_STATES,
  JOB_TYPES,
  type ByteRange,
  type EntryStatus,
  type FileState,
  type JobState,
  type JobType,
  type JsonValue,
  type SortDirection,
  type SortKey,
} from './types';

// Kept in step with errors.ts by the compiler: a new ErrorCode without an entry here fails to build.
const ERROR_CODES = {
  InvalidInput: true,
  RepoNotFound: true,
  RevisionNotFound: true,
  EntryNotFound: true,
  Gated: true,
  Unauthorized: true,
  Offline: true,
  RateLimited: true,
  Http: true,
  NoSpace: true,
  ChecksumMismatch: true,
  UnsafePath: true,
  Cancelled: true,
  CatalogCorrupt: true,
  Io: true,
} satisfies Record<ErrorCode, true>;

/** A rejected value as the message shows it: quoted, control characters escaped, long values cut short. */
function shown(value: unknown): string {
  if (typeof value === 'string') return `"${echo(value)}"`;
  return echo(JSON.stringify(value) ?? String(value));
}

function invalid(message: string): MistudioError {
  return new MistudioError('InvalidInput', message);
}

export function isOneOf<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown, what: string): T {
  if (!isOneOf(allowed, value)) throw invalid(`Invalid ${what} ${shown(value)}: expected one of ${allowed.join(', ')}`);
  return value;
}

export const checkKind = (v: unknown): RepoKind => oneOf(REPO_KINDS, v, 'kind');
export const checkStatus = (v: unknown): EntryStatus => oneOf(ENTRY_STATUSES, v, 'status');
export const checkFileState = (v: unknown): FileState => oneOf(FILE_STATES, v, 'file state');
export const checkJobType = (v: unknown): JobType => oneOf(JOB_TYPES, v, 'job type');
export const checkJobState = (v: unknown): JobState => oneOf(JOB_STATES, v, 'job state');
export const checkSortKey = (v: unknown): SortKey => oneOf(['name', 'size', 'updated'] as const, v, 'sort');
export const checkDirection = (v: unknown): SortDirection => oneOf(['asc', 'desc'] as const, v, 'sort direction');

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function checkErrorCode(value: unknown): ErrorCode | null {
  if (value === null) return null;
  if (!isErrorCode(value)) throw invalid(`Invalid error code ${shown(value)}`);
  return value;
}

/** Byte counts, file counts, attempts, paging: whole numbers from 0 up to 2^53. */
export function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`Invalid ${what} ${shown(value)}: expected a whole number ≥ 0`);
  }
  return value;
}

export function checkText(value: unknown, what: string, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string' || (!allowEmpty && value.trim().length === 0) || value.includes('\u0000')) {
    throw invalid(`Invalid ${what}: expected ${allowEmpty ? 'a' : 'a non-empty'} string`);
  }
  return value;
}

export function checkOptionalText(value: unknown, what: string): string | null {
  return value === null ? null : checkText(value, what, { allowEmpty: true });
}

export function checkCommit(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !isCommitSha(value)) throw invalid(`Invalid commit ${shown(value)}: expected 40 lowercase hex digits`);
  return value;
}

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export function checkGitSha1(value: unknown): string {
  if (typeof value !== 'string' || !HEX40.test(value)) throw invalid(`Invalid git blob id ${shown(value)}: expected 40 lowercase hex digits`);
  return value;
}

export function checkSha256(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !HEX64.test(value)) throw invalid(`Invalid sha256 ${shown(value)}: expected 64 lowercase hex digits`);
  return value;
}

export function checkBlobId(value: unknown): string {
  if (typeof value !== 'string' || !(HEX40.test(value) || HEX64.test(value))) {
    throw invalid(`Invalid blob id ${shown(value)}: expected a git sha1 or an LFS sha256`);
  }
  return value;
}

/** A repo-relative "/"-separated path: the cache layer joins it under a snapshot folder, so refuse escapes early. */
export function checkRepoPath(value: unknown): string {
  const p = checkText(value, 'file path');
  const parts = p.split('/');
  if (p.startsWith('/') || p.includes('\\') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new MistudioError('UnsafePath', `Unsafe file path ${shown(p)}: expected a relative path inside the repo`, { path: p });
  }
  return p;
}

export function checkPatterns(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string' && p.length > 0)) {
    throw invalid(`Invalid ${what}: expected a list of non-empty glob patterns`);
  }
  return [...(value as string[])];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function checkMetadata(value: unknown): RepoMetadata {
  if (!isPlainObject(value)) throw invalid('Invalid metadata: expected an object');
  // Round-trip through JSON so what we return is exactly what a reload would give.
  return JSON.parse(checkedJson(value, 'metadata')) as RepoMetadata;
}

/** Serialises a JSON value, refusing what JSON cannot represent faithfully (undefined, functions, NaN, cycles). */
export function checkedJson(value: unknown, what: string): string {
  if (!isJsonValue(value, new Set())) throw invalid(`Invalid ${what}: expected a JSON value`);
  return JSON.stringify(value);
}

export function isJsonValue(value: unknown, seen: Set<object>): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  const ok = Array.isArray(value)
    ? value.every((v) => isJsonValue(v, seen))
    : isPlainObject(value) && Object.values(value).every((v) => isJsonValue(v, seen));
  seen.delete(value);
  return ok;
}

/** Validates ranges against the file size and returns them sorted with overlapping or touching ranges merged. */
export function normaliseRanges(value: unknown, size: number): ByteRange[] {
  if (!Array.isArray(value)) throw invalid('Invalid done ranges: expected a list of [start, end) pairs');
  const ranges: ByteRange[] = value.map((r: unknown) => {
    if (!Array.isArray(r) || r.length !== 2) throw invalid('Invalid done range: expected a [start, end) pair');
    const start = checkCount(r[0], 'range start');
    const end = checkCount(r[1], 'range end');
    if (start >= end || end > size) throw invalid(`Invalid done range [${start}, ${end}) for a file of ${size} bytes`);
    return [start, end];
  });
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: ByteRange[] = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}
