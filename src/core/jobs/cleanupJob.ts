import { deleteRevision, planRevisionDelete, type BlobLock, type BlobLocks, type HfCache } from '../cache';
import type { Catalog, Job, JsonValue } from '../catalog';
import { MistudioError } from '../errors';
import { isCommitSha, type RepoKind, type RepoRef } from '../repo';

/** What a cleanup job needs after its catalog entry is gone; persisted as the job's payload. */
export interface CleanupPayload {
  readonly kind: RepoKind;
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string | null;
  /** Blobs the entry planned; their partials go unless another entry still needs them. */
  readonly blobIds: readonly string[];
}

export function cleanupPayload(p: CleanupPayload): JsonValue {
  return { kind: p.kind, repoId: p.repoId, revision: p.revision, commit: p.commit, blobIds: [...p.blobIds] };
}

export function parseCleanupPayload(job: Job): CleanupPayload {
  const p = job.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new MistudioError('InvalidInput', `Cleanup job ${job.id} has no payload`);
  const kind = p.kind;
  const repoId = p.repoId;
  const revision = p.revision;
  const commit = p.commit;
  const blobIds = p.blobIds;
  if ((kind !== 'model' && kind !== 'dataset') || typeof repoId !== 'string' || typeof revision !== 'string') {
    throw new MistudioError('InvalidInput', `Cleanup job ${job.id} has a malformed payload`);
  }
  return {
    kind,
    repoId,
    revision,
    commit: typeof commit === 'string' && isCommitSha(commit) ? commit : null,
    blobIds: Array.isArray(blobIds) ? blobIds.filter((b): b is string => typeof b === 'string') : [],
  };
}

/**
 * Frees what a deleted entry used and nothing another entry still needs: the snapshot (when no other entry of the
 * repo pins that commit), its refs, blobs no other snapshot links, and partials no other entry is downloading.
 * Idempotent, so a job interrupted by a crash simply runs again.
 */
export async function runCleanup(catalog: Catalog, cache: HfCache, payload: CleanupPayload, locks: BlobLocks, signal?: AbortSignal): Promise<number> {
  const ref: RepoRef = { kind: payload.kind, repoId: payload.repoId };
  const others = catalog.listEntries({ kind: payload.kind, repoId: payload.repoId });
  const neededBlobs = new Set<string>();
  for (const other of others) {
    if (other.status === 'ready') continue;
    for (const f of catalog.getFiles(other.id)) neededBlobs.add(f.blobId);
  }
  const commitStillUsed = payload.commit !== null && others.some((o) => o.commit === payload.commit);
  if (payload.commit && !commitStillUsed) {
    const commit = payload.commit;
    const options = {
      removePartials: true,
      keepPartials: [...neededBlobs],
      partialGate: (blobId: string, remove: () => Promise<void>) => locks.tryRun(ref, blobId, remove),
    };
    // A download of another revision links blobs it found cached under their locks; holding the locks of every blob
    // this delete may free means it either sees that link (and keeps the blob) or finds the blob gone and fetches it.
    const { blobsToRemove } = await planRevisionDelete(cache, ref, commit, { ...options, ...(signal ? { signal } : {}) });
    const { freedBytes } = await underBlobLocks(locks.run, ref, [...blobsToRemove].sort(), () => deleteRevision(cache, ref, commit, signal, options));
    return freedBytes;
  }
  for (const blobId of new Set(payload.blobIds.filter((b) => !neededBlobs.has(b)))) {
    await locks.tryRun(ref, blobId, () => cache.removeIncomplete(ref, [blobId]));
  }
  return 0;
}

/** Takes the locks one after another in sorted order; a download never holds more than one, so this cannot deadlock. */
function underBlobLocks<T>(withBlobLock: BlobLock, ref: RepoRef, blobIds: readonly string[], task: () => Promise<T>): Promise<T> {
  const [first, ...rest] = blobIds;
  return first === undefined ? task() : withBlobLock(ref, first, () => underBlobLocks(withBlobLock, ref, rest, task));
}
