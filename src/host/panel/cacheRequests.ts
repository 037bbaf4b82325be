import type { InventoryRepo } from '../../core/cacheInventory';
import { MistudioError, describeError } from '../../core/errors';
import { formatBytes } from '../../core/progress';
import type { CacheActionResult, StudioApi } from '../../core/studioTypes';
import { labelOf, reposSubject, type CacheActions, type CacheRevisionTarget } from '../actions/cacheActions';
import { repoActions, repoKey, revisionActions } from '../cacheView';
import type { CacheReposBatch, ParamsOf, ResultOf } from '../../shared/protocol';
import { toCacheSummary } from './cacheRows';
import { CacheScanStream } from './cacheScanStream';

export interface CacheRequestsDeps {
  /** The one CacheActions the Cache tree and the palette use: confirmations and progress are the host's. */
  readonly cacheActions: CacheActions;
  readonly notify: (batch: CacheReposBatch) => void;
  readonly log: { error(message: string): void };
  /** Minimum time between two batches of a scan. */
  readonly intervalMs?: number;
}

type Answer = ResultOf<'cacheAction'>;

/**
 * The Cache tab's requests. A scan streams its repos to the page and is remembered, so an action names only a repo
 * and a commit: the host finds them in what it read (refs and holders never come from the page) and runs the action
 * only if that row allows it.
 */
export class CacheRequests {
  /** The cache as last read, by repo key; a running scan updates it repo by repo. */
  private readonly lastRead = new Map<string, InventoryRepo>();
  private scanning: AbortController | undefined;

  constructor(private readonly deps: CacheRequestsDeps) {}

  async scan({ scanId }: ParamsOf<'cacheScan'>, studio: StudioApi, signal: AbortSignal): Promise<ResultOf<'cacheScan'>> {
    // One scan per page: a new one (Refresh, a reload) makes the last one's repos moot.
    this.scanning?.abort();
    const controller = new AbortController();
    this.scanning = controller;
    const stop = (): void => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    const stream = new CacheScanStream(scanId, this.deps.notify, this.deps.intervalMs === undefined ? {} : { intervalMs: this.deps.intervalMs });
    try {
      const inventory = await studio.inventory({
        signal: controller.signal,
        onRepo: (repo, progress) => {
          if (controller.signal.aborted) return;
          this.lastRead.set(repoKey(repo), repo);
          stream.add(repo, progress);
        },
      });
      if (controller.signal.aborted) throw new MistudioError('Cancelled', 'Cancelled');
      this.lastRead.clear();
      for (const repo of inventory.repos) this.lastRead.set(repoKey(repo), repo);
      stream.finish(inventory);
      return { scanId, summary: toCacheSummary(inventory) };
    } finally {
      stream.stop();
      signal.removeEventListener('abort', stop);
      if (this.scanning === controller) this.scanning = undefined;
    }
  }

  async action({ action, target }: ParamsOf<'cacheAction'>): Promise<Answer> {
    const { cacheActions } = this.deps;
    const repo = this.lastRead.get(repoKey(target));
    if (!repo) throw new MistudioError('RepoNotFound', `${target.repoId} is not in the cache as last read: refresh the Cache tab`);
    if (action === 'deleteRepo') {
      if (!repoActions(repo).includes(action)) throw notOffered(action, repo.repoId);
      return deleteAnswer(await cacheActions.deleteFromDisk([{ kind: repo.kind, repoId: repo.repoId }], reposSubject([repo])));
    }
    const revision = repo.revisions.find((r) => r.commit === target.commit);
    if (!revision) {
      throw new MistudioError('RevisionNotFound', `${repo.repoId}@${target.commit?.slice(0, 8) ?? '?'} is not in the cache as last read: refresh the Cache tab`);
    }
    const picked: CacheRevisionTarget = { kind: repo.kind, repoId: repo.repoId, commit: revision.commit, refs: revision.refs };
    const label = labelOf(picked);
    if (!revisionActions(repo, revision).includes(action)) throw notOffered(action, label);
    switch (action) {
      case 'addToCatalog': {
        const entry = await cacheActions.addToCatalog(picked);
        return entry?.status === 'ready' ? { done: true, message: `Added ${label} to the catalog` } : { done: false };
      }
      case 'verify': {
        const report = await cacheActions.verifyAndOfferRepair(picked, (err) => this.deps.log.error(`Repairing ${label}: ${describeError(err)}`));
        if (!report) return { done: false };
        if (report.bad.length === 0) return { done: true, message: `${label}: all ${report.files} file${report.files === 1 ? '' : 's'} verified` };
        return { done: true, message: `${label}: ${report.bad.length} of ${report.files} files are damaged` };
      }
      case 'deleteRevision':
        return deleteAnswer(await cacheActions.deleteFromDisk([{ kind: repo.kind, repoId: repo.repoId, revision: revision.commit }], label));
    }
  }

  async prune(): Promise<Answer> {
    return deleteAnswer(await this.deps.cacheActions.prune());
  }

  dispose(): void {
    this.scanning?.abort();
  }
}

function notOffered(action: string, subject: string): MistudioError {
  return new MistudioError('InvalidInput', `${subject}: ${action} is not offered here`);
}

/** Declined: not done. Done: what it freed, or that some of it failed (the host's notification says what). */
function deleteAnswer(result: CacheActionResult | undefined): Answer {
  if (!result) return { done: false };
  const failed = result.revisions.filter((r) => r.error !== undefined).length;
  if (failed > 0) return { done: true, message: `${failed} could not be deleted; freed ${formatBytes(result.freedBytes)}` };
  return { done: true, message: `${result.cancelled ? 'Stopped. ' : ''}Freed ${formatBytes(result.freedBytes)}` };
}
