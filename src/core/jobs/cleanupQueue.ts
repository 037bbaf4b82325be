import type { Catalog, CatalogEntry } from '../catalog';
import { describeError } from '../errors';
import { Emitter } from '../events';
import type { OwnerLease } from '../locking/ownerLease';
import type { CacheRepoRef } from '../repo';
import type { DeleteEstimate, Logger } from '../studioTypes';
import {
  cleanupPayload,
  estimateCleanup,
  parseCleanupPayload,
  payloadOf,
  runCleanup,
  type CleanupDeps,
  type CleanupOutcome,
  type CleanupPayload,
} from './cleanupJob';

/** A failed cleanup job is tried again at later starts, this many times in all. */
const MAX_CLEANUP_ATTEMPTS = 5;

/** A persisted cleanup job and how it ends (a rejection carries its error; the job row keeps it for a retry). */
export interface QueuedCleanup {
  readonly jobId: string;
  readonly done: Promise<CleanupOutcome>;
}

export interface CleanupQueueDeps extends CleanupDeps {
  readonly lease: OwnerLease;
  readonly logger: Logger;
}

/**
 * Persisted cleanup jobs of deleted entries, run one after another in the background. A job row is written in the
 * same transaction that removes its entry, so a crash at any point leaves either the entry or the job, and a job
 * interrupted by a crash runs again at the next start (unless another live process is running it).
 */
export class CleanupQueue {
  private chain: Promise<void> = Promise.resolve();
  private running = 0;
  private readonly emitter = new Emitter<{ readonly running: number }>();

  /** Background cleanup started / finished (for window progress). */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly deps: CleanupQueueDeps) {}

  private get catalog(): Catalog {
    return this.deps.catalog;
  }

  /** What deleting the entry would free and who keeps files in place, by the plan its cleanup would run. */
  estimate(entry: CatalogEntry): Promise<DeleteEstimate> {
    return estimateCleanup(this.deps, payloadOf(this.catalog, this.deps.holders, entry), [entry.id]);
  }

  /**
   * Removes the entry and persists its cleanup job in one transaction, flushed to disk before any file is touched,
   * then runs the job in the background.
   */
  deleteEntry(entry: CatalogEntry): Promise<QueuedCleanup> {
    return this.persistAndRun([entry], payloadOf(this.catalog, this.deps.holders, entry));
  }

  /** What deleting a cached revision from disk would free, and which other catalogs keep files of it in place. */
  estimateRevisionDelete(ref: CacheRepoRef, commit: string, entries: readonly CatalogEntry[]): Promise<DeleteEstimate> {
    return estimateCleanup(this.deps, this.revisionPayload(ref, commit, entries), entries.map((e) => e.id));
  }

  /**
   * Deletes a cached revision from disk, whoever put it there: this catalog's entries on it leave the catalog and one
   * persisted job removes every file of the snapshot but those other catalogs hold.
   */
  deleteRevision(ref: CacheRepoRef, commit: string, entries: readonly CatalogEntry[]): Promise<QueuedCleanup> {
    return this.persistAndRun(entries, this.revisionPayload(ref, commit, entries));
  }

  private revisionPayload(ref: CacheRepoRef, commit: string, entries: readonly CatalogEntry[]): CleanupPayload {
    return {
      kind: ref.kind,
      repoId: ref.repoId,
      revision: commit,
      commit,
      blobIds: [...new Set(entries.flatMap((e) => this.catalog.getFiles(e.id).map((f) => f.blobId)))],
      paths: null,
      catalogKey: this.deps.holders.catalogKey,
      wholeRevision: true,
    };
  }

  /** Entries out and the job in, in one transaction made durable before any file is touched; then the job runs. */
  private async persistAndRun(entries: readonly CatalogEntry[], payload: CleanupPayload): Promise<QueuedCleanup> {
    const job = this.catalog.transaction(() => {
      for (const entry of entries) {
        for (const j of this.catalog.listJobs({ entryId: entry.id })) this.catalog.removeJob(j.id);
        this.catalog.removeEntry(entry.id);
      }
      return this.catalog.addJob({ type: 'cleanup', entryId: null, payload: cleanupPayload(payload) });
    });
    await this.catalog.flush();
    return { jobId: job.id, done: this.run(job.id) };
  }

  /** At start: runs the jobs a crash interrupted (failed ones get a few more tries), and waits for them. */
  async resumeInterrupted(): Promise<void> {
    const { lease } = this.deps;
    for (const job of this.catalog.listJobs({ type: 'cleanup' })) {
      if (job.owner !== null && job.owner !== lease.id && lease.isAlive(job.owner)) continue;
      if (job.state !== 'failed' || job.attempts < MAX_CLEANUP_ATTEMPTS) void this.run(job.id).catch(() => undefined);
    }
    await this.chain;
  }

  get idle(): boolean {
    return this.running === 0;
  }

  /** Resolves once every job queued now has run. */
  whenIdle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    this.emitter.dispose();
  }

  /**
   * Queues the job behind the others; the promise tells how it ended (rejects with its error). Nobody need wait on
   * it: a background delete's failure is logged and kept on the job row for the next start.
   */
  private run(jobId: string): Promise<CleanupOutcome> {
    const { catalog, lease, logger } = this.deps;
    this.running++;
    this.emitter.fire({ running: this.running });
    const outcome = this.chain.then(async (): Promise<CleanupOutcome> => {
      try {
        // Gone: another process ran it meanwhile (the count still goes down, in `finally`).
        const job = catalog.getJob(jobId);
        if (!job) return { freedBytes: 0, pathsKept: [], skipped: ['run by another process'] };
        catalog.updateJob(jobId, { state: 'running', attempts: job.attempts + 1, owner: lease.id });
        const payload = parseCleanupPayload(job);
        const done = await runCleanup(this.deps, payload);
        catalog.removeJob(jobId);
        logger.info(`Cleaned up ${payload.repoId}@${payload.revision}: ${done.freedBytes} bytes freed`);
        return done;
      } catch (err) {
        logger.error(`Cleanup job ${jobId}: ${describeError(err)}`);
        if (catalog.getJob(jobId)) catalog.updateJob(jobId, { state: 'failed', lastError: describeError(err), owner: null });
        throw err;
      } finally {
        this.running--;
        this.emitter.fire({ running: this.running });
      }
    });
    this.chain = outcome.then(
      () => undefined,
      () => undefined,
    );
    return outcome;
  }
}
