import type { CacheInventory, InventoryRepo, InventoryRevision } from '../../core/cacheInventory';
import { headerText, heldByText, repoActions, revisionActions } from '../cacheView';
import type { CacheRepoRow, CacheRevisionRow, CacheSummary } from '../../shared/protocol';

/**
 * The cache as the Cache tab sees it: plain JSON rows, the held-by words and the header the Cache tree shows, and the
 * actions each row allows, from the same rule the tree's menus follow, so the tab never offers what the tree would not.
 */
export function toCacheRepoRow(repo: InventoryRepo): CacheRepoRow {
  return {
    kind: repo.kind,
    repoId: repo.repoId,
    sizeOnDisk: repo.sizeOnDisk,
    files: repo.nbFiles,
    lastModified: finiteOrZero(repo.lastModified),
    lastAccessed: finiteOrZero(repo.lastAccessed),
    refs: Object.keys(repo.refs).sort(),
    heldBy: heldByText(repo.revisions),
    heldHere: repo.revisions.some((r) => r.entries.length > 0),
    partialBytes: repo.partials.reduce((sum, p) => sum + p.size, 0),
    revisions: repo.revisions.map((r) => toCacheRevisionRow(repo, r)),
    partials: repo.partials.map((p) => ({ blobId: p.blobId, size: p.size, owner: p.owner, resumableBy: p.heldBy })),
    actions: repoActions(repo),
  };
}

function toCacheRevisionRow(repo: InventoryRepo, revision: InventoryRevision): CacheRevisionRow {
  return {
    commit: revision.commit,
    refs: revision.refs,
    sizeOnDisk: revision.sizeOnDisk,
    files: revision.nbFiles,
    lastModified: finiteOrZero(revision.lastModified),
    heldBy: heldByText([revision]),
    heldHere: revision.entries.length > 0,
    actions: revisionActions(repo, revision),
  };
}

export function toCacheSummary(inventory: CacheInventory): CacheSummary {
  return {
    header: headerText(inventory),
    repoCount: inventory.repos.length,
    sizeOnDisk: inventory.sizeOnDisk,
    partialBytes: inventory.partialBytes,
    xetBytes: inventory.xet?.bytes ?? null,
    warnings: inventory.warnings.length,
  };
}

/** JSON has no Infinity or NaN: an unknown time travels as 0 ("unknown"). */
function finiteOrZero(ms: number): number {
  return Number.isFinite(ms) ? ms : 0;
}
