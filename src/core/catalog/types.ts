import type { ErrorCode } from '../errors';
import type { RepoMetadata } from '../metadata';
import type { RepoKind } from '../repo';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type EntryStatus = 'queued' | 'downloading' | 'paused' | 'ready' | 'error' | 'cancelled' | 'missing';

export const ENTRY_STATUSES: readonly EntryStatus[] = ['queued', 'downloading', 'paused', 'ready', 'error', 'cancelled', 'missing'];

export interface CatalogEntry {
  /** UUID (crypto.randomUUID). */
  readonly id: string;
  readonly kind: RepoKind;
  readonly repoId: string;
  readonly displayName: string;
  /** What the user asked for: branch, tag or commit. */
  readonly revision: string;
  /** The resolved 40-hex commit, once known. */
  readonly commit: string | null;
  readonly status: EntryStatus;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly fileCount: number;
  readonly snapshotPath: string | null;
  readonly errorCode: ErrorCode | null;
  readonly errorMessage: string | null;
  readonly includePatterns: string[];
  readonly excludePatterns: string[];
  readonly metadata: RepoMetadata;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms; never goes backwards for one entry. */
  readonly updatedAt: number;
  /** The process running this entry's download (an owner id, see core/ownership), or null. */
  readonly owner: string | null;
  /** What another process asked the owner to do with its running download. */
  readonly stopRequest: StopRequest | null;
}

export type StopRequest = 'pause' | 'cancel';
export const STOP_REQUESTS: readonly StopRequest[] = ['pause', 'cancel'];

/** What a caller supplies to add an entry; everything but the identity has a default. */
export interface NewEntry {
  kind: RepoKind;
  repoId: string;
  /** Defaults to "main". */
  revision?: string;
  /** Defaults to the repo id. */
  displayName?: string;
  commit?: string | null;
  /** Defaults to "queued". */
  status?: EntryStatus;
  bytesDone?: number;
  bytesTotal?: number;
  fileCount?: number;
  snapshotPath?: string | null;
  errorCode?: ErrorCode | null;
  errorMessage?: string | null;
  includePatterns?: string[];
  excludePatterns?: string[];
  metadata?: RepoMetadata;
}

/** The mutable part of an entry; identity (kind, repoId, revision, id) and timestamps are not patchable. */
export type EntryPatch = Partial<
  Pick<
    CatalogEntry,
    | 'displayName'
    | 'commit'
    | 'status'
    | 'bytesDone'
    | 'bytesTotal'
    | 'fileCount'
    | 'snapshotPath'
    | 'errorCode'
    | 'errorMessage'
    | 'includePatterns'
    | 'excludePatterns'
    | 'metadata'
    | 'owner'
    | 'stopRequest'
  >
>;

export type FileState = 'pending' | 'partial' | 'verified';

export const FILE_STATES: readonly FileState[] = ['pending', 'partial', 'verified'];

/** A byte range [start, end) already on disk. */
export type ByteRange = [number, number];

export interface EntryFile {
  readonly entryId: string;
  /** Path inside the repo, "/"-separated. */
  readonly path: string;
  readonly size: number;
  /** The cache blob name: LFS sha256, else git blob sha1. */
  readonly blobId: string;
  /** LFS oid when the file is in LFS. */
  readonly sha256: string | null;
  readonly gitSha1: string;
  readonly state: FileState;
  readonly bytesDone: number;
  /** Byte ranges already on disk in the partial file, sorted and merged, so parallel-range downloads resume exactly. */
  readonly doneRanges: ByteRange[];
}

export interface NewEntryFile {
  path: string;
  size: number;
  blobId: string;
  sha256?: string | null;
  gitSha1: string;
  /** Defaults to "pending". */
  state?: FileState;
  bytesDone?: number;
  doneRanges?: ByteRange[];
}

export type EntryFilePatch = Partial<Pick<EntryFile, 'state' | 'bytesDone' | 'doneRanges'>>;

export type JobType = 'download' | 'cleanup';
export const JOB_TYPES: readonly JobType[] = ['download', 'cleanup'];

export type JobState = 'pending' | 'running' | 'failed';
export const JOB_STATES: readonly JobState[] = ['pending', 'running', 'failed'];

export interface Job {
  readonly id: string;
  readonly type: JobType;
  readonly entryId: string | null;
  readonly state: JobState;
  readonly attempts: number;
  readonly payload: JsonValue;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The process running the job, or null while nobody does. */
  readonly owner: string | null;
}

export interface NewJob {
  type: JobType;
  entryId?: string | null;
  /** Defaults to "pending". */
  state?: JobState;
  payload?: JsonValue;
  owner?: string | null;
}

export type JobPatch = Partial<Pick<Job, 'state' | 'attempts' | 'payload' | 'lastError' | 'owner'>>;

export interface JobFilter {
  type?: JobType;
  state?: JobState;
  /** A string matches that entry's jobs; null matches jobs without an entry. */
  entryId?: string | null;
}

export type SortKey = 'name' | 'size' | 'updated';
export type SortDirection = 'asc' | 'desc';

export interface SearchQuery {
  /** Case-insensitive (Unicode) substring of the display name or the repo id; taken literally. */
  text?: string;
  kind?: RepoKind;
  statuses?: EntryStatus[];
  /** Defaults to "name". */
  sort?: SortKey;
  /** Defaults to "asc". */
  direction?: SortDirection;
  offset?: number;
  /** Omitted: every match from offset on. */
  limit?: number;
}

export interface SearchResult {
  readonly items: CatalogEntry[];
  /** All matches, regardless of offset and limit. */
  readonly total: number;
}

export interface EntryFilter {
  kind?: RepoKind;
  repoId?: string;
  statuses?: EntryStatus[];
}

export interface StatusCounts {
  readonly total: number;
  readonly byStatus: Readonly<Record<EntryStatus, number>>;
}

export type CatalogCounts = Readonly<Record<RepoKind, StatusCounts>>;

export interface CatalogChange {
  readonly kind: 'entry-added' | 'entry-updated' | 'entry-removed';
  readonly entryId: string;
  /** Set when another process made the change (read from the shared log). */
  readonly remote?: true;
}
