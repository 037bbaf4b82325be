import { promises as fs } from 'node:fs';
import { BlobLocks, finishInterruptedDeletes, HfCache, Holders, readCachedSnapshot, scanCache, type CacheScan } from './cache';
import { echo } from './echo';
import { readCacheInventory, type CacheInventory, type InventoryOptions } from './cacheInventory';
import { openCatalog, type Catalog, type CatalogChange, type CatalogEntry, type EntryFile } from './catalog';
import { describeError, MistudioError } from './errors';
import { HubClient, type HubSearchResult, type HubUser, type SearchOptions } from './hub';
import { CacheActions } from './jobs/cacheActions';
import { CleanupQueue } from './jobs/cleanupQueue';
import { verifyRevision } from './jobs/verifyRevision';
import type { DownloadJobDeps } from './jobs/downloadJob';
import { DownloadQueue } from './jobs/downloadQueue';
import { normaliseRequest, planDownload } from './jobs/plan';
import { PlanMemo } from './jobs/planMemo';
import { OwnerLease } from './locking/ownerLease';
import type { ProgressSnapshot } from './progress';
import { isCommitSha, validateRepoId, type RepoKind, type RepoRef } from './repo';
import type {
  CacheActionOptions,
  CacheActionResult,
  CacheDeleteEstimate,
  CacheTarget,
  DeleteEstimate,
  DeleteResult,
  DownloadPlan,
  DownloadRequest,
  Logger,
  StudioApi,
  StudioOptions,
  StudioSettings,
  PrunePlan,
  VerifyOptions,
  VerifyReport,
} from './studioTypes';
import { downloadFile } from './transfer';

export const DEFAULT_SETTINGS: Omit<StudioSettings, 'endpoint'> = {
  maxConcurrentDownloads: 4,
  maxConcurrentFiles: 4,
  maxConnectionsPerFile: 8,
  verifyChecksums: true,
  offline: false,
};

const SILENT: Logger = { trace: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export async function openStudio(options: StudioOptions): Promise<StudioApi> {
  const catalog = await openCatalog({
    file: options.catalogFile,
    wasmPath: options.wasmPath,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  return new Studio(catalog, options);
}

/**
 * The engine behind every shell, composed of: the catalog of intent (sql.js, shared by many processes), the
 * Hugging Face cache as the truth of bytes, the download queue (jobs/downloadQueue.ts) and the queue of persisted
 * cleanup jobs (jobs/cleanupQueue.ts), tied to this process by its owner lease.
 */
class Studio implements StudioApi {
  readonly cacheRoot: string;
  private readonly cache: HfCache;
  private settings: StudioSettings;
  private readonly logger: Logger;
  private readonly blobLocks: BlobLocks;
  /** This catalog's holder records in the shared cache, and everyone else's (cache/holders.ts). */
  private readonly holders: Holders;
  /** This process's claim on the downloads it runs, visible to every other process sharing the catalog. */
  private readonly lease: OwnerLease;
  private readonly downloads: DownloadQueue;
  private readonly cleanups: CleanupQueue;
  private readonly cacheActions: CacheActions;
  /** Plans made lately, for the downloads they confirm (one repo-info and one listing per download). */
  private readonly plans = new PlanMemo();
  private closed = false;

  readonly onDidChangeEntry;
  readonly onDidProgress;
  readonly onDidChangeCleanup;

  constructor(
    readonly catalog: Catalog,
    private readonly options: StudioOptions,
  ) {
    this.cacheRoot = options.cacheRoot;
    this.cache = new HfCache(options.cacheRoot);
    this.blobLocks = new BlobLocks(this.cache);
    this.holders = new Holders(this.cache, options.catalogFile);
    this.logger = options.logger ?? SILENT;
    this.settings = {
      endpoint: options.endpoint ?? 'https://huggingface.co',
      maxConcurrentDownloads: options.maxConcurrentDownloads ?? DEFAULT_SETTINGS.maxConcurrentDownloads,
      maxConcurrentFiles: options.maxConcurrentFiles ?? DEFAULT_SETTINGS.maxConcurrentFiles,
      maxConnectionsPerFile: options.maxConnectionsPerFile ?? DEFAULT_SETTINGS.maxConnectionsPerFile,
      verifyChecksums: options.verifyChecksums ?? DEFAULT_SETTINGS.verifyChecksums,
      offline: options.offline ?? DEFAULT_SETTINGS.offline,
      ...(options.network ? { network: options.network } : {}),
    };
    this.lease = new OwnerLease(catalog.file);
    this.downloads = new DownloadQueue({
      catalog,
      cache: this.cache,
      blobLocks: this.blobLocks,
      lease: this.lease,
      logger: this.logger,
      maxConcurrentDownloads: this.settings.maxConcurrentDownloads,
      jobDeps: (options) => this.downloadJobDeps(options),
    });
    this.cleanups = new CleanupQueue({ catalog, cache: this.cache, holders: this.holders, locks: this.blobLocks, lease: this.lease, logger: this.logger });
    this.cacheActions = new CacheActions({
      cache: this.cache,
      catalog,
      cleanups: this.cleanups,
      blobLocks: this.blobLocks,
      stopDownload: (entryId) => this.downloads.stopForDelete(entryId),
      inventory: (signal) => this.inventory(signal ? { signal } : {}),
      resume: (entryId) => this.resume(entryId),
      enqueue: (request) => this.enqueue(request),
    });
    this.onDidChangeEntry = catalog.onDidChange as StudioApi['onDidChangeEntry'];
    this.onDidProgress = this.downloads.onDidProgress;
    this.onDidChangeCleanup = this.cleanups.onDidChange;
  }

  updateSettings(settings: Partial<StudioSettings>): void {
    this.settings = { ...this.settings, ...settings };
    this.downloads.setLimit(this.settings.maxConcurrentDownloads);
  }

  // ── Hub ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private async hub(options: { readonly offline?: boolean } = {}): Promise<{ hub: HubClient; token: string | undefined }> {
    const token = (await this.options.token?.()) || undefined;
    const hub = new HubClient({
      endpoint: this.settings.endpoint,
      offline: this.settings.offline || options.offline === true,
      ...(this.settings.network ? { limits: this.settings.network } : {}),
      ...(token ? { token } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
    });
    return { hub, token };
  }

  async plan(request: DownloadRequest, signal?: AbortSignal): Promise<DownloadPlan> {
    const { hub } = await this.hub();
    const plan = await planDownload(hub, this.cache, request, signal, this.options.freeSpace);
    if (!hub.offline) this.plans.remember(plan);
    return plan;
  }

  async searchHub(kind: RepoKind, query: string, options?: SearchOptions, signal?: AbortSignal): Promise<HubSearchResult[]> {
    const { hub } = await this.hub();
    return hub.searchRepos(kind, query, options, signal);
  }

  async whoAmI(signal?: AbortSignal): Promise<HubUser> {
    const { hub } = await this.hub();
    return hub.whoAmI(signal);
  }

  scanCache(signal?: AbortSignal): Promise<CacheScan> {
    return scanCache(this.cacheRoot, signal);
  }

  inventory(options: InventoryOptions = {}): Promise<CacheInventory> {
    return readCacheInventory({ cache: this.cache, catalog: this.catalog, holders: this.holders, xetRoot: this.options.xetCacheRoot ?? null }, options);
  }

  // ── The cache as a whole ─────────────────────────────────────────────────────────────────────────────────────

  estimateCacheDelete(targets: readonly CacheTarget[]): Promise<CacheDeleteEstimate> {
    return this.cacheActions.estimateDelete(targets);
  }

  deleteFromCache(targets: readonly CacheTarget[], options?: CacheActionOptions): Promise<CacheActionResult> {
    this.assertOpen();
    return this.cacheActions.deleteFromCache(targets, options);
  }

  planPrune(signal?: AbortSignal): Promise<PrunePlan> {
    return this.cacheActions.planPrune(signal);
  }

  prune(options?: CacheActionOptions): Promise<CacheActionResult> {
    this.assertOpen();
    return this.cacheActions.prune(options);
  }

  async verifyRevision(target: Required<CacheTarget>, options?: VerifyOptions): Promise<VerifyReport> {
    const ref = { kind: target.kind, repoId: validateRepoId(target.repoId) };
    return verifyRevision(this.cache, ref, await this.cacheActions.resolveRevision(ref, target.revision), options);
  }

  repairRevision(report: VerifyReport): Promise<CatalogEntry> {
    this.assertOpen();
    return this.cacheActions.repair(report);
  }

  // ── Downloads ────────────────────────────────────────────────────────────────────────────────────────────────

  /** What one download needs; built as it starts, so the current settings and token apply. */
  private async downloadJobDeps(options: { readonly offline: boolean }): Promise<Omit<DownloadJobDeps, 'onTracker'>> {
    const { hub, token } = await this.hub(options);
    const { dispatcher, userAgent, freeSpace, transfer } = this.options;
    return {
      catalog: this.catalog,
      cache: this.cache,
      hub,
      token,
      settings: this.settings,
      logger: this.logger,
      downloadFile,
      ...(dispatcher ? { dispatcher } : {}),
      ...(userAgent ? { userAgent } : {}),
      ...(freeSpace ? { freeSpace } : {}),
      ...(transfer ? { transfer } : {}),
      withBlobLock: this.blobLocks.run,
      holdFiles: this.holdFiles,
      plannedListing: (ref, revision) => this.plans.take(ref, revision),
      fromCache: options.offline,
    };
  }

  /**
   * A record naming a catalog file that is not on disk yet reads as stale to every other catalog, so a brand-new
   * catalog is saved before its first record.
   */
  private readonly holdFiles = async (ref: RepoRef, commit: string, entry: { readonly revision: string; readonly paths: readonly string[] }): Promise<void> => {
    const file = this.holders.catalogFile;
    if (file !== null && (await fs.stat(file).catch(() => undefined)) === undefined) await this.catalog.flush();
    await this.holders.hold(ref, commit, entry);
  };

  async enqueue(input: DownloadRequest | DownloadPlan): Promise<CatalogEntry> {
    this.assertOpen();
    return this.downloads.enqueue('request' in input ? input.request : input);
  }

  async adopt(request: DownloadRequest): Promise<CatalogEntry> {
    this.assertOpen();
    const { kind, repoId, revision } = normaliseRequest(request);
    // Refused before an entry exists: adopting what is not there must leave the catalog as it was.
    const cached = await readCachedSnapshot(this.cache, { kind, repoId }, revision);
    if (!cached || cached.files.length === 0) {
      throw new MistudioError('InvalidInput', `${repoId}@${echo(revision)} is not in the cache at ${this.cacheRoot}: nothing to add`, { repoId });
    }
    const entry = this.downloads.enqueue({ kind, repoId, revision }, { fromCache: true });
    return this.downloads.whenSettled(entry.id);
  }

  async resume(entryId: string): Promise<CatalogEntry> {
    this.assertOpen();
    return this.downloads.resume(this.requireEntry(entryId));
  }

  async cancel(entryId: string): Promise<void> {
    return this.downloads.cancel(this.requireEntry(entryId));
  }

  async pause(entryId: string): Promise<void> {
    return this.downloads.pause(this.requireEntry(entryId));
  }

  whenSettled(entryId: string): Promise<CatalogEntry> {
    return this.downloads.whenSettled(entryId);
  }

  progressOf(entryId: string): ProgressSnapshot | undefined {
    return this.downloads.progressOf(entryId);
  }

  files(entryId: string): EntryFile[] {
    return this.catalog.getFiles(entryId);
  }

  // ── Delete and cleanup ───────────────────────────────────────────────────────────────────────────────────────

  async estimateDelete(entryId: string): Promise<DeleteEstimate> {
    return this.cleanups.estimate(this.requireEntry(entryId));
  }

  async delete(entryId: string): Promise<DeleteResult> {
    this.requireEntry(entryId);
    await this.downloads.stopForDelete(entryId);
    const estimate = await this.estimateDelete(entryId).catch((): DeleteEstimate => ({ freedBytes: 0, heldBy: [] }));
    // Re-read: the download may have changed the entry's files until it stopped.
    const cleanup = await this.cleanups.deleteEntry(this.requireEntry(entryId));
    // Runs in the background; its failure is logged and kept on the job row for the next start.
    cleanup.done.catch(() => undefined);
    return { freedBytesEstimate: estimate.freedBytes, heldBy: estimate.heldBy, cleanupJobId: cleanup.jobId };
  }

  // ── Start, idle, close ───────────────────────────────────────────────────────────────────────────────────────

  async reconcile(options: { resumeInFlight?: boolean } = {}): Promise<void> {
    await this.downloads.adoptOrphans(options.resumeInFlight ?? false);
    await this.cleanups.resumeInterrupted();
    await finishInterruptedDeletes(this.cache).catch((err: unknown) => this.logger.warn(`Finishing interrupted deletes: ${describeError(err)}`));
    // Entries whose files vanished from the cache (deleted by hand, `hf cache rm`, another machine's cleanup).
    for (const entry of this.catalog.listEntries({ statuses: ['ready'] })) {
      if (!entry.commit || !isCommitSha(entry.commit)) continue;
      const files = this.catalog.getFiles(entry.id).map((f) => ({ path: f.path, blobId: f.blobId, size: f.size }));
      const complete = await this.cache.snapshotIsComplete({ kind: entry.kind, repoId: entry.repoId }, entry.commit, files).catch(() => false);
      if (!complete) {
        this.logger.warn(`${entry.repoId}@${entry.revision}: files are missing from ${this.cacheRoot}`);
        this.catalog.updateEntry(entry.id, { status: 'missing' });
      }
    }
  }

  async whenIdle(): Promise<void> {
    // A finished download may queue nothing, but a cleanup may follow a delete issued meanwhile, and vice versa.
    while (!this.downloads.idle || !this.cleanups.idle) {
      await this.downloads.whenIdle();
      await this.cleanups.whenIdle();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.downloads.close();
    await this.cleanups.close();
    try {
      await this.catalog.close();
    } finally {
      // Only now: until the catalog is flushed, our in-flight entries must not look orphaned to others.
      this.lease.dispose();
    }
  }

  private requireEntry(entryId: string): CatalogEntry {
    const entry = this.catalog.getEntry(entryId);
    if (!entry) throw new MistudioError('InvalidInput', `No catalog entry with id ${entryId}`);
    return entry;
  }

  private assertOpen(): void {
    if (this.closed) throw new MistudioError('Io', 'MechInterp Studio is shutting down');
  }
}

export type { CatalogChange };
