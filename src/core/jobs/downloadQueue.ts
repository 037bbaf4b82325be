import type { BlobLocks, HfCache } from '../cache';
import type { Catalog, CatalogChange, CatalogEntry } from '../catalog';
import { describeError, isCancellation, isMistudioError, MistudioError } from '../errors';
import { Emitter } from '../events';
import type { OwnerLease } from '../locking/ownerLease';
import type { ProgressSnapshot, ProgressTracker } from '../progress';
import type { RepoRef } from '../repo';
import type { DownloadRequest, EntryProgress, Logger } from '../studioTypes';
import { runDownload, type DownloadJobDeps } from './downloadJob';
import { Limiter } from './limiter';
import { normaliseRequest } from './plan';

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

export interface DownloadQueueDeps {
  readonly catalog: Catalog;
  readonly cache: HfCache;
  readonly blobLocks: BlobLocks;
  /** This process's claim on the downloads it runs, visible to every other process sharing the catalog. */
  readonly lease: OwnerLease;
  readonly logger: Logger;
  readonly maxConcurrentDownloads: number;
  /**
   * What one download needs, asked for as it starts (inside its error handling: a failing token provider is that
   * download's error), so settings and a sign-in apply to the next download.
   */
  readonly jobDeps: (options: { readonly offline: boolean }) => Promise<Omit<DownloadJobDeps, 'onTracker'>>;
}

/**
 * The downloads of one catalog: at most `maxConcurrentDownloads` entries at once, each with its persisted job row,
 * and the downloads of other processes sharing the catalog — followed while their owner lives, asked to stop through
 * the catalog, taken over once their owner is gone.
 */
export class DownloadQueue {
  private readonly limiter: Limiter;
  private readonly active = new Map<string, ActiveDownload>();
  private readonly progressEmitter = new Emitter<EntryProgress>();
  private readonly remoteChanges: { dispose(): void };
  private ownerWatch: NodeJS.Timeout | undefined;
  /** The owner check under way, if any: the periodic one and start-up's share it. */
  private ownerCheck: Promise<void> | undefined;
  /** What start-up was asked to do with downloads whose process is gone; the owner watch does the same later. */
  private resumeOrphans = false;
  /** Entries someone waits on with whenSettled: taken over when orphaned, whatever resumeOrphans says. */
  private readonly awaited = new Map<string, number>();
  /** Entries whose next run must not touch the network (adopted from the cache): planned and linked from the cache. */
  private readonly fromCacheOnly = new Set<string>();
  private closed = false;

  readonly onDidProgress = this.progressEmitter.event;

  constructor(private readonly deps: DownloadQueueDeps) {
    this.limiter = new Limiter(deps.maxConcurrentDownloads);
    this.remoteChanges = deps.catalog.onDidChange((change) => {
      if (change.remote) this.onRemoteChange(change);
    });
  }

  private get catalog(): Catalog {
    return this.deps.catalog;
  }

  setLimit(maxConcurrentDownloads: number): void {
    this.limiter.setLimit(maxConcurrentDownloads);
  }

  /**
   * Adds (or re-queues) the request's entry and schedules it, unless it is already downloading here or elsewhere.
   * `fromCache`: its next run plans and links what the cache holds, with no request (adopting another tool's files).
   */
  enqueue(input: DownloadRequest, options: { readonly fromCache?: boolean } = {}): CatalogEntry {
    const request = normaliseRequest(input);
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
    if (options.fromCache) this.fromCacheOnly.add(entry.id);
    this.schedule(entry.id);
    return entry;
  }

  resume(entry: CatalogEntry): CatalogEntry {
    if (this.runningDownload(entry.id) || this.ownedElsewhere(entry)) return entry;
    const queued = this.catalog.updateEntry(entry.id, { status: 'queued', errorCode: null, errorMessage: null });
    this.schedule(entry.id);
    return queued;
  }

  async cancel(entry: CatalogEntry): Promise<void> {
    if (await this.stopActive(entry.id, 'cancel')) return;
    if (this.ownedElsewhere(entry)) return this.stopElsewhere(entry.id, 'cancel');
    if (entry.status === 'ready') return;
    await this.discardPartials(entry);
  }

  async pause(entry: CatalogEntry): Promise<void> {
    if (await this.stopActive(entry.id, 'pause')) return;
    if (this.ownedElsewhere(entry)) return this.stopElsewhere(entry.id, 'pause');
    if (entry.status === 'queued' || entry.status === 'downloading') this.markStopped(entry.id, 'paused');
  }

  /** Stops this process's download of an entry that is being deleted; its partials are the cleanup's. */
  async stopForDelete(entryId: string): Promise<void> {
    await this.stopActive(entryId, 'delete');
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
        if (!isInFlight(entry)) return entry;
        if (this.ownedElsewhere(entry)) {
          await this.nextChangeOf(entryId, OWNER_CHECK_MS);
          continue;
        }
        // No live process downloads it. Its owner may have finished it just before leaving, which our view may not
        // show yet (see checkOwners): read the log before downloading it again. A log we cannot read now leaves the
        // decision to what we have, as before.
        await this.catalog.refresh().catch(() => undefined);
        const latest = this.requireEntry(entryId);
        if (!this.active.has(entryId) && isInFlight(latest) && !this.ownedElsewhere(latest)) this.schedule(entryId);
      }
    } finally {
      const left = (this.awaited.get(entryId) ?? 1) - 1;
      if (left > 0) this.awaited.set(entryId, left);
      else this.awaited.delete(entryId);
    }
  }

  progressOf(entryId: string): ProgressSnapshot | undefined {
    return this.active.get(entryId)?.tracker?.snapshot();
  }

  /**
   * At start: downloads whose process is gone are resumed (`resumeInFlight`) or shown paused, and from then on the
   * queue keeps watching for owners that die.
   */
  async adoptOrphans(resumeInFlight: boolean): Promise<void> {
    this.resumeOrphans = resumeInFlight;
    const adopted = this.takeOverOrphans();
    this.watchOwners();
    await adopted;
  }

  get idle(): boolean {
    return this.active.size === 0;
  }

  /** Resolves once every download running or waiting for a slot now has stopped. */
  async whenIdle(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Stops every download, keeping partials and resume state; their entries stay in flight for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownerWatch) clearInterval(this.ownerWatch);
    this.remoteChanges.dispose();
    await Promise.all([...this.active.keys()].map((id) => this.stopActive(id, 'shutdown')));
    this.progressEmitter.dispose();
  }

  // ── Other processes ──────────────────────────────────────────────────────────────────────────────────────────

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
    const { lease } = this.deps;
    return (
      (entry.status === 'queued' || entry.status === 'downloading') &&
      entry.owner !== null &&
      entry.owner !== lease.id &&
      !this.active.has(entry.id) &&
      lease.isAlive(entry.owner)
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

  /** Keeps checking, while this process runs, for downloads whose owning process died, and takes them over. */
  private watchOwners(): void {
    if (this.ownerWatch || this.catalog.file === null) return;
    this.ownerWatch = setInterval(() => {
      if (!this.closed) this.takeOverOrphans().catch((err: unknown) => this.deps.logger.error(`Taking over downloads whose process is gone: ${describeError(err)}`));
    }, OWNER_CHECK_MS);
    this.ownerWatch.unref();
  }

  /**
   * Downloads in flight whose process is gone (crashed, killed, closed): those that were running go first (they hold
   * partials), then the waiting ones in the order they were asked for; until a slot frees up each shows as
   * `queued`, never as a stale `downloading`. A download another live process runs is left alone: it shows its
   * progress from the catalog.
   */
  private takeOverOrphans(): Promise<void> {
    this.ownerCheck ??= this.checkOwners().finally(() => (this.ownerCheck = undefined));
    return this.ownerCheck;
  }

  private async checkOwners(): Promise<void> {
    if (this.orphans().length === 0) return;
    // An owner gives up its lease only once its last changes are in the log, but what we have read of the log may
    // be older than that: a download it finished just before it exited still looks in flight here, and pausing it
    // would overwrite its `ready` for everyone. So the log is read first, and only what is still orphaned is taken.
    try {
      await this.catalog.refresh();
    } catch (err) {
      this.deps.logger.warn(`Checking for downloads whose process is gone: ${describeError(err)}`);
      return;
    }
    if (this.closed) return;
    for (const entry of this.orphans()) {
      if (!this.resumeOrphans && !this.awaited.has(entry.id)) {
        this.markStopped(entry.id, 'paused');
        continue;
      }
      if (entry.status !== 'queued') this.catalog.updateEntry(entry.id, { status: 'queued' });
      this.schedule(entry.id);
    }
  }

  /** Entries in flight that no live process downloads: those that were running first (they hold partials). */
  private orphans(): CatalogEntry[] {
    return this.catalog
      .listEntries({ statuses: ['queued', 'downloading'] })
      .filter((e) => !this.active.has(e.id) && !this.ownedElsewhere(e))
      .sort((a, b) => Number(b.status === 'downloading') - Number(a.status === 'downloading') || a.createdAt - b.createdAt);
  }

  // ── This process's downloads ─────────────────────────────────────────────────────────────────────────────────

  private schedule(entryId: string): void {
    const { lease, logger } = this.deps;
    const claimed = this.catalog.getEntry(entryId);
    if (claimed && (claimed.owner !== lease.id || claimed.stopRequest)) this.catalog.updateEntry(entryId, { owner: lease.id, stopRequest: null });
    const controller = new AbortController();
    const record: { value?: ActiveDownload } = {};
    const done = this.limiter
      .run(() => this.runOne(entryId, record), controller.signal)
      .catch((err: unknown) => {
        // Aborted while still waiting for a slot.
        if (!isCancellation(err) && !(err instanceof Error && err.message === 'aborted')) logger.error(describeError(err));
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
      const jobDeps = await this.deps.jobDeps({ offline: this.fromCacheOnly.has(entryId) });
      await runDownload(
        {
          ...jobDeps,
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
      this.deps.logger.error(`${entry.repoId}@${entry.revision}: ${error.message}`);
      if (this.catalog.getEntry(entryId)) {
        this.catalog.transaction(() => {
          this.catalog.updateEntry(entryId, { status: 'error', errorCode: error.code, errorMessage: error.message, owner: null, stopRequest: null });
          this.catalog.updateJob(job.id, { state: 'failed', lastError: error.message });
        });
      }
    } finally {
      this.fromCacheOnly.delete(entryId);
      active.tracker?.dispose();
    }
  }

  /** What a stopped download's entry becomes, by why it stopped. */
  private settleStopped(entryId: string, intent: StopIntent | undefined): void {
    if (!this.catalog.getEntry(entryId)) return;
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
    const { cache, blobLocks } = this.deps;
    const ref: RepoRef = { kind: entry.kind, repoId: entry.repoId };
    const mine = this.catalog.getFiles(entry.id).filter((f) => f.state !== 'verified').map((f) => f.blobId);
    const needed = this.blobsNeededByOthers(entry);
    // Each under its blob's lock, taken only if free: a partial another process is writing is not ours to remove.
    for (const blobId of new Set(mine.filter((b) => !needed.has(b)))) {
      await blobLocks.tryRun(ref, blobId, () => cache.removeIncomplete(ref, [blobId]));
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

  private requireEntry(entryId: string): CatalogEntry {
    const entry = this.catalog.getEntry(entryId);
    if (!entry) throw new MistudioError('InvalidInput', `No catalog entry with id ${entryId}`);
    return entry;
  }
}

function isInFlight(entry: CatalogEntry): boolean {
  return entry.status === 'queued' || entry.status === 'downloading';
}
