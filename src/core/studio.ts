import { promises as fs } from 'node:fs';
import { BlobLocks, finishInterruptedDeletes, HfCache, Holders, scanCache, type CacheScan } from './cache';
import { openCatalog, type Catalog, type CatalogChange, type CatalogEntry, type EntryFile } from './catalog';
import { describeError, isCancellation, isMistudioError, MistudioError } from './errors';
import { Emitter } from './events';
import { HubClient, type HubSearchResult, type HubUser, type SearchOptions } from './hub';
import { cleanupPayload, estimateCleanup, parseCleanupPayload, payloadOf, runCleanup, type CleanupDeps } from './jobs/cleanupJob';
import { runDownload } from './jobs/downloadJob';
import { Limiter } from './jobs/limiter';
import { normaliseRequest, planDownload } from './jobs/plan';
import type { ProgressSnapshot, ProgressTracker } from './progress';
import { isCommitSha, type RepoKind, type RepoRef } from './repo';
import type {
  DeleteEstimate,
  DeleteResult,
  DownloadPlan,
  DownloadRequest,
  EntryProgress,
  Logger,
  StudioApi,
  StudioOptions,
  StudioSettings,
} from './studioTypes';
import { downloadFile } from './transfer';
import { OwnerLease } from './locking/ownerLease';

export const DEFAULT_SETTINGS: Omit<StudioSettings, 'endpoint'> = {
  maxConcurrentDownloads: 4,
  maxConcurrentFiles: 4,
  maxConnectionsPerFile: 8,
  verifyChecksums: true,
  offline: false,
};

const SILENT: Logger = { trace: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** How often entries in flight in other processes are checked for an owner that died. */
const OWNER_CHECK_MS = 2000;
/** How long a pause or cancel asked of another process waits for that process to stop. */
const REMOTE_STOP_TIMEOUT_MS = 15_000;

/** Why a running download was stopped from outside; decides what its entry becomes. */
type StopIntent = 'cancel' | 'pause' | 'delete' | 'shutdown';

interface ActiveDownload {
  readonly controller: AbortController;
  intent?: StopIntent;
  tracker?: ProgressTracker;
  readonly done: Promise<void>;
}

export async function openStudio(options: StudioOptions): Promise<StudioApi> {
  const catalog = await openCatalog({
    file: options.catalogFile,
    wasmPath: options.wasmPath,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  return new Studio(catalog, options);
}

/**
 * The engine behind every shell: a catalog of intent (sql.js), the Hugging Face cache as the truth of bytes, a queue
 * of downloads (at most `maxConcurrentDownloads` repos at once) and a serial queue of persisted cleanup jobs.
 */
class Studio implements StudioApi {
  readonly cacheRoot: string;
  private readonly cache: HfCache;
  private settings: StudioSettings;
  private readonly logger: Logger;
  private readonly limiter: Limiter;
  private readonly active = new Map<string, ActiveDownload>();
  private readonly blobLocks: BlobLocks;
  /** This catalog's holder records in the shared cache, and everyone else's (cache/holders.ts). */
  private readonly holders: Holders;
  private readonly cleanupDeps: CleanupDeps;
  private readonly progressEmitter = new Emitter<EntryProgress>();
  private readonly cleanupEmitter = new Emitter<{ readonly running: number }>();
  private cleanupChain: Promise<void> = Promise.resolve();
  private cleanupsRunning = 0;
  private closed = false;
  /** This process's claim on the downloads it runs, visible to every other process sharing the catalog. */
  private readonly lease: OwnerLease;
  private readonly remoteChanges: { dispose(): void };
  private ownerWatch: NodeJS.Timeout | undefined;
  /** What reconcile was asked to do with downloads whose process is gone; the owner watch does the same later. */
  private resumeOrphans = false;
  /** Entries someone waits on with whenSettled: taken over when orphaned, whatever resumeOrphans says. */
  private readonly awaited = new Map<string, number>();

  readonly onDidChangeEntry;
  readonly onDidProgress = this.progressEmitter.event;
  readonly onDidChangeCleanup = this.cleanupEmitter.event;

  constructor(
    readonly catalog: Catalog,
    private readonly options: StudioOptions,
  ) {
    this.cacheRoot = options.cacheRoot;
    this.cache = new HfCache(options.cacheRoot);
    this.blobLocks = new BlobLocks(this.cache);
    this.holders = new Holders(this.cache, options.catalogFile);
    this.cleanupDeps = { catalog, cache: this.cache, holders: this.holders, locks: this.blobLocks };
    this.logger = options.logger ?? SILENT;
    this.settings = {
      endpoint: options.endpoint ?? 'https://huggingface.co',
      maxConcurrentDownloads: options.maxConcurrentDownloads ?? DEFAULT_SETTINGS.maxConcurrentDownloads,
      maxConcurrentFiles: options.maxConcurrentFiles ?? DEFAULT_SETTINGS.maxConcurrentFiles,
      maxConnectionsPerFile: options.maxConnectionsPerFile ?? DEFAULT_SETTINGS.maxConnectionsPerFile,
      verifyChecksums: options.verifyChecksums ?? DEFAULT_SETTINGS.verifyChecksums,
      offline: options.offline ?? DEFAULT_SETTINGS.offline,
    };
    this.limiter = new Limiter(this.settings.maxConcurrentDownloads);
    this.onDidChangeEntry = catalog.onDidChange as StudioApi['onDidChangeEntry'];
    this.lease = new OwnerLease(catalog.file);
    this.remoteChanges = catalog.onDidChange((change) => {
      if (change.remote) this.onRemoteChange(change);
    });
  }

  /** The owner id this process writes into the entries it downloads. */
  get ownerId(): string {
    return this.lease.id;
  }

  /** Another process changed an entry we may be downloading: it was deleted, or its owner was asked to stop. */
  private onRemoteChange(change: CatalogChange): void {
    const active = this.active.get(change.entryId);
    if (!active || active.intent) return;
    if (change.kind === 'entry-removed') {
      void this.stopActive(change.entryId, 'delete');
      return;
    }
    const entry = this.catalog.getEntry(change.entryId);
    if (entry?.stopRequest) {
      const intent = entry.stopRequest;
      void this.stopActive(change.entryId, intent).then(() => {
        if (this.catalog.getEntry(change.entryId)?.stopRequest) this.catalog.updateEntry(change.entryId, { stopRequest: null });
      });
    }
  }

  /** An entry in flight in another process that is still running. */
  private ownedElsewhere(entry: CatalogEntry): boolean {
    return (
      (entry.status === 'queued' || entry.status === 'downloading') &&
      entry.owner !== null &&
      entry.owner !== this.lease.id &&
      !this.active.has(entry.id) &&
      this.lease.isAlive(entry.owner)
    );
  }

  /** Asks the owning process to pause or cancel, and waits (bounded) until the entry has settled. */
  private async stopElsewhere(entryId: string, request: 'pause' | 'cancel'): Promise<void> {
    this.catalog.updateEntry(entryId, { stopRequest: request });
    await this.catalog.flush();
    const started = Date.now();
    for (;;) {
      const entry = this.catalog.getEntry(entryId);
      if (!entry || !this.ownedElsewhere(entry)) return;
      if (Date.now() - started > REMOTE_STOP_TIMEOUT_MS) {
        throw new MistudioError('Io', `The process downloading ${entry.repoId} did not stop within ${REMOTE_STOP_TIMEOUT_MS / 1000} s; try again`);
      }
      await new Promise((r) => setTimeout(r, 50));
      await this.catalog.refresh();
    }
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

  updateSettings(settings: Partial<StudioSettings>): void {
    this.settings = { ...this.settings, ...settings };
    this.limiter.setLimit(this.settings.maxConcurrentDownloads);
  }

  // ── Hub ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private async hub(): Promise<{ hub: HubClient; token: string | undefined }> {
    const token = (await this.options.token?.()) || undefined;
    const hub = new HubClient({
      endpoint: this.settings.endpoint,
      offline: this.settings.offline,
      ...(token ? { token } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
    });
    return { hub, token };
  }

  async plan(request: DownloadRequest, signal?: AbortSignal): Promise<DownloadPlan> {
    const { hub } = await this.hub();
    return planDownload(hub, this.cache, request, signal, this.options.freeSpace);
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

  // ── Downloads ────────────────────────────────────────────────────────────────────────────────────────────────

  async enqueue(input: DownloadRequest | DownloadPlan): Promise<CatalogEntry> {
    this.assertOpen();
    const request = normaliseRequest('request' in input ? input.request : input);
    const include = [...(request.include ?? [])];
    const exclude = [...(request.exclude ?? [])];
    const existing = this.catalog.findEntry(request.kind, request.repoId, request.revision);
    if (existing && (this.runningDownload(existing.id) || this.ownedElsewhere(existing))) return existing;
    const entry = existing
      ? this.catalog.updateEntry(existing.id, { status: 'queued', includePatterns: include, excludePatterns: exclude, errorCode: null, errorMessage: null })
      : this.catalog.addEntry({
          kind: request.kind,
          repoId: request.repoId,
          revision: request.revision,
          displayName: request.repoId,
          status: 'queued',
          includePatterns: include,
          excludePatterns: exclude,
        });
    this.schedule(entry.id);
    return entry;
  }

  async resume(entryId: string): Promise<CatalogEntry> {
    this.assertOpen();
    const entry = this.requireEntry(entryId);
    if (this.runningDownload(entryId) || this.ownedElsewhere(entry)) return entry;
    const queued = this.catalog.updateEntry(entryId, { status: 'queued', errorCode: null, errorMessage: null });
    this.schedule(entryId);
    return queued;
  }

  async cancel(entryId: string): Promise<void> {
    const entry = this.requireEntry(entryId);
    if (await this.stopActive(entryId, 'cancel')) return;
    if (this.ownedElsewhere(entry)) return this.stopElsewhere(entryId, 'cancel');
    if (entry.status === 'ready') return;
    await this.discardPartials(entry);
  }

  async pause(entryId: string): Promise<void> {
    const entry = this.requireEntry(entryId);
    if (await this.stopActive(entryId, 'pause')) return;
    if (this.ownedElsewhere(entry)) return this.stopElsewhere(entryId, 'pause');
    if (entry.status === 'queued' || entry.status === 'downloading') this.markStopped(entryId, 'paused');
  }

  /**
   * Resolves once the entry's download has stopped. A download another process runs is followed through the
   * catalog; if that process dies, this one takes the download over (whoever waits for it wants it finished).
   */
  async whenSettled(entryId: string): Promise<CatalogEntry> {
    this.awaited.set(entryId, (this.awaited.get(entryId) ?? 0) + 1);
    try {
      for (;;) {
        const active = this.active.get(entryId);
        if (active) {
          await active.done;
          return this.requireEntry(entryId);
        }
        const entry = this.requireEntry(entryId);
        if (entry.status !== 'queued' && entry.status !== 'downloading') return entry;
        if (!this.ownedElsewhere(entry)) {
          this.schedule(entryId);
          continue;
        }
        await this.nextChangeOf(entryId, OWNER_CHECK_MS);
      }
    } finally {
      const left = (this.awaited.get(entryId) ?? 1) - 1;
      if (left > 0) this.awaited.set(entryId, left);
      else this.awaited.delete(entryId);
    }
  }

  /** Resolves on the next change of the entry (from any process), or after `timeoutMs`. */
  private nextChangeOf(entryId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const sub = this.catalog.onDidChange((c) => {
        if (c.entryId === entryId) done();
      });
    });
  }

  progressOf(entryId: string): ProgressSnapshot | undefined {
    return this.active.get(entryId)?.tracker?.snapshot();
  }

  files(entryId: string): EntryFile[] {
    return this.catalog.getFiles(entryId);
  }

  private schedule(entryId: string): void {
    const claimed = this.catalog.getEntry(entryId);
    if (claimed && (claimed.owner !== this.lease.id || claimed.stopRequest)) this.catalog.updateEntry(entryId, { owner: this.lease.id, stopRequest: null });
    const controller = new AbortController();
    const record: { value?: ActiveDownload } = {};
    const done = this.limiter
      .run(() => this.runOne(entryId, record), controller.signal)
      .catch((err: unknown) => {
        // Aborted while still waiting for a slot.
        if (!isCancellation(err) && !(err instanceof Error && err.message === 'aborted')) this.logger.error(describeError(err));
        this.settleStopped(entryId, record.value?.intent);
      })
      .finally(() => {
        if (this.active.get(entryId) === record.value) this.active.delete(entryId);
      });
    record.value = { controller, done };
    this.active.set(entryId, record.value);
  }

  /**
   * The download of an entry that is still queued or moving bytes. Once its entry has settled (error, paused, …) a
   * download is only finishing its bookkeeping, and a Retry or re-enqueue — even one issued from the change event
   * that reported the settle — must start a new one rather than be swallowed by it.
   */
  private runningDownload(entryId: string): ActiveDownload | undefined {
    const active = this.active.get(entryId);
    const status = this.catalog.getEntry(entryId)?.status;
    return active && (status === 'queued' || status === 'downloading') ? active : undefined;
  }

  private async runOne(entryId: string, record: { value?: ActiveDownload }): Promise<void> {
    const active = record.value;
    if (!active || active.controller.signal.aborted) throw new Error('aborted');
    const entry = this.catalog.getEntry(entryId);
    if (!entry) return;
    const job = this.catalog.listJobs({ type: 'download', entryId })[0] ?? this.catalog.addJob({ type: 'download', entryId });
    this.catalog.updateJob(job.id, { state: 'running', attempts: job.attempts + 1 });
    try {
      // Inside the try: a failing token provider is this download's error, not a silent pause.
      const { hub, token } = await this.hub();
      await runDownload(
        {
          catalog: this.catalog,
          cache: this.cache,
          hub,
          token,
          settings: this.settings,
          logger: this.logger,
          downloadFile,
          ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
          ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
          ...(this.options.freeSpace ? { freeSpace: this.options.freeSpace } : {}),
          ...(this.options.transfer ? { transfer: this.options.transfer } : {}),
          withBlobLock: this.blobLocks.run,
          holdFiles: this.holdFiles,
          onTracker: (tracker) => {
            active.tracker = tracker;
            tracker.onUpdate((progress) => this.progressEmitter.fire({ entryId, progress }));
          },
        },
        entryId,
        active.controller.signal,
      );
      this.catalog.transaction(() => {
        this.catalog.removeJob(job.id);
        if (this.catalog.getEntry(entryId)) this.catalog.updateEntry(entryId, { owner: null });
      });
    } catch (err) {
      if (active.intent || isCancellation(err)) {
        this.settleStopped(entryId, active.intent ?? 'pause');
        return;
      }
      const error = isMistudioError(err) ? err : new MistudioError('Io', describeError(err), {}, { cause: err });
      this.logger.error(`${entry.repoId}@${entry.revision}: ${error.message}`);
      if (this.catalog.getEntry(entryId)) {
        this.catalog.transaction(() => {
          this.catalog.updateEntry(entryId, { status: 'error', errorCode: error.code, errorMessage: error.message, owner: null, stopRequest: null });
          this.catalog.updateJob(job.id, { state: 'failed', lastError: error.message });
        });
      }
    } finally {
      active.tracker?.dispose();
    }
  }

  /** What a stopped download's entry becomes, by why it stopped. */
  private settleStopped(entryId: string, intent: StopIntent | undefined): void {
    const entry = this.catalog.getEntry(entryId);
    if (!entry) return;
    switch (intent) {
      case 'cancel':
        // Partials go in the background of cancel(); the entry shows `cancelled` at once.
        this.markStopped(entryId, 'cancelled');
        break;
      case 'shutdown':
        // Left as in flight: the next start shows it paused (or resumes it).
        break;
      case 'delete':
        break;
      default:
        this.markStopped(entryId, 'paused');
    }
  }

  private markStopped(entryId: string, status: 'paused' | 'cancelled'): void {
    if (!this.catalog.getEntry(entryId)) return;
    this.catalog.transaction(() => {
      this.catalog.updateEntry(entryId, { status, owner: null, stopRequest: null });
      for (const job of this.catalog.listJobs({ type: 'download', entryId })) {
        if (status === 'cancelled') this.catalog.removeJob(job.id);
        else this.catalog.updateJob(job.id, { state: 'pending' });
      }
    });
  }

  /** Aborts a running or waiting download and waits until it has stopped; false if none was active. */
  private async stopActive(entryId: string, intent: StopIntent): Promise<boolean> {
    const active = this.active.get(entryId);
    if (!active) return false;
    active.intent = intent;
    active.controller.abort();
    await active.done;
    if (intent === 'cancel') {
      const entry = this.catalog.getEntry(entryId);
      if (entry) await this.discardPartials(entry);
    }
    return true;
  }

  /** Cancel removes what the download left: partial files no other entry needs, and the per-file resume state. */
  private async discardPartials(entry: CatalogEntry): Promise<void> {
    const ref: RepoRef = { kind: entry.kind, repoId: entry.repoId };
    const mine = this.catalog.getFiles(entry.id).filter((f) => f.state !== 'verified').map((f) => f.blobId);
    const needed = this.blobsNeededByOthers(entry);
    // Each under its blob's lock, taken only if free: a partial another process is writing is not ours to remove.
    for (const blobId of new Set(mine.filter((b) => !needed.has(b)))) {
      await this.blobLocks.tryRun(ref, blobId, () => this.cache.removeIncomplete(ref, [blobId]));
    }
    this.catalog.transaction(() => {
      for (const f of this.catalog.getFiles(entry.id)) {
        if (f.state !== 'verified') this.catalog.updateFile(entry.id, f.path, { state: 'pending', bytesDone: 0, doneRanges: [] });
      }
      const verified = this.catalog.getFiles(entry.id).reduce((s, f) => s + (f.state === 'verified' ? f.size : 0), 0);
      this.catalog.updateEntry(entry.id, { status: 'cancelled', bytesDone: verified });
      for (const job of this.catalog.listJobs({ type: 'download', entryId: entry.id })) this.catalog.removeJob(job.id);
    });
  }

  private blobsNeededByOthers(entry: CatalogEntry): Set<string> {
    const needed = new Set<string>();
    for (const other of this.catalog.listEntries({ kind: entry.kind, repoId: entry.repoId })) {
      if (other.id === entry.id || other.status === 'ready' || other.status === 'cancelled') continue;
      for (const f of this.catalog.getFiles(other.id)) needed.add(f.blobId);
    }
    return needed;
  }

  // ── Delete and cleanup ───────────────────────────────────────────────────────────────────────────────────────

  async estimateDelete(entryId: string): Promise<DeleteEstimate> {
    const entry = this.requireEntry(entryId);
    return estimateCleanup(this.cleanupDeps, payloadOf(this.catalog, this.holders, entry), entry.id);
  }

  async delete(entryId: string): Promise<DeleteResult> {
    this.requireEntry(entryId);
    await this.stopActive(entryId, 'delete');
    const estimate = await this.estimateDelete(entryId).catch((): DeleteEstimate => ({ freedBytes: 0, heldBy: [] }));
    const payload = payloadOf(this.catalog, this.holders, this.requireEntry(entryId));
    const job = this.catalog.transaction(() => {
      for (const j of this.catalog.listJobs({ entryId })) this.catalog.removeJob(j.id);
      this.catalog.removeEntry(entryId);
      return this.catalog.addJob({ type: 'cleanup', entryId: null, payload: cleanupPayload(payload) });
    });
    // The catalog row is gone; make that durable before any file is touched.
    await this.catalog.flush();
    this.runCleanupJob(job.id);
    return { freedBytesEstimate: estimate.freedBytes, heldBy: estimate.heldBy, cleanupJobId: job.id };
  }

  private runCleanupJob(jobId: string): void {
    this.cleanupsRunning++;
    this.cleanupEmitter.fire({ running: this.cleanupsRunning });
    this.cleanupChain = this.cleanupChain.then(async () => {
      const job = this.catalog.getJob(jobId);
      if (!job) return;
      try {
        this.catalog.updateJob(jobId, { state: 'running', attempts: job.attempts + 1, owner: this.lease.id });
        const payload = parseCleanupPayload(job);
        const freed = await runCleanup(this.cleanupDeps, payload);
        this.catalog.removeJob(jobId);
        this.logger.info(`Cleaned up ${payload.repoId}@${payload.revision}: ${freed} bytes freed`);
      } catch (err) {
        this.logger.error(`Cleanup job ${jobId}: ${describeError(err)}`);
        if (this.catalog.getJob(jobId)) this.catalog.updateJob(jobId, { state: 'failed', lastError: describeError(err), owner: null });
      } finally {
        this.cleanupsRunning--;
        this.cleanupEmitter.fire({ running: this.cleanupsRunning });
      }
    });
  }

  // ── Start, idle, close ───────────────────────────────────────────────────────────────────────────────────────

  async reconcile(options: { resumeInFlight?: boolean } = {}): Promise<void> {
    this.resumeOrphans = options.resumeInFlight ?? false;
    this.takeOverOrphans();
    this.watchOwners();
    // Cleanup jobs a crash interrupted (failed ones get a few more tries across starts); one another live process
    // runs is left to it.
    for (const job of this.catalog.listJobs({ type: 'cleanup' })) {
      if (job.owner !== null && job.owner !== this.lease.id && this.lease.isAlive(job.owner)) continue;
      if (job.state !== 'failed' || job.attempts < 5) this.runCleanupJob(job.id);
    }
    await this.cleanupChain;
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

  /** Keeps checking, while this process runs, for downloads whose owning process died, and takes them over. */
  private watchOwners(): void {
    if (this.ownerWatch || this.catalog.file === null) return;
    this.ownerWatch = setInterval(() => {
      if (!this.closed) this.takeOverOrphans();
    }, OWNER_CHECK_MS);
    this.ownerWatch.unref();
  }

  /**
   * Downloads in flight whose process is gone (crashed, killed, closed): those that were running go first (they hold
   * partials), then the waiting ones in the order they were asked for; until a slot frees up each shows as
   * `queued`, never as a stale `downloading`. A download another live process runs is left alone: it shows its
   * progress from the catalog.
   */
  private takeOverOrphans(): void {
    const orphans = this.catalog
      .listEntries({ statuses: ['queued', 'downloading'] })
      .filter((e) => !this.active.has(e.id) && !this.ownedElsewhere(e))
      .sort((a, b) => Number(b.status === 'downloading') - Number(a.status === 'downloading') || a.createdAt - b.createdAt);
    for (const entry of orphans) {
      if (!this.resumeOrphans && !this.awaited.has(entry.id)) {
        this.markStopped(entry.id, 'paused');
        continue;
      }
      if (entry.status !== 'queued') this.catalog.updateEntry(entry.id, { status: 'queued' });
      this.schedule(entry.id);
    }
  }

  async whenIdle(): Promise<void> {
    for (;;) {
      const pending = [...this.active.values()].map((a) => a.done);
      await Promise.all(pending);
      await this.cleanupChain;
      if (this.active.size === 0 && this.cleanupsRunning === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownerWatch) clearInterval(this.ownerWatch);
    this.remoteChanges.dispose();
    await Promise.all([...this.active.keys()].map((id) => this.stopActive(id, 'shutdown')));
    await this.cleanupChain;
    this.progressEmitter.dispose();
    this.cleanupEmitter.dispose();
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
