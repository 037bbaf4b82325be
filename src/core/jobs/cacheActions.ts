import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LAYOUT, parsePartialName, refsPointingAt, type BlobLocks, type HfCache } from '../cache';
import type { Catalog, CatalogEntry } from '../catalog';
import type { CacheInventory } from '../cacheInventory';
import { describeError, MistudioError } from '../errors';
import { echo } from '../echo';
import { isCommitSha, validateRepoId, validateRevision, type CacheRepoRef, type RepoRef } from '../repo';
import type {
  CacheActionOptions,
  CacheActionResult,
  CacheDeleteEstimate,
  CacheRevisionEstimate,
  CacheRevisionOutcome,
  CacheTarget,
  DownloadRequest,
  PartialOutcome,
  PrunePlan,
  VerifyReport,
} from '../studioTypes';
import type { CleanupQueue } from './cleanupQueue';

interface CachedRevisionRef {
  readonly ref: CacheRepoRef;
  readonly commit: string;
}

export interface CacheActionsDeps {
  readonly cache: HfCache;
  readonly catalog: Catalog;
  readonly cleanups: CleanupQueue;
  readonly blobLocks: BlobLocks;
  /** Stops this process's download of an entry that is about to leave the catalog. */
  readonly stopDownload: (entryId: string) => Promise<void>;
  readonly inventory: (signal?: AbortSignal) => Promise<CacheInventory>;
  /** Re-queues an entry's download, or queues a new one (a repair's re-fetch). */
  readonly resume: (entryId: string) => Promise<CatalogEntry>;
  readonly enqueue: (request: DownloadRequest) => Promise<CatalogEntry>;
}

/**
 * What the cache view and `mistudio cache` do to the cache as a whole, whoever filled it: delete revisions and repos
 * from disk, prune what nobody can use, repair what a verify found damaged. Every delete is a persisted cleanup job,
 * so files other catalogs hold stay and a crash finishes it at the next start.
 */
export class CacheActions {
  constructor(private readonly deps: CacheActionsDeps) {}

  async estimateDelete(targets: readonly CacheTarget[]): Promise<CacheDeleteEstimate> {
    const revisions: CacheRevisionEstimate[] = [];
    for (const revision of await this.resolve(targets)) revisions.push(await this.estimateRevision(revision));
    return { revisions, freedBytes: revisions.reduce((sum, r) => sum + r.freedBytes, 0) };
  }

  async deleteFromCache(targets: readonly CacheTarget[], options: CacheActionOptions = {}): Promise<CacheActionResult> {
    return this.deleteRevisions(await this.resolve(targets), [], options);
  }

  async planPrune(signal?: AbortSignal): Promise<PrunePlan> {
    const inventory = await this.deps.inventory(signal);
    const revisions: CacheRevisionEstimate[] = [];
    const partials: Array<PrunePlan['partials'][number]> = [];
    for (const repo of inventory.repos) {
      const ref: CacheRepoRef = { kind: repo.kind, repoId: repo.repoId };
      for (const revision of repo.revisions) {
        // Detached (no branch, tag or PR names it) and held by no catalog: nobody can reach it by name any more.
        if (revision.refs.length > 0 || revision.entries.length > 0 || revision.otherCatalogs.length > 0 || !isCommitSha(revision.commit)) continue;
        revisions.push(await this.estimateRevision({ ref, commit: revision.commit }));
      }
      for (const partial of repo.partials) if (partial.heldBy === null) partials.push({ ...ref, path: partial.path, size: partial.size });
    }
    const freedBytes = revisions.reduce((sum, r) => sum + r.freedBytes, 0) + partials.reduce((sum, p) => sum + p.size, 0);
    return { revisions, partials, freedBytes };
  }

  async prune(options: CacheActionOptions = {}): Promise<CacheActionResult> {
    const plan = await this.planPrune(options.signal);
    const revisions = plan.revisions.map((r) => ({ ref: { kind: r.kind, repoId: r.repoId }, commit: r.commit }));
    return this.deleteRevisions(revisions, plan.partials, options);
  }

  /** Removes the bad blobs, then fetches them again through this catalog's entry on the revision or a new one. */
  async repair(report: VerifyReport): Promise<CatalogEntry> {
    const { cache, catalog, blobLocks } = this.deps;
    if (report.kind === 'space') throw new MistudioError('InvalidInput', `${report.repoId} is a Space: MechInterp Studio downloads models and datasets only (use hf download --repo-type space)`);
    if (report.bad.length === 0) throw new MistudioError('InvalidInput', `${report.repoId}@${report.commit.slice(0, 8)} has nothing to repair`);
    const ref: RepoRef = { kind: report.kind, repoId: validateRepoId(report.repoId) };
    const snapshot = cache.snapshotDir(ref, report.commit);
    for (const blobId of new Set(report.bad.map((b) => b.blobId))) {
      await blobLocks.run(ref, blobId, async () => {
        const blob = cache.blobPath(ref, blobId);
        if ((await fs.lstat(blob).catch(() => undefined)) !== undefined) await fs.unlink(blob);
      });
    }
    // A copy (no symlinks on this filesystem) holds its own bytes: it goes too, and the download writes it again.
    for (const bad of report.bad) {
      const file = path.join(snapshot, ...bad.path.split('/'));
      if ((await fs.lstat(file).catch(() => undefined))?.isFile()) await fs.unlink(file);
    }
    const badPaths = new Set(report.bad.map((b) => b.path));
    const holder = catalog
      .listEntries({ kind: ref.kind, repoId: ref.repoId })
      .find((e) => e.commit === report.commit && catalog.getFiles(e.id).some((f) => badPaths.has(f.path)));
    if (holder) return this.deps.resume(holder.id);
    return this.deps.enqueue({ kind: ref.kind, repoId: ref.repoId, revision: report.commit, include: [...badPaths].map(literalPattern) });
  }

  private async deleteRevisions(revisions: readonly CachedRevisionRef[], partials: PrunePlan['partials'], options: CacheActionOptions): Promise<CacheActionResult> {
    const { signal, onProgress } = options;
    const total = revisions.length + partials.length;
    const outcomes: CacheRevisionOutcome[] = [];
    const partialOutcomes: PartialOutcome[] = [];
    let freedBytes = 0;
    let cancelled = false;
    const report = (done: number, current?: string): void => onProgress?.({ done, total, freedBytes, ...(current ? { current } : {}) });
    for (const [index, revision] of revisions.entries()) {
      report(index, `${revision.ref.repoId}@${revision.commit.slice(0, 8)}`);
      // Between jobs only: a revision's delete, once started, is finished (it is restartable, not reversible).
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      const outcome = await this.deleteRevision(revision);
      freedBytes += outcome.freedBytes;
      outcomes.push(outcome);
    }
    for (const [index, partial] of partials.entries()) {
      if (cancelled) break;
      report(revisions.length + index, path.basename(partial.path));
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      const removed = await this.removePartial(partial);
      if (removed) freedBytes += partial.size;
      partialOutcomes.push({ ...partial, removed });
    }
    report(outcomes.length + partialOutcomes.length);
    return { freedBytes, revisions: outcomes, partials: partialOutcomes, cancelled };
  }

  private async deleteRevision({ ref, commit }: CachedRevisionRef): Promise<CacheRevisionOutcome> {
    const { catalog, cleanups } = this.deps;
    const base = { kind: ref.kind, repoId: ref.repoId, commit };
    for (const entry of this.entriesOn(ref, commit)) await this.deps.stopDownload(entry.id);
    // Read again after the downloads stopped: they may have changed their entries until then.
    const entries = this.entriesOn(ref, commit).filter((e) => catalog.getEntry(e.id) !== undefined);
    try {
      const { done } = await cleanups.deleteRevision(ref, commit, entries);
      const outcome = await done;
      return { ...base, freedBytes: outcome.freedBytes, pathsKept: outcome.pathsKept.length, skipped: outcome.skipped };
    } catch (err) {
      return { ...base, freedBytes: 0, pathsKept: 0, skipped: [], error: describeError(err) };
    }
  }

  /** A partial nobody can resume goes, unless someone is writing it right now (its blob lock is held). */
  private async removePartial(partial: PrunePlan['partials'][number]): Promise<boolean> {
    const { cache, blobLocks } = this.deps;
    const ref: CacheRepoRef = { kind: partial.kind, repoId: partial.repoId };
    const blobs = path.join(cache.repoDir(ref), LAYOUT.blobs);
    const name = path.basename(partial.path);
    const parsed = parsePartialName(name);
    if (parsed === undefined || path.join(blobs, name) !== partial.path) return false;
    const removed = await blobLocks.tryRun(ref, parsed.blobId, async () => {
      if (parsed.owner === 'ours') await fs.unlink(`${partial.path}.ranges`).catch(() => undefined);
      await fs.unlink(partial.path).catch(() => undefined);
      return true;
    });
    return removed === true;
  }

  private async estimateRevision({ ref, commit }: CachedRevisionRef): Promise<CacheRevisionEstimate> {
    const entries = this.entriesOn(ref, commit);
    const estimate = await this.deps.cleanups.estimateRevisionDelete(ref, commit, entries);
    const refs = await refsPointingAt(path.join(this.deps.cache.repoDir(ref), LAYOUT.refs), commit, []);
    return {
      kind: ref.kind,
      repoId: ref.repoId,
      commit,
      refs,
      freedBytes: estimate.freedBytes,
      heldBy: estimate.heldBy.filter((h) => h.catalog !== null),
      entries: entries.map((e) => ({ entryId: e.id, revision: e.revision })),
    };
  }

  private entriesOn(ref: CacheRepoRef, commit: string): CatalogEntry[] {
    if (ref.kind === 'space') return [];
    return this.deps.catalog.listEntries({ kind: ref.kind, repoId: ref.repoId }).filter((e) => e.commit === commit);
  }

  /** Each target as the revisions it names: one commit, or every snapshot of the repo. */
  private async resolve(targets: readonly CacheTarget[]): Promise<CachedRevisionRef[]> {
    const out: CachedRevisionRef[] = [];
    const seen = new Set<string>();
    for (const target of targets) {
      const ref: CacheRepoRef = { kind: target.kind, repoId: validateRepoId(target.repoId) };
      const commits = target.revision === undefined ? await this.snapshotsOf(ref) : [await this.resolveRevision(ref, target.revision)];
      if (commits.length === 0) throw new MistudioError('InvalidInput', `${ref.repoId} has no revision in the cache`, { repoId: ref.repoId });
      for (const commit of commits) {
        const key = `${ref.kind}\0${ref.repoId}\0${commit}`;
        if (!seen.has(key)) out.push({ ref, commit });
        seen.add(key);
      }
    }
    return out;
  }

  /** The commit a revision names in the cache (a commit with a snapshot, or a ref), else a clear refusal. */
  async resolveRevision(ref: CacheRepoRef, revision: string): Promise<string> {
    const rev = validateRevision(revision);
    const commit = isCommitSha(rev) ? rev : await this.deps.cache.readRef(ref, rev);
    if (commit === undefined || !(await this.snapshotsOf(ref)).includes(commit)) {
      throw new MistudioError('InvalidInput', `${ref.repoId}@${echo(rev)} is not in the cache`, { repoId: ref.repoId });
    }
    return commit;
  }

  private async snapshotsOf(ref: CacheRepoRef): Promise<string[]> {
    const snapshots = path.join(this.deps.cache.repoDir(ref), LAYOUT.snapshots);
    return (await fs.readdir(snapshots).catch(() => [] as string[])).filter(isCommitSha).sort();
  }
}

/** An fnmatch pattern matching exactly this path: its wildcard characters each in a one-character class. */
export function literalPattern(repoPath: string): string {
  return repoPath.replace(/[[*?]/g, (c) => `[${c}]`);
}
