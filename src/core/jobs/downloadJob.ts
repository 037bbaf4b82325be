import { promises as fs } from 'node:fs';
import { ensureTreeCache, type BlobLock, type HfCache } from '../cache';
import type { Catalog, CatalogEntry, EntryFile, NewEntryFile } from '../catalog';
import { MistudioError, describeError, isCancellation, throwIfAborted } from '../errors';
import { formatBytes, ProgressTracker } from '../progress';
import { offlineError, readCachedMetadata, snapshotSource, type HubClient } from '../hub';
import type { RepoMetadata } from '../metadata';
import type { RepoRef } from '../repo';
import { fileHashMatches, type DownloadFileOptions, type DownloadResult, type ExpectedHash } from '../transfer';
import { resolveNetworkLimits } from '../net/limits';
import type { DownloadPlan, Logger, StudioSettings, TransferTuning } from '../studioTypes';
import { forEachConcurrently } from '../concurrency';
import { planDownload, treeListingOf, type RevisionListing } from './plan';

export interface DownloadJobDeps {
  readonly catalog: Catalog;
  readonly cache: HfCache;
  readonly hub: HubClient;
  readonly token: string | undefined;
  readonly settings: StudioSettings;
  readonly logger: Logger;
  readonly downloadFile: (options: DownloadFileOptions) => Promise<DownloadResult>;
  readonly dispatcher?: DownloadFileOptions['dispatcher'];
  readonly userAgent?: string;
  readonly freeSpace?: (dir: string) => Promise<number>;
  readonly transfer?: TransferTuning;
  /**
   * One writer per blob: across entries (two revisions sharing a file), our other processes and huggingface_hub
   * (its `.locks/<repo>/<blob>.lock`).
   */
  readonly withBlobLock: BlobLock;
  /**
   * Records that this entry holds these files of the commit (cache/holders.ts), so a delete in another catalog keeps
   * them; called before the first link and again once the entry is ready.
   */
  readonly holdFiles: (ref: RepoRef, commit: string, entry: { readonly revision: string; readonly paths: readonly string[] }) => Promise<void>;
  /** Adopting what the cache holds (offline for this job only): a file that would need fetching is damaged. */
  readonly fromCache?: boolean;
  /**
   * The listing a plan made moments ago for this revision (Studio.plan, kept for the download it confirms), so the
   * job does not ask the Hub for repo info and the whole tree a second time; undefined: plan from the Hub.
   */
  readonly plannedListing?: (ref: RepoRef, revision: string) => RevisionListing | undefined;
  /**
   * Called once as the download starts (before planning, so a rate limit met while planning shows), with the tracker
   * whose total is set once the plan is known, so the shell can show live progress.
   */
  readonly onTracker: (tracker: ProgressTracker) => void;
}

/** How often per-file resume state and the entry's byte count reach the catalog (the UI has live events). */
const PERSIST_INTERVAL_MS = 1_000;

/**
 * One download of one catalog entry, start to finish: plan, record the files, check the disk, move the bytes
 * (verified) into blobs, link the snapshot, write the ref, mark the entry ready. Throws on failure and on cancel;
 * the caller decides what the entry becomes.
 */
export async function runDownload(deps: DownloadJobDeps, entryId: string, signal: AbortSignal): Promise<CatalogEntry> {
  const entry = requireEntry(deps.catalog, entryId);
  // The tracker exists from the start, and every request of this job (metadata and transfers) reports a rate limit's
  // wait to it: the shells show "rate limited by the Hub, resuming in 48 s" while it lasts.
  const tracker = new ProgressTracker({ totalBytes: 0 });
  deps.onTracker(tracker);
  const hub = deps.hub.withServerWaitListener((wait) => (wait.rateLimited ? tracker.beginRateLimitWait(wait.ms) : () => undefined));
  const ref: RepoRef = { kind: entry.kind, repoId: entry.repoId };
  // One repo-info and one tree listing per download: the plan the user confirmed (Studio.plan) is reused if fresh.
  const known = hub.offline ? undefined : deps.plannedListing?.(ref, entry.revision);
  const plan = await planDownload(hub, deps.cache, {
    kind: entry.kind,
    repoId: entry.repoId,
    revision: entry.revision,
    include: entry.includePatterns,
    exclude: entry.excludePatterns,
  }, signal, deps.freeSpace, known);
  throwIfAborted(signal);

  // Everything this job starts (metadata reads, sibling transfers) stops with it: on the caller's abort, on the
  // first failure, and once it returns.
  const jobAbort = new AbortController();
  const onOuterAbort = (): void => jobAbort.abort(signal.reason);
  signal.addEventListener('abort', onOuterAbort, { once: true });
  try {
    return await transferAll({ ...deps, hub }, entryId, plan, jobAbort, tracker);
  } finally {
    signal.removeEventListener('abort', onOuterAbort);
    jobAbort.abort();
  }
}

async function transferAll(deps: DownloadJobDeps, entryId: string, plan: DownloadPlan, jobAbort: AbortController, tracker: ProgressTracker): Promise<CatalogEntry> {
  const { catalog, cache, logger } = deps;
  const signal = jobAbort.signal;
  let entry = requireEntry(catalog, entryId);
  const ref = plan.ref;

  // Keep what an earlier run left: resume state travels with the blob, whatever revision or path asked for it. A blob
  // stored under several paths is transferred once, so its state sits on one path (the first) and the others follow.
  const previous = resumeStateByBlob(catalog.getFiles(entryId));
  const carried = new Set<string>();
  const files: NewEntryFile[] = plan.files.map((f) => {
    const base = { path: f.path, size: f.size, blobId: f.blobId, sha256: f.lfs ? f.blobId : null, gitSha1: f.gitOid };
    if (f.cached) return { ...base, state: 'verified', bytesDone: f.size, doneRanges: [] };
    const old = carried.has(f.blobId) ? undefined : previous.get(f.blobId);
    carried.add(f.blobId);
    return old ? { ...base, state: old.state, bytesDone: old.bytesDone, doneRanges: old.doneRanges } : { ...base, state: 'pending', bytesDone: 0, doneRanges: [] };
  });
  const alreadyOnDisk = files.reduce((sum, f) => sum + (f.bytesDone ?? 0), 0);
  const needed = uniqueBlobBytes(files.filter((f) => f.state !== 'verified')) - alreadyOnDiskOfPending(files);
  if (needed > plan.freeBytes) {
    throw new MistudioError(
      'NoSpace',
      `Not enough disk space for ${entry.repoId} in ${cache.root}: ${formatBytes(needed)} needed, ${formatBytes(plan.freeBytes)} free`,
      { repoId: entry.repoId, neededBytes: needed, freeBytes: plan.freeBytes, path: cache.root },
    );
  }
  // Read once the files are in place (see readMetadataOnce): config.json and safetensors headers this download
  // fetched are read from the cache, not asked of the Hub again.
  const readMetadata = (): Promise<RepoMetadata | undefined> =>
    readMetadataOnce(deps, ref, plan, signal).catch((err: unknown): RepoMetadata | undefined => {
      if (!isCancellation(err)) logger.warn(`Metadata for ${entry.repoId}: ${describeError(err)}`);
      return undefined;
    });
  catalog.transaction(() => {
    catalog.setFiles(entryId, files);
    entry = catalog.updateEntry(entryId, {
      commit: plan.commit,
      status: 'downloading',
      bytesTotal: plan.totalBytes,
      bytesDone: alreadyOnDisk,
      fileCount: plan.files.length,
      errorCode: null,
      errorMessage: null,
      // An offline plan knows nothing of the Hub's facts (likes, license, gating): the entry keeps what it had.
      metadata: { ...entry.metadata, ...(deps.hub.offline ? {} : infoMetadata(plan)), totalSize: plan.allFiles.reduce((s, f) => s + f.size, 0) },
    });
  });
  logger.info(`${entry.repoId}@${entry.revision} → ${plan.commit.slice(0, 12)}: ${plan.files.length} files, ${formatBytes(plan.totalBytes)} (${formatBytes(plan.bytesToDownload)} to download)`);

  tracker.start(plan.totalBytes, alreadyOnDisk);
  await cache.ensureRepoLayout(ref);
  const holding = { revision: entry.revision, paths: plan.files.map((f) => f.path) };
  await deps.holdFiles(ref, plan.commit, holding);
  // huggingface_hub's listing of the commit, as it writes it once listed: its offline check then sees an include-
  // filtered or unfinished snapshot as incomplete. Offline our plan lists only what is cached, so nothing is written.
  if (!deps.hub.offline) {
    await ensureTreeCache(cache, ref, plan.commit, treeListingOf(plan.allFiles)).catch((err: unknown) => logger.warn(`Tree listing of ${entry.repoId}: ${describeError(err)}`));
  }

  // Files verified since the last write: recorded with the byte count, in one transaction about once a second, not
  // one per file. Losing them to a crash costs nothing: their blobs are in place, and the next plan finds them.
  const verifiedPaths: EntryFile[] = [];
  const persisted = new PersistThrottle(() => {
    const paths = verifiedPaths.splice(0);
    catalog.transaction(() => {
      for (const p of paths) catalog.updateFile(entryId, p.path, { state: 'verified', bytesDone: p.size, doneRanges: [] });
      catalog.updateEntry(entryId, { bytesDone: Math.min(tracker.snapshot().bytesDone, plan.totalBytes) });
    });
  });
  try {
    const byBlob = groupByBlob(catalog.getFiles(entryId));
    await forEachFileConcurrently([...byBlob.values()], deps.settings.maxConcurrentFiles, async (group) => {
      // The path that carries the blob's resume state (see above); the transfer checkpoints onto it.
      let file = group.find((f) => f.state === 'partial') ?? (group[0] as EntryFile);
      let endWait: (() => void) | undefined;
      try {
        // Transfer and link under the blob's lock (huggingface_hub's, across processes): the cleanup of another revision
        // takes it too, so it never frees a blob between our check and our link, and a download of the same blob by
        // another process or by Python finishes before we look — then we reuse its blob and send nothing.
        await deps.withBlobLock(
          ref,
          file.blobId,
          async () => {
            endWait?.();
            const present = await reusableBlob(deps, ref, file, signal);
            if (file.state === 'verified' && !present) {
              tracker.add(-file.size * group.length);
              file = { ...file, state: 'pending', bytesDone: 0, doneRanges: [] };
            }
            if (file.state !== 'verified') {
              if (present) {
                tracker.add(file.size - file.bytesDone);
                // Someone else finished it: what we had of it is of no more use.
                await cache.removeIncomplete(ref, [file.blobId]);
              } else {
                // Only a file worth resuming has an old partial worth finding (a small one is fetched again in moments).
                if (worthResumingAfterKill(file)) await cache.adoptLegacyPartial(ref, file.blobId);
                await transferFile(deps, ref, plan.commit, file, tracker, persisted, signal);
              }
              // The other paths of this blob were planned (and counted in the total) but need no bytes of their own.
              tracker.add(file.size * (group.length - 1));
              verifiedPaths.push(...group);
              persisted.maybe();
            }
            for (const f of group) await cache.linkSnapshotFile(ref, plan.commit, f.path, f.blobId, { deferDirSync: true });
          },
          { signal, onWait: () => (endWait = tracker.beginWait()) },
        );
      } catch (err) {
        jobAbort.abort(err);
        throw err;
      } finally {
        endWait?.();
      }
    });
  } catch (err) {
    if (!isCancellation(err)) await removeEmptyPartials(deps, ref, byBlobIds(catalog.getFiles(entryId)));
    throw err;
  } finally {
    persisted.flush();
  }
  throwIfAborted(signal);

  // The links (fsync'd once per folder, not per link) and the blobs' renames are durable before a ref or a ready
  // entry vouches for them.
  await cache.syncDirectories(ref);
  if (entry.revision !== plan.commit) await cache.writeRef(ref, entry.revision, plan.commit);
  await deps.holdFiles(ref, plan.commit, holding);
  const meta = await readMetadata();
  throwIfAborted(signal);
  tracker.complete();
  entry = catalog.updateEntry(entryId, {
    status: 'ready',
    bytesDone: plan.totalBytes,
    snapshotPath: cache.snapshotDir(ref, plan.commit),
    errorCode: null,
    errorMessage: null,
    ...(meta ? { metadata: { ...requireEntry(catalog, entryId).metadata, ...meta } } : {}),
  });
  logger.info(`${entry.repoId}@${entry.revision} ready: ${entry.snapshotPath ?? ''}`);
  return entry;
}

/**
 * Whether a file keeps a range journal beside its partial, so a killed process resumes it: not below 1 MiB (configs,
 * tokenizers, code), fetched in one request in moments — a journal (a file opened, written and deleted) costs more
 * than the bytes a kill would make us fetch again.
 */
function worthResumingAfterKill(file: EntryFile): boolean {
  return file.size >= 1024 * 1024;
}

/** Blobs at most this big are re-hashed before reuse (a few ms); bigger ones are checked by size, and by `verify`. */
const REHASH_ON_REUSE_BYTES = 1024 * 1024;

/**
 * Whether the blob already in the cache can stand for this file: a regular file of the listed size, and for small files
 * the right hash. A damaged one (truncated, replaced, a symlink) is fetched again and the fetch replaces it.
 */
async function reusableBlob(deps: DownloadJobDeps, ref: RepoRef, file: EntryFile, signal: AbortSignal): Promise<boolean> {
  const state = await deps.cache.blobState(ref, file.blobId, file.size);
  if (state === 'absent') return false;
  let intact = state === 'intact';
  if (intact && deps.settings.verifyChecksums && file.size <= REHASH_ON_REUSE_BYTES) {
    intact = await fileHashMatches(deps.cache.blobPath(ref, file.blobId), expectedHashOf(file), file.size, signal).catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      return false;
    });
  }
  if (!intact) deps.logger.warn(`${ref.repoId}/${file.path}: the cached blob ${file.blobId.slice(0, 12)} is damaged (wrong size, content or a symlink); fetching it again`);
  return intact;
}

function expectedHashOf(file: EntryFile): ExpectedHash {
  return file.sha256 ? { algorithm: 'sha256', hex: file.sha256 } : { algorithm: 'git-sha1', hex: file.gitSha1 };
}

async function transferFile(
  deps: DownloadJobDeps,
  ref: RepoRef,
  commit: string,
  file: EntryFile,
  tracker: ProgressTracker,
  persisted: PersistThrottle,
  signal: AbortSignal,
): Promise<void> {
  const { catalog, cache } = deps;
  // Offline, a blob that must be (re)fetched — damaged, or gone since the plan — fails instead of reaching out.
  if (deps.fromCache) {
    throw new MistudioError('ChecksumMismatch', `${file.path} of ${ref.repoId} is damaged in the cache (not the size or content its listing gives); Re-download fetches it again`, {
      repoId: ref.repoId,
      path: file.path,
    });
  }
  if (deps.hub.offline) throw offlineError(`${file.path} of ${ref.repoId}`);
  let doneRanges = file.doneRanges;
  const limits = resolveNetworkLimits(deps.settings.network);
  const result = await deps.downloadFile({
    url: deps.hub.fileUrl(ref, commit, file.path),
    source: { endpoint: deps.hub.endpoint, ref, revision: commit },
    ...(deps.token ? { token: deps.token } : {}),
    ...(deps.userAgent ? { headers: { 'user-agent': deps.userAgent } } : {}),
    partialPath: cache.incompletePath(ref, file.blobId),
    // Beside the partial, so it shares its lifecycle (cancel and cleanup remove both); scanners ignore it.
    ...(worthResumingAfterKill(file) ? { rangeJournalPath: cache.rangeJournalPath(ref, file.blobId) } : {}),
    finalPath: cache.blobPath(ref, file.blobId),
    size: file.size,
    ...(deps.settings.verifyChecksums ? { expectedHash: expectedHashOf(file) } : {}),
    resume: { doneRanges },
    connections: deps.settings.maxConnectionsPerFile,
    ...(deps.transfer?.stallTimeoutMs !== undefined ? { stallTimeoutMs: deps.transfer.stallTimeoutMs } : {}),
    throughputFloor: { minBytesPerSecond: limits.minBytesPerSecond, windowMs: limits.throughputWindowMs },
    onServerWait: (wait) => (wait.rateLimited ? tracker.beginRateLimitWait(wait.ms) : () => undefined),
    ...(deps.transfer?.retry ? { retry: deps.transfer.retry } : {}),
    ...(deps.transfer?.minPartBytes !== undefined ? { minPartBytes: deps.transfer.minPartBytes } : {}),
    ...(deps.transfer?.openFile ? { openFile: deps.transfer.openFile } : {}),
    signal,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    onProgress: (delta) => {
      tracker.add(delta);
      persisted.maybe();
    },
    onCheckpoint: (ranges) => {
      doneRanges = ranges;
      const bytesDone = ranges.reduce((sum, [a, b]) => sum + (b - a), 0);
      // Every byte is in: the file is recorded as verified in the next batch (a per-file write here cost 0.4 ms a file).
      if (bytesDone === file.size) return;
      if (catalog.getEntry(file.entryId)) catalog.updateFile(file.entryId, file.path, { state: 'partial', bytesDone, doneRanges: ranges });
    },
  });
  deps.logger.trace(`${ref.repoId}/${file.path}: ${formatBytes(result.bytesTransferred)} transferred, ${formatBytes(result.resumedBytes)} resumed${result.restarted ? ' (server ignored Range: restarted)' : ''}`);
}

/**
 * A failed download (gated, not found, out of retries) leaves the empty partials its transfers opened before the
 * first byte; they hold nothing to resume and would show as half-done files in every cache scan. Under the blob lock,
 * so a partial another entry is filling right now is never touched.
 */
async function removeEmptyPartials(deps: DownloadJobDeps, ref: RepoRef, blobIds: readonly string[]): Promise<void> {
  const isEmpty = async (partial: string): Promise<boolean> => {
    const st = await fs.stat(partial).catch(() => undefined);
    return st !== undefined && st.isFile() && st.size === 0;
  };
  for (const blobId of blobIds) {
    const partial = deps.cache.incompletePath(ref, blobId);
    // Checked first without the lock, so a failure never waits for another entry's long transfer of a shared blob.
    if (!(await isEmpty(partial))) continue;
    await deps
      .withBlobLock(ref, blobId, async () => {
        if (!(await isEmpty(partial))) return;
        await fs.rm(deps.cache.rangeJournalPath(ref, blobId), { force: true });
        await fs.unlink(partial);
      })
      .catch((err: unknown) => deps.logger.warn(`Removing an empty partial of ${ref.repoId}: ${describeError(err)}`));
  }
}

function byBlobIds(files: readonly EntryFile[]): string[] {
  return [...new Set(files.filter((f) => f.state !== 'verified').map((f) => f.blobId))];
}

/**
 * The transfer only knows a file URL; the user needs the repo and the page where access is granted (metadata is
 * public on gated repos, so this is usually the first place the gate shows).
 */
class PersistThrottle {
  private last = 0;
  constructor(private readonly write: () => void) {}
  maybe(): void {
    const now = Date.now();
    if (now - this.last >= PERSIST_INTERVAL_MS) {
      this.last = now;
      this.write();
    }
  }
  flush(): void {
    try {
      this.write();
    } catch {
      // The entry may be gone (deleted while downloading); nothing to persist then.
    }
  }
}

/** At or above this size a file is bandwidth-bound (and gets parallel ranges); below it, per-file work dominates. */
const LARGE_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Runs the blob groups with large files first (the longest transfers start at once) in `maxConcurrentFiles` lanes,
 * and the small ones beside them in twice as many: a small file is a few requests and syscalls, so more of them
 * in flight hide each other's round trips without adding bandwidth pressure.
 */
async function forEachFileConcurrently(
  groups: readonly EntryFile[][],
  maxConcurrentFiles: number,
  worker: (group: EntryFile[]) => Promise<void>,
): Promise<void> {
  const isLarge = (g: EntryFile[]): boolean => (g[0]?.size ?? 0) >= LARGE_FILE_BYTES;
  const large = groups.filter(isLarge).sort((a, b) => (b[0]?.size ?? 0) - (a[0]?.size ?? 0));
  const small = groups.filter((g) => !isLarge(g));
  const outcomes = await Promise.allSettled([
    forEachConcurrently(large, maxConcurrentFiles, worker),
    forEachConcurrently(small, 2 * maxConcurrentFiles, worker),
  ]);
  // The worker aborts the job on its first failure, so the other lane ends cancelled: report the real cause.
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  const cause = failures.find((e) => !isCancellation(e)) ?? failures[0];
  if (failures.length > 0) throw cause;
}

function requireEntry(catalog: Catalog, entryId: string): CatalogEntry {
  const entry = catalog.getEntry(entryId);
  if (!entry) throw new MistudioError('InvalidInput', `No catalog entry ${entryId}`);
  return entry;
}

function groupByBlob(files: readonly EntryFile[]): Map<string, EntryFile[]> {
  const groups = new Map<string, EntryFile[]>();
  for (const f of files) {
    const group = groups.get(f.blobId);
    if (group) group.push(f);
    else groups.set(f.blobId, [f]);
  }
  return groups;
}

function uniqueBlobBytes(files: readonly NewEntryFile[]): number {
  const sizes = new Map<string, number>();
  for (const f of files) sizes.set(f.blobId, f.size);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

function alreadyOnDiskOfPending(files: readonly NewEntryFile[]): number {
  const done = new Map<string, number>();
  for (const f of files) if (f.state !== 'verified') done.set(f.blobId, Math.max(done.get(f.blobId) ?? 0, f.bytesDone ?? 0));
  return [...done.values()].reduce((a, b) => a + b, 0);
}

/** Per blob, the unfinished file record with the most bytes on disk (a blob under several paths keeps one). */
function resumeStateByBlob(files: readonly EntryFile[]): Map<string, EntryFile> {
  const best = new Map<string, EntryFile>();
  for (const f of files) {
    if (f.state === 'verified') continue;
    const current = best.get(f.blobId);
    if (current === undefined || f.bytesDone > current.bytesDone) best.set(f.blobId, f);
  }
  return best;
}

/**
 * The catalog's metadata of the entry, read after its files are in place: offline (or adopting) from the cached
 * files alone; online from the Hub's info plus the model's files — from the cache where this download placed them
 * (one read of config.json and of each safetensors header per download), from the Hub for those it left out.
 */
function readMetadataOnce(deps: DownloadJobDeps, ref: RepoRef, plan: DownloadPlan, signal: AbortSignal): Promise<RepoMetadata> {
  const files = plan.allFiles;
  if (deps.hub.offline) return readCachedMetadata(deps.cache, ref, plan.commit, files, plan.info, signal);
  const local = { source: snapshotSource(deps.cache.snapshotDir(ref, plan.commit)), paths: new Set(plan.files.map((f) => f.path)) };
  return deps.hub.readMetadata(ref, plan.commit, files, plan.info, signal, local);
}

function infoMetadata(plan: { info: { gated: RepoMetadata['gated']; private: boolean; license?: string; pipelineTag?: string; downloads: number; likes: number; lastModified?: string } }): RepoMetadata {
  const i = plan.info;
  return {
    gated: i.gated,
    private: i.private,
    downloads: i.downloads,
    likes: i.likes,
    ...(i.license ? { license: i.license } : {}),
    ...(i.pipelineTag ? { pipelineTag: i.pipelineTag } : {}),
    ...(i.lastModified ? { lastModified: i.lastModified } : {}),
  };
}
