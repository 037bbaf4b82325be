import type { Catalog, CatalogEntry } from '../catalog';
import { describeError } from '../errors';
import { Emitter } from '../events';
import type { OwnerLease } from '../locking/ownerLease';
import type { DeleteEstimate, Logger } from '../studioTypes';
import { cleanupPayload, estimateCleanup, parseCleanupPayload, payloadOf, runCleanup, type CleanupDeps } from './cleanupJob';

/** A failed cleanup job is tried again at later starts, this many times in all. */
const MAX_CLEANUP_ATTEMPTS = 5;

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
    return estimateCleanup(this.deps, payloadOf(this.catalog, this.deps.holders, entry), entry.id);
  }

  /**
   * Removes the entry and persists its cleanup job in one transaction, flushed to disk before any file is touched,
   * then runs the job in the background. Returns the job's id.
   */
  async deleteEntry(entry: CatalogEntry): Promise<string> {
    const payload = payloadOf(this.catalog, this.deps.holders, entry);
    const job = this.catalog.transaction(() => {
      for (const j of this.catalog.listJobs({ entryId: entry.id })) this.catalog.removeJob(j.id);
      this.catalog.removeEntry(entry.id);
      return this.catalog.addJob({ type: 'cleanup', entryId: null, payload: cleanupPayload(payload) });
    });
    await this.catalog.flush();
    this.run(job.id);
    return job.id;
  }

  /** At start: runs the jobs a crash interrupted (failed ones get a few more tries), and waits for them. */
  async resumeInterrupted(): Promise<void> {
    const { lease } = this.deps;
    for (const job of this.catalog.listJobs({ type: 'cleanup' })) {
      if (job.owner !== null && job.owner !== lease.id && lease.isAlive(job.owner)) continue;
      if (job.state !== 'failed' || job.attempts < MAX_CLEANUP_ATTEMPTS) this.run(job.id);
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

  private run(jobId: string): void {
    const { catalog, lease, logger } = this.deps;
    this.running++;
    this.emitter.fire({ running: this.running });
    this.chain = this.chain.then(async () => {
      try {
        // Gone: another process ran it meanwhile (the count still goes down, in `finally`).
        const job = catalog.getJob(jobId);
        if (!job) return;
        catalog.updateJob(jobId, { state: 'running', attempts: job.attempts + 1, owner: lease.id });
        const payload = parseCleanupPayload(job);
        const freed = await runCleanup(this.deps, payload);
        catalog.removeJob(jobId);
        logger.info(`Cleaned up ${payload.repoId}@${payload.revision}: ${freed} bytes freed`);
      } catch (err) {
        logger.error(`Cleanup job ${jobId}: ${describeError(err)}`);
        if (catalog.getJob(jobId)) catalog.updateJob(jobId, { state: 'failed', lastError: describeError(err), owner: null });
      } finally {
        this.running--;
        this.emitter.fire({ running: this.running });
      }
    });
  }
}
