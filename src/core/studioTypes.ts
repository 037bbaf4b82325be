import type { NetworkLimits } from './net/limits';
import type { Catalog, CatalogChange, CatalogEntry, EntryFile } from './catalog';
import type { CacheScan } from './cache';
import type { CacheInventory, InventoryOptions } from './cacheInventory';
import type { Event } from './events';
import type { HubSearchResult, HubUser, RepoInfo, SearchOptions } from './hub';
import type { ProgressSnapshot } from './progress';
import type { CacheRepoKind, RepoKind, RepoRef } from './repo';
import type { OpenPartialFile, RetryOptions } from './transfer';

/** Where a line of the engine's log goes (the extension's LogOutputChannel, the CLI's stderr in --verbose). */
export interface Logger {
  trace(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Settings the shells may change while the engine runs; applied to the next request / file. */
export interface StudioSettings {
  /** Hub endpoint (resolveEndpoint already applied). */
  readonly endpoint: string;
  /** Repos (catalog entries) downloading at the same time; the others wait as `queued`. Default 4. */
  readonly maxConcurrentDownloads: number;
  /** Files of one repo downloading at the same time. Default 4. */
  readonly maxConcurrentFiles: number;
  /** Parallel range requests for one large file. Default 8. */
  readonly maxConnectionsPerFile: number;
  readonly verifyChecksums: boolean;
  /** HF_HUB_OFFLINE / mistudio.offline: nothing is fetched; cached revisions still plan and link. Default false. */
  readonly offline: boolean;
  /**
   * What one server may cost (core/net/limits.ts): request deadline, largest JSON answer, longest listing, the
   * transfers' throughput floor. Unset fields keep their defaults, which suit huggingface.co.
   */
  readonly network?: Partial<NetworkLimits>;
}

export interface StudioOptions extends Partial<StudioSettings> {
  /** Catalog file (null: in memory). */
  readonly catalogFile: string | null;
  /** sql.js's sql-wasm.wasm. */
  readonly wasmPath: string;
  /** The Hugging Face hub cache root (resolveCacheRoot already applied). */
  readonly cacheRoot: string;
  /** huggingface_hub's Xet chunk cache (resolveXetCacheRoot), reported beside the hub cache; absent: not reported. */
  readonly xetCacheRoot?: string;
  /** Asked before every Hub request, so a sign-in applies at once. */
  readonly token?: () => Promise<string | undefined> | string | undefined;
  /** For proxies: metadata requests go through this fetch, bytes through this undici dispatcher. */
  readonly fetch?: typeof fetch;
  readonly dispatcher?: import('undici').Dispatcher;
  readonly userAgent?: string;
  readonly logger?: Logger;
  /** Catalog warnings (file moved aside, save failed) the user should see. */
  readonly onWarning?: (message: string) => void;
  /** Free bytes on the disk holding `dir`; default: statfs. Injectable so tests can simulate a full disk. */
  readonly freeSpace?: (dir: string) => Promise<number>;
  /** Transfer tuning (stall watchdog, retry backoff, smallest parallel part); defaults suit real networks. */
  readonly transfer?: TransferTuning;
}

export interface TransferTuning {
  /** No byte for this long → the request is retried from where it stopped. Default 30 s. */
  readonly stallTimeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Parts of one file are never smaller than this. Default 16 MiB. */
  readonly minPartBytes?: number;
  /** Opens partial files; test-only seam so suites can make writes fail (ENOSPC) through the whole stack. */
  readonly openFile?: OpenPartialFile;
}

export interface DownloadRequest {
  readonly kind: RepoKind;
  readonly repoId: string;
  /** Branch, tag or commit; default "main". */
  readonly revision?: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

export interface PlannedFile {
  readonly path: string;
  readonly size: number;
  /** The cache blob name: LFS sha256, else the git blob sha1. */
  readonly blobId: string;
  /** Git blob sha1 (of the LFS pointer for LFS files). */
  readonly gitOid: string;
  readonly lfs: boolean;
  /** The blob is already in the cache (e.g. shared with another revision): nothing to download. */
  readonly cached: boolean;
}

/** What a download would do, shown before it starts (QuickPick confirm, panel plan, CLI). */
export interface DownloadPlan {
  readonly request: DownloadRequest;
  readonly ref: RepoRef;
  readonly revision: string;
  readonly commit: string;
  readonly info: RepoInfo;
  /** Files after include / exclude, sorted by path. */
  readonly files: readonly PlannedFile[];
  /** Every file in the repo at that commit, before include / exclude (for the panel's live pattern preview). */
  readonly allFiles: readonly PlannedFile[];
  readonly totalBytes: number;
  /** Bytes not yet in the cache. */
  readonly bytesToDownload: number;
  /** Free bytes on the disk holding the cache root. */
  readonly freeBytes: number;
  readonly cacheRoot: string;
}

export interface EntryProgress {
  readonly entryId: string;
  readonly progress: ProgressSnapshot;
}

/** Why a download stopped short of `ready`. */
export type StopReason = 'cancelled' | 'paused';

/** Someone else who holds files of a cached revision, so that a delete leaves them in place. */
export interface RevisionHolder {
  /** That holder's catalog file (another VS Code window, the CLI); null for another entry of this catalog. */
  readonly catalog: string | null;
  readonly revision: string;
}

/** What deleting an entry would do, computed from the plan its cleanup runs. */
export interface DeleteEstimate {
  /** Bytes the filesystem gets back: blobs nothing links any more, real-file copies, our partials. */
  readonly freedBytes: number;
  /** Holders of files of the same revision that the entry also has; those files stay. Sorted, no duplicates. */
  readonly heldBy: readonly RevisionHolder[];
}

export interface DeleteResult {
  /** Bytes the background cleanup is expected to free (what no other revision, holder or tool still uses). */
  readonly freedBytesEstimate: number;
  /** Who keeps files of the revision in place (see DeleteEstimate). */
  readonly heldBy: readonly RevisionHolder[];
  readonly cleanupJobId: string;
}

/** What a cache action acts on: one revision of a cached repo, or (no revision) every revision of it. */
export interface CacheTarget {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  /** A commit, or a ref the cache knows (main, v1.0, refs/pr/1) naming one. */
  readonly revision?: string;
}

/** One cached revision a delete or prune would remove. */
export interface CacheRevisionEstimate {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly commit: string;
  readonly refs: readonly string[];
  /** Bytes the filesystem gets back. */
  readonly freedBytes: number;
  /** Other catalogs whose entries keep files of it in place. */
  readonly heldBy: readonly RevisionHolder[];
  /** This catalog's entries on it; they leave the catalog with it. */
  readonly entries: readonly { readonly entryId: string; readonly revision: string }[];
}

export interface CacheDeleteEstimate {
  readonly revisions: readonly CacheRevisionEstimate[];
  readonly freedBytes: number;
}

/** How one revision's delete ended: what it freed and kept, or why it failed. Never "freed" when it did not. */
export interface CacheRevisionOutcome {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly commit: string;
  readonly freedBytes: number;
  /** Files that stayed: held by other catalogs. */
  readonly pathsKept: number;
  /** What was left alone and why. */
  readonly skipped: readonly string[];
  /** Set when the delete failed; its job stays persisted and runs again at the next start. */
  readonly error?: string;
}

export interface PartialOutcome {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly path: string;
  readonly size: number;
  /** removed; or kept because a download is writing it right now (its blob lock is held). */
  readonly removed: boolean;
}

export interface CacheActionResult {
  readonly freedBytes: number;
  readonly revisions: readonly CacheRevisionOutcome[];
  readonly partials: readonly PartialOutcome[];
  /** Stopped by its signal: what had not started was left alone. */
  readonly cancelled: boolean;
}

export interface CacheActionProgress {
  readonly done: number;
  readonly total: number;
  readonly freedBytes: number;
  /** What is being worked on, e.g. "org/name@1a2b3c4d". */
  readonly current?: string;
}

export interface CacheActionOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CacheActionProgress) => void;
}

/** What `prune` removes: detached revisions no catalog holds, and partial downloads nobody can resume. */
export interface PrunePlan {
  readonly revisions: readonly CacheRevisionEstimate[];
  readonly partials: readonly { readonly kind: CacheRepoKind; readonly repoId: string; readonly path: string; readonly size: number }[];
  readonly freedBytes: number;
}

export interface VerifyProblem {
  readonly path: string;
  readonly blobId: string;
  /** missing: the link leads nowhere; size or content: the blob is not what its name or listing says. */
  readonly problem: 'missing' | 'size' | 'content';
}

export interface VerifyReport {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly commit: string;
  readonly files: number;
  /** Bytes read and hashed (each distinct blob once). */
  readonly bytes: number;
  readonly bad: readonly VerifyProblem[];
  /** Files whose expected hash is unknown (a copied file with no listing to name it); not counted as bad. */
  readonly unverifiable: readonly string[];
}

export interface VerifyOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly bytesDone: number; readonly bytesTotal: number }) => void;
}

export interface StudioApi {
  readonly catalog: Catalog;
  readonly cacheRoot: string;
  /** Catalog rows added, updated, removed (status changes included). */
  readonly onDidChangeEntry: Event<CatalogChange>;
  /** Live progress of downloading entries, throttled to ~10/s per entry. */
  readonly onDidProgress: Event<EntryProgress>;
  /** Background cleanup started / finished (for window progress). */
  readonly onDidChangeCleanup: Event<{ readonly running: number }>;

  updateSettings(settings: Partial<StudioSettings>): void;

  plan(request: DownloadRequest, signal?: AbortSignal): Promise<DownloadPlan>;
  /** Adds (or re-queues) the catalog entry and starts the download in the background. */
  enqueue(request: DownloadRequest | DownloadPlan): Promise<CatalogEntry>;
  /**
   * Adds a revision the cache already holds (another tool downloaded it) to the catalog without a request: planned,
   * checked and linked from the cache, metadata read from its files. Resolves with the settled entry (ready, or error
   * if a file is damaged); refuses a revision the cache does not hold before any entry is made.
   */
  adopt(request: DownloadRequest): Promise<CatalogEntry>;
  /** Resolves when the entry stops: ready, error, cancelled or paused (never rejects for those). */
  whenSettled(entryId: string): Promise<CatalogEntry>;
  /** Stops the transfer, removes partial files, marks the entry `cancelled`. */
  cancel(entryId: string): Promise<void>;
  /** Stops the transfer, keeps partial files for resume, marks the entry `paused`. */
  pause(entryId: string): Promise<void>;
  /** Resume a paused / cancelled / error / missing entry (Retry and Re-download too). */
  resume(entryId: string): Promise<CatalogEntry>;
  /** Removes the entry from the catalog at once and persists a background cleanup job. */
  delete(entryId: string): Promise<DeleteResult>;
  /** What deleting would free, and who keeps files of it in place, for a confirmation dialog. */
  estimateDelete(entryId: string): Promise<DeleteEstimate>;
  progressOf(entryId: string): ProgressSnapshot | undefined;
  files(entryId: string): EntryFile[];

  searchHub(kind: RepoKind, query: string, options?: SearchOptions, signal?: AbortSignal): Promise<HubSearchResult[]>;
  whoAmI(signal?: AbortSignal): Promise<HubUser>;
  scanCache(signal?: AbortSignal): Promise<CacheScan>;
  /**
   * Every repo of the cache, whoever put it there, with who holds each revision (this catalog's entries, other
   * catalogs, nobody) and whose each partial download is; repos arrive through `onRepo` as they are read.
   */
  inventory(options?: InventoryOptions): Promise<CacheInventory>;
  /** What deleting these from disk would free, and who keeps files of them in place. */
  estimateCacheDelete(targets: readonly CacheTarget[]): Promise<CacheDeleteEstimate>;
  /**
   * Deletes cached revisions from disk, whoever put them there (each a persisted cleanup job, one after another):
   * this catalog's entries on them leave the catalog, files other catalogs hold stay, and the result says what each
   * freed, kept or failed to do.
   */
  deleteFromCache(targets: readonly CacheTarget[], options?: CacheActionOptions): Promise<CacheActionResult>;
  /** Detached revisions no catalog holds, and partials nobody can resume; `prune` removes exactly these. */
  planPrune(signal?: AbortSignal): Promise<PrunePlan>;
  prune(options?: CacheActionOptions): Promise<CacheActionResult>;
  /** Re-hashes every blob of a cached revision (sha256 / git sha1) against its name and tree listing. */
  verifyRevision(target: Required<CacheTarget>, options?: VerifyOptions): Promise<VerifyReport>;
  /**
   * Removes the bad blobs a verify found and fetches them again through a download entry (this catalog's entry on the
   * revision, else a new one for exactly those files). Resolves with the entry, queued.
   */
  repairRevision(report: VerifyReport): Promise<CatalogEntry>;

  /**
   * At start: downloads that were in flight become `paused` (or resume when `resumeInFlight`), pending cleanup jobs
   * run, ready entries whose files vanished become `missing`.
   */
  reconcile(options?: { resumeInFlight?: boolean }): Promise<void>;
  /** Resolves when no download or cleanup is running or queued. */
  whenIdle(): Promise<void>;
  /**
   * Stops transfers, keeping partials and resume state; their entries stay marked in flight, so the next `reconcile()`
   * shows them paused (or resumes them). Then flushes and closes the catalog.
   */
  close(): Promise<void>;
}
