import * as fs from 'node:fs/promises';
import {
  catalogKeyOf,
  deleteRevision,
  planRevisionDelete,
  readTreeCache,
  type BlobLock,
  type BlobLocks,
  type CleanupOptions,
  type HfCache,
  type HolderRecord,
  type Holders,
} from '../cache';
import type { Catalog, CatalogEntry, Job, JsonValue } from '../catalog';
import { MistudioError } from '../errors';
import { isCommitSha, type CacheRepoKind, type CacheRepoRef, type RepoRef } from '../repo';
import type { DeleteEstimate, RevisionHolder } from '../studioTypes';

/**
 * What a cleanup job needs after its catalog entry is gone, or what a delete from the cache view removes; persisted
 * as the job's payload.
 */
export interface CleanupPayload {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string | null;
  /** Blobs the entry planned; their partials go unless another entry still needs them. */
  readonly blobIds: readonly string[];
  /** The entry's own repo paths: only their links may go. Null in jobs persisted before there were holders. */
  readonly paths: readonly string[] | null;
  /** The catalog whose holder record of the entry the job releases (cache/holders.ts); null for an in-memory one. */
  readonly catalogKey: string | null;
  /**
   * A delete of the whole revision from disk (the cache view, `mistudio cache rm`): every file of the snapshot goes but
   * those other catalogs hold, whoever put it there. Otherwise only the entry's own paths may go.
   */
  readonly wholeRevision?: boolean;
}

/** What a cleanup did: freed bytes, and what it left in place (held by others, or refused) and why. */
export interface CleanupOutcome {
  readonly freedBytes: number;
  readonly pathsKept: readonly string[];
  readonly skipped: readonly string[];
}

export interface CleanupDeps {
  readonly catalog: Catalog;
  readonly cache: HfCache;
  readonly holders: Holders;
  readonly locks: BlobLocks;
}

export function cleanupPayload(p: CleanupPayload): JsonValue {
  return {
    kind: p.kind,
    repoId: p.repoId,
    revision: p.revision,
    commit: p.commit,
    blobIds: [...p.blobIds],
    paths: p.paths === null ? null : [...p.paths],
    catalogKey: p.catalogKey,
    ...(p.wholeRevision ? { wholeRevision: true } : {}),
  };
}

export function parseCleanupPayload(job: Job): CleanupPayload {
  const p = job.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new MistudioError('InvalidInput', `Cleanup job ${job.id} has no payload`);
  const { kind, repoId, revision, commit, blobIds, paths, catalogKey, wholeRevision } = p;
  if ((kind !== 'model' && kind !== 'dataset' && kind !== 'space') || typeof repoId !== 'string' || typeof revision !== 'string') {
    throw new MistudioError('InvalidInput', `Cleanup job ${job.id} has a malformed payload`);
  }
  const strings = (value: JsonValue | undefined): string[] => (Array.isArray(value) ? value.filter((b): b is string => typeof b === 'string') : []);
  return {
    kind,
    repoId,
    revision,
    commit: typeof commit === 'string' && isCommitSha(commit) ? commit : null,
    blobIds: strings(blobIds),
    paths: Array.isArray(paths) ? strings(paths) : null,
    catalogKey: typeof catalogKey === 'string' && /^[0-9a-f]{16}$/.test(catalogKey) ? catalogKey : null,
    ...(wholeRevision === true ? { wholeRevision: true } : {}),
  };
}

/** The payload that deleting this entry persists (and that its estimate plans with). */
export function payloadOf(catalog: Catalog, holders: Holders, entry: CatalogEntry): CleanupPayload {
  const files = catalog.getFiles(entry.id);
  return {
    kind: entry.kind,
    repoId: entry.repoId,
    revision: entry.revision,
    commit: entry.commit,
    blobIds: files.map((f) => f.blobId),
    paths: files.map((f) => f.path),
    catalogKey: holders.catalogKey,
  };
}

/**
 * What the cleanup of `payload` would free and who keeps files in place, by the same plan the job runs. While the
 * entries it removes are still in the catalog (a confirmation before the delete), `excludeEntryIds` keeps them from
 * holding the files themselves.
 */
export async function estimateCleanup(deps: CleanupDeps, payload: CleanupPayload, excludeEntryIds: readonly string[] = []): Promise<DeleteEstimate> {
  const scope = await scopeOf(deps, payload, new Set(excludeEntryIds));
  if (scope.commit === null) return { freedBytes: await partialBytes(deps.cache, scope.ref, payload.blobIds.filter((b) => !scope.neededBlobs.has(b))), heldBy: [] };
  const plan = await planRevisionDelete(deps.cache, scope.ref, scope.commit, scope.options);
  return { freedBytes: plan.freedBytes, heldBy: scope.heldBy };
}

/**
 * Frees what a deleted entry used and nothing anyone else still needs: its own links no other holder lists (other
 * catalogs' records, other entries of this catalog), the blobs nothing links any more, and partials no other entry
 * is downloading; the whole revision (refs, tree listing) once nothing of its snapshot stays. Then releases the
 * entry's holder record. Idempotent, so a job interrupted by a crash simply runs again.
 */
export async function runCleanup(deps: CleanupDeps, payload: CleanupPayload, signal?: AbortSignal): Promise<CleanupOutcome> {
  const { cache, locks, holders } = deps;
  const planned = await scopeOf(deps, payload);
  const { ref, commit } = planned;
  if (commit === null) {
    for (const blobId of new Set(payload.blobIds.filter((b) => !planned.neededBlobs.has(b)))) {
      await locks.tryRun(ref, blobId, () => cache.removeIncomplete(ref, [blobId]));
    }
    return { freedBytes: 0, pathsKept: [], skipped: [] };
  }
  // A download of another revision links blobs it found cached under their locks; holding the locks of every blob
  // this delete may free means it either sees that link (and keeps the blob) or finds the blob gone and fetches it.
  // Under them, who holds what is read again, so a record written meanwhile still counts.
  const { blobsToRemove } = await planRevisionDelete(cache, ref, commit, { ...planned.options, ...(signal ? { signal } : {}) });
  const outcome = await underBlobLocks(locks.run, ref, [...blobsToRemove].sort(), async () => {
    const current = await scopeOf(deps, payload);
    return deleteRevision(cache, ref, commit, signal, current.options);
  });
  const catalogRef = catalogRefOf(ref);
  if (catalogRef) {
    // Unless the entry was added again meanwhile: the record under its name is then the new entry's.
    if (!deps.catalog.findEntry(catalogRef.kind, payload.repoId, payload.revision)) await holders.release(catalogRef, commit, payload.revision, payload.catalogKey ?? holders.catalogKey);
    // This catalog's records of entries it no longer has (a crash between a delete and its release), and records
    // whose catalog is gone or that are not records, hold nothing.
    for (const orphan of await orphanedRecords(deps, catalogRef, commit)) await holders.release(catalogRef, commit, orphan.revision, catalogKeyOf(orphan.catalog));
    await holders.prune(catalogRef, commit);
  }
  return outcome;
}

/** The repo as the catalog and its holder records name it; Spaces are never entries and have no records. */
function catalogRefOf(ref: CacheRepoRef): RepoRef | undefined {
  return ref.kind === 'space' ? undefined : { kind: ref.kind, repoId: ref.repoId };
}

interface CleanupScope {
  readonly ref: CacheRepoRef;
  readonly commit: string | null;
  /** Blobs other entries of this catalog still download (their partials stay). */
  readonly neededBlobs: ReadonlySet<string>;
  readonly options: CleanupOptions;
  readonly heldBy: RevisionHolder[];
}

async function scopeOf(deps: CleanupDeps, payload: CleanupPayload, excludeEntryIds: ReadonlySet<string> = new Set()): Promise<CleanupScope> {
  const { catalog, cache, holders, locks } = deps;
  const ref: CacheRepoRef = { kind: payload.kind, repoId: payload.repoId };
  const catalogRef = catalogRefOf(ref);
  const others = catalogRef ? catalog.listEntries({ kind: catalogRef.kind, repoId: payload.repoId }).filter((o) => !excludeEntryIds.has(o.id)) : [];
  const neededBlobs = new Set<string>();
  for (const other of others) {
    if (other.status === 'ready') continue;
    for (const f of catalog.getFiles(other.id)) neededBlobs.add(f.blobId);
  }
  const commit = payload.commit;
  if (commit === null) return { ref, commit, neededBlobs, options: {}, heldBy: [] };

  const ours = (r: HolderRecord): boolean => r.catalog === holders.catalogFile || (payload.catalogKey !== null && catalogKeyOf(r.catalog) === payload.catalogKey);
  const { records } = catalogRef ? await holders.scan(catalogRef, commit) : { records: [] };
  const ownRecord = payload.wholeRevision ? undefined : records.find((r) => ours(r) && r.revision === payload.revision);
  // This catalog speaks for its own entries; its records on disk only add what an entry had before (a narrower re-plan).
  const foreign = records.filter((r) => !ours(r));
  const sameCommit = others.filter((o) => o.commit === commit).map((o) => ({ revision: o.revision, paths: catalog.getFiles(o.id).map((f) => f.path) }));
  const ownPaths = payload.wholeRevision || (payload.paths === null && ownRecord === undefined) ? undefined : [...new Set([...(payload.paths ?? []), ...(ownRecord?.paths ?? [])])];
  const own = ownPaths === undefined ? undefined : new Set(ownPaths);
  const overlaps = (paths: readonly string[]): boolean => paths.length > 0 && (own === undefined || paths.some((p) => own.has(p)));

  const heldPaths = new Set([...foreign.flatMap((r) => r.paths), ...sameCommit.flatMap((o) => o.paths)]);
  const heldBy = uniqueHolders([
    ...foreign.filter((r) => overlaps(r.paths)).map((r) => ({ catalog: r.catalog, revision: r.revision })),
    ...sameCommit.filter((o) => overlaps(o.paths)).map((o) => ({ catalog: null, revision: o.revision })),
  ]);
  // A paused download of a held file in another catalog resumes from its partial: keep it when the listing says which.
  const listing = await readTreeCache(cache, ref, commit).catch(() => undefined);
  const heldBlobs = [...heldPaths].flatMap((p) => {
    const listed = listing?.get(p);
    return listed ? [listed.lfs?.sha256 ?? listed.blobId] : [];
  });
  const options: CleanupOptions = {
    removePartials: true,
    keepPartials: [...neededBlobs, ...heldBlobs],
    partialGate: (blobId, remove) => locks.tryRun(ref, blobId, remove),
    ...(ownPaths !== undefined ? { ownPaths } : {}),
    heldPaths,
  };
  return { ref, commit, neededBlobs, options, heldBy };
}

async function orphanedRecords(deps: CleanupDeps, ref: RepoRef, commit: string): Promise<HolderRecord[]> {
  const { holders, catalog } = deps;
  if (holders.catalogFile === null) return [];
  const revisions = new Set(catalog.listEntries({ kind: ref.kind, repoId: ref.repoId }).filter((e) => e.commit === commit).map((e) => e.revision));
  return (await holders.scan(ref, commit)).records.filter((r) => r.catalog === holders.catalogFile && !revisions.has(r.revision));
}

function uniqueHolders(holders: readonly RevisionHolder[]): RevisionHolder[] {
  const seen = new Map<string, RevisionHolder>();
  for (const h of holders) seen.set(`${h.catalog ?? ''}\0${h.revision}`, h);
  // Other catalogs first (they are why files outlive this catalog), each sorted by catalog, then revision.
  return [...seen.values()].sort(
    (a, b) => Number(a.catalog === null) - Number(b.catalog === null) || compare(a.catalog ?? '', b.catalog ?? '') || compare(a.revision, b.revision),
  );
}

async function partialBytes(cache: HfCache, ref: CacheRepoRef, blobIds: readonly string[]): Promise<number> {
  let total = 0;
  for (const blobId of new Set(blobIds)) {
    const st = await fs.lstat(cache.incompletePath(ref, blobId)).catch(() => undefined);
    if (st?.isFile()) total += st.size;
  }
  return total;
}

/** Takes the locks one after another in sorted order; a download never holds more than one, so this cannot deadlock. */
function underBlobLocks<T>(withBlobLock: BlobLock, ref: CacheRepoRef, blobIds: readonly string[], task: () => Promise<T>): Promise<T> {
  const [first, ...rest] = blobIds;
  return first === undefined ? task() : withBlobLock(ref, first, () => underBlobLocks(withBlobLock, ref, rest, task));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
