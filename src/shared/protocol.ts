/**
 * Every message between the extension host and the Studio webview, typed once and used by both sides.
 *
 * Three kinds of message travel: the webview sends requests (an id, a method, params) and the host answers each with
 * one response carrying the same id; the host pushes notifications (live updates); the webview may send a `cancel`
 * notification for a request it no longer needs. The handshake: a freshly loaded webview sends `ready` and receives a
 * full snapshot; everything it shows afterwards comes from responses and pushed updates, so a reload never leaves it
 * out of sync.
 *
 * The host checks every webview message with `parseWebviewMessage` before acting: the webview is a web page, so its
 * messages are data, not trust.
 */
import type { CatalogCounts, CatalogEntry, EntryStatus, FileState, SortDirection, SortKey } from '../core/catalog/types';
import type { ErrorCode } from '../core/errors';
import type { MemoryEstimate } from '../core/metadata';
import type { CacheRepoKind, RepoKind } from '../core/repo';
import { ProtocolViolation, arrayOf, int, isPlainObject, object, oneOf, optional, str, type Check } from './guards';

// 2: the Cache tab (cacheScan, cacheAction, cachePrune, the cacheRepos notification).
export const PROTOCOL_VERSION = 2;
export const STUDIO_VIEW_TYPE = 'mistudio.studio';

// ---- what the webview shows (wire shapes: plain JSON, no class instances) ----

export interface EntryFacts {
  /** Parameter count (models with safetensors weights). */
  readonly parameters?: number;
  /** Bytes needed for the weights per precision (models). */
  readonly memory?: MemoryEstimate;
  readonly modelType?: string;
  /** Dataset configs with their split names. */
  readonly configs?: readonly { readonly name: string; readonly splits: readonly string[] }[];
  readonly license?: string;
  readonly pipelineTag?: string;
  readonly gated?: false | 'auto' | 'manual';
  readonly private?: boolean;
}

/** A catalog entry as the webview sees it: the entry's own fields, its patterns, and the facts worth showing. */
export type EntryRow = Pick<
  CatalogEntry,
  | 'id'
  | 'kind'
  | 'repoId'
  | 'displayName'
  | 'revision'
  | 'commit'
  | 'status'
  | 'bytesDone'
  | 'bytesTotal'
  | 'fileCount'
  | 'snapshotPath'
  | 'errorCode'
  | 'errorMessage'
  | 'updatedAt'
> & {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly facts: EntryFacts;
  /** What the entry allows now, decided by the host's one action layer; the page shows buttons only for these. */
  readonly actions: readonly EntryAction[];
};

export interface ProgressRow {
  readonly entryId: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** 0..1 */
  readonly fraction: number;
  readonly bytesPerSecond: number;
  /** Null until a rate is known. */
  readonly etaSeconds: number | null;
  /** Files waiting for another download of the same blob. */
  readonly waitingFiles: number;
  /** Seconds until a rate-limited download resumes; null when it is not rate-limited. */
  readonly rateLimitResumeSeconds: number | null;
}

export interface FileRow {
  readonly path: string;
  readonly size: number;
  readonly state: FileState;
  readonly bytesDone: number;
  readonly lfs: boolean;
}

export interface EntryDetail {
  readonly entry: EntryRow;
  readonly files: readonly FileRow[];
  /** Bytes of this entry's files on disk now (verified files plus partial bytes). */
  readonly diskBytes: number;
  readonly hubUrl: string;
  readonly downloads?: number;
  readonly likes?: number;
  /** ISO 8601. */
  readonly lastModified?: string;
  readonly architectures?: readonly string[];
  readonly numLayers?: number;
  readonly hiddenSize?: number;
}

export interface HubRow {
  readonly id: string;
  readonly kind: RepoKind;
  readonly downloads: number;
  readonly likes: number;
  readonly lastModified: string | null;
  readonly gated: false | 'auto' | 'manual';
  readonly private: boolean;
  readonly pipelineTag: string | null;
  /** Catalog status of this repo (any revision), when it is in the catalog. */
  readonly catalogStatus: EntryStatus | null;
}

export interface PlanFileRow {
  readonly path: string;
  readonly size: number;
  /** Already in the cache: nothing to download. */
  readonly cached: boolean;
}

export interface PlanView {
  readonly kind: RepoKind;
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string;
  /** Every file at that commit; the webview applies include / exclude live. */
  readonly files: readonly PlanFileRow[];
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly freeBytes: number;
  readonly cacheRoot: string;
  readonly gated: false | 'auto' | 'manual';
  readonly private: boolean;
  readonly license: string | null;
  /** The repo is already in the catalog at this revision. */
  readonly inCatalog: boolean;
}

export interface Snapshot {
  readonly protocolVersion: number;
  readonly endpoint: string;
  readonly cacheRoot: string;
  readonly counts: CatalogCounts;
  /** Progress of every entry that is downloading now. */
  readonly progress: readonly ProgressRow[];
  readonly cleanupRunning: number;
  /** The `mistudio.defaultIncludePatterns` setting, offered in a new plan. */
  readonly defaultInclude: readonly string[];
}

export type CatalogQuery = {
  readonly text: string;
  readonly kind?: RepoKind;
  readonly statuses?: readonly EntryStatus[];
  readonly sort: SortKey;
  readonly direction: SortDirection;
  readonly offset: number;
  readonly limit: number;
};

export interface QueryResult {
  readonly items: readonly EntryRow[];
  readonly total: number;
  readonly offset: number;
}

/** Everything a user can do to a catalog entry, from a tree row, the palette or the panel (host/actions runs them). */
export const ENTRY_ACTIONS = [
  'cancel',
  'pause',
  'resume',
  'retry',
  'redownload',
  'delete',
  'reveal',
  'openFolder',
  'copyPath',
  'copyId',
  'copySnippet',
  'openOnHub',
  'requestAccess',
] as const;
export type EntryAction = (typeof ENTRY_ACTIONS)[number];

export const HUB_SORTS = ['downloads', 'likes', 'lastModified'] as const;
export type HubSort = (typeof HUB_SORTS)[number];

/** One batch of live changes; the host sends at most about ten a second. */
export interface UpdateBatch {
  /** Entries added or changed since the last batch, as they are now. */
  readonly changed: readonly EntryRow[];
  readonly removed: readonly string[];
  readonly progress: readonly ProgressRow[];
  readonly counts: CatalogCounts;
  readonly cleanupRunning: number;
}

// ---- the Cache tab: every repo of the Hugging Face cache, whoever put it there ----

/** What a Cache tab row offers; the host decides per row (the Cache tree's rule) and checks again when asked. */
export const CACHE_ROW_ACTIONS = ['addToCatalog', 'verify', 'deleteRevision', 'deleteRepo'] as const;
export type CacheRowAction = (typeof CACHE_ROW_ACTIONS)[number];
/** Actions on one revision: their target names its commit. `deleteRepo` names none: every revision goes. */
export const CACHE_REVISION_ACTIONS: readonly CacheRowAction[] = ['addToCatalog', 'verify', 'deleteRevision'];

export interface CacheRevisionRow {
  readonly commit: string;
  /** Branches, tags and PRs naming the commit in the cache; empty when it is detached. */
  readonly refs: readonly string[];
  readonly sizeOnDisk: number;
  readonly files: number;
  /** Milliseconds since the epoch. */
  readonly lastModified: number;
  /** Who holds it, in the Cache tree's words: "this workspace", "2 other catalogs", "no catalog". */
  readonly heldBy: string;
  readonly heldHere: boolean;
  readonly actions: readonly CacheRowAction[];
}

export interface CachePartialRow {
  /** The blob the unfinished download will become. */
  readonly blobId: string;
  readonly size: number;
  /** Who wrote it: MechInterp Studio, an older download, or huggingface_hub. */
  readonly owner: 'ours' | 'legacy' | 'foreign';
  /** Who may still resume it; null: nobody (Prune removes it). */
  readonly resumableBy: 'this-catalog' | 'other-catalog' | null;
}

export interface CacheRepoRow {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  /** Each blob counted once. */
  readonly sizeOnDisk: number;
  readonly files: number;
  /** Milliseconds since the epoch. */
  readonly lastModified: number;
  readonly lastAccessed: number;
  /** Every ref name of the repo (main, v1.0, refs/pr/1). */
  readonly refs: readonly string[];
  readonly heldBy: string;
  readonly heldHere: boolean;
  readonly partialBytes: number;
  readonly revisions: readonly CacheRevisionRow[];
  readonly partials: readonly CachePartialRow[];
  readonly actions: readonly CacheRowAction[];
}

export interface CacheScanProgress {
  readonly reposDone: number;
  readonly reposTotal: number;
  readonly filesScanned: number;
}

/** Repos of a running scan, as the host read them; at most about ten batches a second. */
export interface CacheReposBatch {
  /** The scan they belong to, as the page numbered it. */
  readonly scanId: number;
  readonly repos: readonly CacheRepoRow[];
  readonly progress: CacheScanProgress;
}

export interface CacheSummary {
  /** The Cache tree's header: the total, the partial bytes and the Xet chunk cache apart. */
  readonly header: string;
  readonly repoCount: number;
  readonly sizeOnDisk: number;
  readonly partialBytes: number;
  /** Null when there is no Xet chunk cache. */
  readonly xetBytes: number | null;
  /** Oddities the scan passed over (they are in the extension's log). */
  readonly warnings: number;
}

/** The repo (and, for a revision action, the commit) a Cache tab row stands for. */
export interface CacheActionTarget {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly commit?: string;
}

// ---- the method tables ----

export interface Requests {
  ready: { params: { protocolVersion: number }; result: Snapshot };
  query: { params: CatalogQuery; result: QueryResult };
  detail: { params: { entryId: string }; result: EntryDetail };
  entryAction: { params: { entryId: string; action: EntryAction }; result: { done: boolean; message?: string } };
  hubSearch: { params: { kind: RepoKind; text: string; sort: HubSort }; result: { items: readonly HubRow[] } };
  plan: { params: { kind: RepoKind; repoId: string; revision: string }; result: PlanView };
  download: {
    params: { kind: RepoKind; repoId: string; revision: string; include: readonly string[]; exclude: readonly string[] };
    result: { entry: EntryRow };
  };
  openOnHub: { params: { kind: RepoKind; repoId: string }; result: { done: boolean } };
  /** Reads the whole cache; its repos arrive as `cacheRepos` notifications before the answer. A new scan ends the last. */
  cacheScan: { params: { scanId: number }; result: { scanId: number; summary: CacheSummary } };
  cacheAction: { params: { action: CacheRowAction; target: CacheActionTarget }; result: { done: boolean; message?: string } };
  cachePrune: { params: Record<string, never>; result: { done: boolean; message?: string } };
}
export type RequestMethod = keyof Requests;
export type ParamsOf<M extends RequestMethod> = Requests[M]['params'];
export type ResultOf<M extends RequestMethod> = Requests[M]['result'];

export interface HostNotifications {
  update: UpdateBatch;
  cacheRepos: CacheReposBatch;
}

export interface WebviewNotifications {
  cancel: { id: number };
}

export type WebviewRequest = { [M in RequestMethod]: { type: 'request'; id: number; method: M; params: ParamsOf<M> } }[RequestMethod];
export type WebviewNotification = {
  [M in keyof WebviewNotifications]: { type: 'notification'; method: M; params: WebviewNotifications[M] };
}[keyof WebviewNotifications];
export type WebviewMessage = WebviewRequest | WebviewNotification;

export interface ResponseError {
  /** `InvalidInput` for a malformed message; `Internal` for a failure that carried no code (a bug). */
  readonly code: ErrorCode | 'Internal';
  readonly message: string;
}
export type Response<M extends RequestMethod = RequestMethod> =
  | { type: 'response'; id: number; ok: true; result: ResultOf<M> }
  | { type: 'response'; id: number; ok: false; error: ResponseError };
export type HostNotification = {
  [M in keyof HostNotifications]: { type: 'notification'; method: M; params: HostNotifications[M] };
}[keyof HostNotifications];
export type HostMessage = Response | HostNotification;

// ---- runtime validation of what the webview sends ----

const MAX_ID = Number.MAX_SAFE_INTEGER;
const REPO_KINDS_LIST = ['model', 'dataset'] as const;
const CACHE_KINDS_LIST = ['model', 'dataset', 'space'] as const;
const STATUSES_LIST = ['queued', 'downloading', 'paused', 'ready', 'error', 'cancelled', 'missing'] as const;

const kind = oneOf(REPO_KINDS_LIST);
// The shape only; the host still runs validateRepoId / validateRevision before using one.
const repoId = str({ min: 1, max: 200, pattern: /^[A-Za-z0-9_.\-/]+$/ });
const revision = str({ min: 1, max: 255 });
const entryId = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9-]+$/ });
const pattern = str({ min: 1, max: 256 });
const patterns = arrayOf(pattern, { max: 64 });
const commit = str({ min: 40, max: 40, pattern: /^[0-9a-f]{40}$/ });
const cacheTarget = object({ kind: oneOf(CACHE_KINDS_LIST), repoId, commit: optional(commit) });

/** The shape, then the pairing: a revision action names its commit, Delete Repo names none (it takes every one). */
const cacheActionParams: Check<ParamsOf<'cacheAction'>> = (value, field) => {
  const params = object({ action: oneOf(CACHE_ROW_ACTIONS), target: cacheTarget })(value, field);
  const revisionAction = CACHE_REVISION_ACTIONS.includes(params.action);
  if (revisionAction && params.target.commit === undefined) throw new ProtocolViolation(`${field}.target.commit: expected a commit for ${params.action}`);
  if (!revisionAction && params.target.commit !== undefined) throw new ProtocolViolation(`${field}.target.commit: ${params.action} takes no commit`);
  return params;
};

const PARAMS: { [M in RequestMethod]: Check<ParamsOf<M>> } = {
  ready: object({ protocolVersion: int({ min: 0, max: 1_000 }) }),
  query: object({
    text: str({ max: 200 }),
    kind: optional(kind),
    statuses: optional(arrayOf(oneOf(STATUSES_LIST), { max: STATUSES_LIST.length })),
    sort: oneOf(['name', 'size', 'updated'] as const),
    direction: oneOf(['asc', 'desc'] as const),
    offset: int({ min: 0, max: 10_000_000 }),
    limit: int({ min: 0, max: 500 }),
  }),
  detail: object({ entryId }),
  entryAction: object({ entryId, action: oneOf(ENTRY_ACTIONS) }),
  hubSearch: object({ kind, text: str({ max: 200 }), sort: oneOf(HUB_SORTS) }),
  plan: object({ kind, repoId, revision }),
  download: object({ kind, repoId, revision, include: patterns, exclude: patterns }),
  openOnHub: object({ kind, repoId }),
  cacheScan: object({ scanId: int({ min: 0, max: MAX_ID }) }),
  cacheAction: cacheActionParams,
  cachePrune: object({}),
};

const NOTIFICATION_PARAMS: { [M in keyof WebviewNotifications]: Check<WebviewNotifications[M]> } = {
  cancel: object({ id: int({ min: 0, max: MAX_ID }) }),
};

export type ParsedMessage =
  | { readonly ok: true; readonly message: WebviewMessage }
  /** `id` is set when the message was a request with a usable id, so the error can be answered. */
  | { readonly ok: false; readonly id: number | undefined; readonly error: string };

/** Checks one message from the webview; never throws. */
export function parseWebviewMessage(raw: unknown): ParsedMessage {
  let id: number | undefined;
  try {
    if (!isPlainObject(raw)) throw new ProtocolViolation('message: expected an object');
    const keys = Object.keys(raw);
    if (keys.length > 4) throw new ProtocolViolation('message: too many fields');
    if (raw.type === 'request' && typeof raw.id === 'number' && Number.isSafeInteger(raw.id) && raw.id >= 0) id = raw.id;
    if (raw.type === 'request') {
      for (const key of keys) if (!['type', 'id', 'method', 'params'].includes(key)) throw new ProtocolViolation(`message.${key}: unknown field`);
      const checkedId = int({ min: 0, max: MAX_ID })(raw.id, 'id');
      const method = oneOf(Object.keys(PARAMS) as RequestMethod[])(raw.method, 'method');
      const params = (PARAMS[method] as Check<unknown>)(raw.params, 'params');
      return { ok: true, message: { type: 'request', id: checkedId, method, params } as WebviewRequest };
    }
    if (raw.type === 'notification') {
      for (const key of keys) if (!['type', 'method', 'params'].includes(key)) throw new ProtocolViolation(`message.${key}: unknown field`);
      const method = oneOf(Object.keys(NOTIFICATION_PARAMS) as (keyof WebviewNotifications)[])(raw.method, 'method');
      const params = NOTIFICATION_PARAMS[method](raw.params, 'params');
      return { ok: true, message: { type: 'notification', method, params } };
    }
    throw new ProtocolViolation('type: expected "request" or "notification"');
  } catch (err) {
    const error = err instanceof ProtocolViolation ? err.message : 'malformed message';
    return { ok: false, id, error };
  }
}

/** A light shape check for the webview side: the host is trusted, but a stray message must not break the page. */
export function isHostMessage(raw: unknown): raw is HostMessage {
  if (!isPlainObject(raw)) return false;
  if (raw.type === 'response') return typeof raw.id === 'number' && typeof raw.ok === 'boolean';
  if (raw.type === 'notification') return (raw.method === 'update' || raw.method === 'cacheRepos') && isPlainObject(raw.params);
  return false;
}
