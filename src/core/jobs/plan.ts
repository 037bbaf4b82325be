import { freeSpace, readCachedSnapshot, safeRepoPath, type HfCache, type TreeListing } from '../cache';
import { forEachConcurrently } from '../concurrency';
import { echo } from '../echo';
import { MistudioError, isMistudioError } from '../errors';
import type { HubClient, RepoFile, RepoInfo } from '../hub';
import { compilePatterns } from '../patterns';
import { validateRepoId, validateRevision, type RepoRef } from '../repo';
import type { DownloadPlan, DownloadRequest, PlannedFile } from '../studioTypes';

/** What the Hub said of a revision: its info and every file at its commit. */
export interface RevisionListing {
  readonly info: RepoInfo;
  readonly listing: readonly RepoFile[];
}

/** Blobs checked at once while planning (a listing may name 100k files). */
const BLOB_CHECKS_AT_ONCE = 16;

export function blobIdOf(file: RepoFile): string {
  return file.lfs ? file.lfs.sha256 : file.oid;
}

/** The Hub listing of a commit as huggingface_hub's tree cache keeps it (trees/<commit>.json). */
export function treeListingOf(files: readonly PlannedFile[]): TreeListing {
  return new Map(files.map((f) => [f.path, { size: f.size, blobId: f.gitOid, ...(f.lfs ? { lfs: { sha256: f.blobId, size: f.size } } : {}) }]));
}

/** Validates a request once, at the boundary, so everything below can trust repo id, revision and patterns. */
export function normaliseRequest(request: DownloadRequest): DownloadRequest & { revision: string } {
  const clean = (patterns: readonly string[] | undefined): string[] =>
    (patterns ?? []).map((p) => p.trim()).filter((p) => p.length > 0);
  return {
    kind: request.kind,
    repoId: validateRepoId(request.repoId),
    revision: validateRevision(request.revision ?? 'main'),
    include: clean(request.include),
    exclude: clean(request.exclude),
  };
}

/**
 * Resolves the revision to a commit, lists every file, applies include / exclude, and checks which blobs the cache
 * already holds and how much room the disk has — everything a user needs to decide before bytes move.
 */
export async function planDownload(
  hub: HubClient,
  cache: HfCache,
  request: DownloadRequest,
  signal?: AbortSignal,
  measureFreeSpace: (dir: string) => Promise<number> = freeSpace,
  // A listing of this revision the caller already has (the plan a download confirmed): no Hub request is made.
  known?: RevisionListing,
): Promise<DownloadPlan> {
  const req = normaliseRequest(request);
  const ref: RepoRef = { kind: req.kind, repoId: req.repoId };
  const { info, listing } = known ?? (hub.offline ? await fromCache(cache, ref, req.revision) : await fromHub(hub, ref, req.revision, signal));
  const include = req.include ?? [];
  const exclude = req.exclude ?? [];
  const matches = compilePatterns({ include, exclude });
  const allFiles: PlannedFile[] = [...listing]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => ({ path: f.path, size: f.lfs?.size ?? f.size, blobId: blobIdOf(f), gitOid: f.oid, lfs: f.lfs !== undefined, cached: false }));
  // Which blobs the cache holds: one readdir, then a check of only those present, a few at a time (a stat per file
  // of a 100k-file listing, all at once, cost hundreds of MB of pending promises).
  const present = await cache.blobNames(ref);
  const maybeCached = allFiles.map((f, i) => [f, i] as const).filter(([f]) => present.has(f.blobId));
  await forEachConcurrently(maybeCached, BLOB_CHECKS_AT_ONCE, async ([f, i]) => {
    if ((await cache.blobState(ref, f.blobId, f.size)) === 'intact') allFiles[i] = { ...f, cached: true };
  });
  const files = allFiles.filter((f) => matches(f.path));
  // Patterns that select nothing are a mistake (a typo, the wrong repo): an entry "ready" with 0 files would hide it.
  if (files.length === 0 && (include.length > 0 || exclude.length > 0)) {
    throw new MistudioError('InvalidInput', `No files in ${ref.repoId}@${echo(req.revision)} match ${describePatterns(include, exclude)}`, { repoId: ref.repoId });
  }
  // The listing check lets through names the cache cannot hold (control characters, over-long names, dot runs);
  // refuse them before any byte moves, not after the file was fetched and its link failed.
  for (const f of files) refuseUnsafePath(ref, f.path);
  const uniqueMissing = new Map<string, number>();
  for (const f of files) if (!f.cached) uniqueMissing.set(f.blobId, f.size);
  return {
    request: req,
    ref,
    revision: req.revision,
    commit: info.commit,
    info,
    files,
    allFiles,
    totalBytes: files.reduce((sum, f) => sum + f.size, 0),
    bytesToDownload: [...uniqueMissing.values()].reduce((a, b) => a + b, 0),
    freeBytes: await measureFreeSpace(cache.root),
    cacheRoot: cache.root,
  };
}

async function fromHub(hub: HubClient, ref: RepoRef, revision: string, signal: AbortSignal | undefined): Promise<{ info: RepoInfo; listing: readonly RepoFile[] }> {
  const info = await hub.repoInfo(ref, revision, signal);
  return { info, listing: await hub.listFiles(ref, info.commit, signal) };
}

/** Offline mode: the revision as the cache knows it; what it does not hold cannot be planned. */
async function fromCache(cache: HfCache, ref: RepoRef, revision: string): Promise<{ info: RepoInfo; listing: readonly RepoFile[] }> {
  const snapshot = await readCachedSnapshot(cache, ref, revision);
  if (!snapshot) {
    throw new MistudioError('Offline', `${ref.repoId}@${echo(revision)} is not in the cache and offline mode (HF_HUB_OFFLINE or the mistudio.offline setting) is on`, {
      repoId: ref.repoId,
    });
  }
  const info: RepoInfo = { ref, commit: snapshot.commit, gated: false, private: false, downloads: 0, likes: 0, tags: [] };
  return { info, listing: snapshot.files };
}

/** The patterns as the CLI spells them, a few at most, each cut short: "--include '*.gguf' --exclude 'x*'". */
function describePatterns(include: readonly string[], exclude: readonly string[]): string {
  const shown = (flag: string, patterns: readonly string[]): string[] => {
    const listed = patterns.slice(0, 3).map((p) => `${flag} '${echo(p, 60)}'`);
    return patterns.length > 3 ? [...listed, `(+${patterns.length - 3} more)`] : listed;
  };
  return [...shown('--include', include), ...shown('--exclude', exclude)].join(' ');
}

/** A planned file as the Hub listed it. */
export function toRepoFile(f: PlannedFile): RepoFile {
  return f.lfs ? { path: f.path, size: f.size, oid: f.gitOid, lfs: { sha256: f.blobId, size: f.size } } : { path: f.path, size: f.size, oid: f.gitOid };
}

function refuseUnsafePath(ref: RepoRef, filePath: string): void {
  try {
    safeRepoPath(filePath);
  } catch (err) {
    if (!isMistudioError(err)) throw err;
    throw new MistudioError('UnsafePath', `Refusing a file from ${ref.repoId}: ${err.message}`, { repoId: ref.repoId, path: filePath }, { cause: err });
  }
}
