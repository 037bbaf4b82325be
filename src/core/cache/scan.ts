import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { throwIfAborted } from '../errors';
import type { CacheRepoKind } from '../repo';
import { errnoCode, ioError, lstatOrUndefined, readdirOrEmpty, statOrUndefined } from './fsUtil';
import { IGNORED_NAMES, LAYOUT, isInside, parsePartialName, parseRepoFolderName, type PartialOwner } from './paths';

export type CachedRepoKind = CacheRepoKind;

export interface CachedFile {
  /** Repo-relative posix path, e.g. "tokenizer/vocab.txt". */
  path: string;
  /** The blob the snapshot entry stands for; the snapshot file itself when it is a real file (copy fallback). */
  blobPath: string;
  size: number;
}

export interface CachedRevision {
  commit: string;
  refs: string[];
  snapshotPath: string;
  /** Bytes of the distinct blobs this revision uses (hard links to one file count once). */
  sizeOnDisk: number;
  nbFiles: number;
  /** Empty when the scan ran without `withFiles`. */
  files: CachedFile[];
  /** Milliseconds since the epoch: newest blob mtime, or the snapshot folder's when it is empty. */
  lastModified: number;
}

export interface CachedPartial {
  /** Absolute path of the `*.incomplete` file. */
  path: string;
  size: number;
  /** The blob it will become. */
  blobId: string;
  /** Who wrote it, by its name: ours (`.mistudio.incomplete`), huggingface_hub's, or legacy `<id>.incomplete`. */
  owner: PartialOwner;
}

export interface CachedRepo {
  kind: CachedRepoKind;
  repoId: string;
  path: string;
  /** Bytes of the distinct blobs used by any revision: a blob shared by revisions (or hard-linked) counts once. */
  sizeOnDisk: number;
  /** Number of distinct blobs used by any revision (huggingface_hub's nb_files). */
  nbFiles: number;
  /** Milliseconds since the epoch, from the blobs (or the repo folder when it has none). */
  lastAccessed: number;
  lastModified: number;
  revisions: CachedRevision[];
  /** blobs/*.incomplete left by downloads in progress or interrupted (our range journals are counted in `size`). */
  partialFiles: CachedPartial[];
  /** Every ref file: revision name ("main", "refs/pr/1") → commit. */
  refs: Record<string, string>;
  /** Commits whose deletion was interrupted; finishInterruptedDeletes (or deleteRevision) completes them. */
  interruptedDeletes: string[];
}

export interface CacheScan {
  root: string;
  repos: CachedRepo[];
  warnings: string[];
  /** Sum of the repos' sizes, like huggingface_hub's scan_cache_dir and @huggingface/hub's scanCacheDir. */
  sizeOnDisk: number;
  /** Snapshot entries seen (files, links), over every revision. */
  filesScanned: number;
}

export interface ScanProgress {
  readonly reposDone: number;
  readonly reposTotal: number;
  readonly filesScanned: number;
}

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Keep every revision's file list (default true). A view of a million-file cache needs only the totals. */
  readonly withFiles?: boolean;
  /** Each repo as soon as it is scanned (in folder order), for a first screen long before the scan ends. */
  readonly onRepo?: (repo: CachedRepo, progress: ScanProgress) => void;
}

const SHARED_BLOBS_MARKER = '.huggingface-shared-blobs';
/**
 * The scan runs synchronous file-system calls in slices of at most this long, then lets the event loop run. A
 * synchronous readlink or stat costs a few microseconds; through libuv's thread pool the same call costs ten times
 * that in hand-offs (measured in bench/analysis.md), and a million-file cache makes two million of them.
 */
const SLICE_MS = 8;

/**
 * Reads the cache the way huggingface_hub's scan_cache_dir does (recursive snapshots, nested refs, blob sizes
 * counted once per repo). Where Python gives up on a whole repo for one oddity, this keeps the repo and
 * reports the oddity, so the user can still see and free it. Read-only: it never writes or deletes.
 *
 * Built for caches of a million files: one `readlink` per snapshot link and one `stat` per distinct blob, made
 * synchronously in short slices so the event loop (the extension host's) never waits more than a slice, each repo
 * reported as soon as it is read, and no per-file objects kept unless `withFiles`.
 */
export async function scanCache(root: string, options: ScanOptions | AbortSignal = {}): Promise<CacheScan> {
  const { signal, withFiles = true, onRepo } = options instanceof AbortSignal ? { signal: options } : options;
  const rootPath = path.resolve(root);
  const scan: CacheScan = { root: rootPath, repos: [], warnings: [], sizeOnDisk: 0, filesScanned: 0 };
  throwIfAborted(signal);
  const rootStat = await statOrUndefined(rootPath);
  if (rootStat === undefined) return scan;
  if (!rootStat.isDirectory()) {
    scan.warnings.push(`Cache root is not a folder: ${rootPath}`);
    return scan;
  }
  const realRoot = await fs.realpath(rootPath).catch(() => rootPath);
  const found: Array<{ entryPath: string; kind: CachedRepoKind; repoId: string }> = [];
  for (const name of (await readdirOrEmpty(rootPath)).sort()) {
    if (IGNORED_NAMES.has(name) || name === LAYOUT.locks || name === 'CACHEDIR.TAG') continue;
    const entryPath = path.join(rootPath, name);
    if (name === LAYOUT.blobs && (await lstatOrUndefined(path.join(entryPath, SHARED_BLOBS_MARKER)))?.isFile()) continue;
    const ref = parseRepoFolderName(name);
    if (ref === undefined) {
      scan.warnings.push(`Not a Hugging Face cache repo folder: ${entryPath}`);
      continue;
    }
    found.push({ entryPath, ...ref });
  }

  const slicer = new Slicer(signal);
  const context: RepoContext = { roots: [rootPath, realRoot], warnings: scan.warnings, withFiles, slicer };
  for (const [index, { entryPath, kind, repoId }] of found.entries()) {
    await slicer.pause();
    const st = statSyncOrUndefined(entryPath);
    if (!st?.isDirectory()) {
      scan.warnings.push(`Repo path is not a folder: ${entryPath}`);
      continue;
    }
    try {
      const { repo, files } = await scanRepo(entryPath, kind, repoId, context);
      scan.repos.push(repo);
      scan.filesScanned += files;
      onRepo?.(repo, { reposDone: index + 1, reposTotal: found.length, filesScanned: scan.filesScanned });
    } catch (err) {
      if (signal?.aborted) throw err;
      scan.warnings.push(`Cannot read ${entryPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throwIfAborted(signal);
  scan.sizeOnDisk = scan.repos.reduce((sum, r) => sum + r.sizeOnDisk, 0);
  return scan;
}

/** Lets the event loop run once a slice of synchronous work is used up; checks for a cancel each time. */
class Slicer {
  private sliceStart = performance.now();
  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Cheap when the slice has time left (the common case): no promise is made. */
  pause(): Promise<void> | void {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      throwIfAborted(this.signal);
      this.sliceStart = performance.now();
    });
  }
}

interface RepoContext {
  readonly roots: readonly string[];
  readonly warnings: string[];
  readonly withFiles: boolean;
  readonly slicer: Slicer;
}

/** One stat per blob path however many snapshot files link to it, shared by the repo's revisions. */
type BlobStats = Map<string, Stats | undefined>;

async function scanRepo(repoPath: string, kind: CachedRepoKind, repoId: string, context: RepoContext): Promise<{ repo: CachedRepo; files: number }> {
  const { warnings, slicer } = context;
  const snapshotsPath = path.join(repoPath, LAYOUT.snapshots);
  const refsPath = path.join(repoPath, LAYOUT.refs);
  const blobsPath = path.join(repoPath, LAYOUT.blobs);

  const refs: Record<string, string> = {};
  const refsByCommit = new Map<string, string[]>();
  const refsStat = statSyncOrUndefined(refsPath);
  if (refsStat !== undefined && !refsStat.isDirectory()) warnings.push(`Refs folder is a file: ${refsPath}`);
  if (refsStat?.isDirectory()) {
    for (const { rel } of listEntriesSync(refsPath)) {
      const commit = readFileSync(path.join(refsPath, ...rel.split('/')), 'utf8').trim();
      refs[rel] = commit;
      refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), rel]);
    }
  }

  const blobStats: BlobStats = new Map();
  const revisions: CachedRevision[] = [];
  let files = 0;
  const snapshotsStat = statSyncOrUndefined(snapshotsPath);
  if (!snapshotsStat?.isDirectory()) warnings.push(`Snapshots folder missing in cached repo: ${snapshotsPath}`);
  for (const commit of snapshotsStat?.isDirectory() ? readdirSyncOrEmpty(snapshotsPath).sort() : []) {
    await slicer.pause();
    if (IGNORED_NAMES.has(commit)) continue;
    const revisionPath = path.join(snapshotsPath, commit);
    const revisionStat = statSyncOrUndefined(revisionPath);
    if (!revisionStat?.isDirectory()) {
      warnings.push(`Snapshots folder corrupted, found a file: ${revisionPath}`);
      continue;
    }
    const revision = await scanRevision(repoPath, revisionPath, commit, refsByCommit.get(commit) ?? [], revisionStat, blobStats, context);
    revisions.push(revision.revision);
    files += revision.entries;
  }

  for (const [commit, names] of refsByCommit) {
    if (!revisions.some((r) => r.commit === commit)) {
      warnings.push(`Ref(s) ${names.join(', ')} point to commit "${commit}" which is not in the cache (${repoPath})`);
    }
  }

  const partialFiles = scanPartials(blobsPath);

  const trashPath = path.join(repoPath, LAYOUT.trash);
  const interruptedDeletes = [...new Set(readdirSyncOrEmpty(trashPath).map((n) => n.slice(0, 40)))].sort();
  if (interruptedDeletes.length > 0) warnings.push(`Interrupted delete of ${interruptedDeletes.join(', ')} in ${repoPath}: run the delete again to finish it`);

  const stats = [...blobStats.values()].filter((st): st is Stats => st?.isFile() === true);
  const repoStat = stats.length === 0 ? statSync(repoPath) : undefined;
  return {
    files,
    repo: {
      kind,
      repoId,
      path: repoPath,
      sizeOnDisk: distinctBytes(stats),
      nbFiles: stats.length,
      lastAccessed: repoStat?.atimeMs ?? maxOf(stats.map((s) => s.atimeMs)),
      lastModified: repoStat?.mtimeMs ?? maxOf(stats.map((s) => s.mtimeMs)),
      revisions,
      partialFiles,
      refs,
      interruptedDeletes,
    },
  };
}

async function scanRevision(
  repoPath: string,
  revisionPath: string,
  commit: string,
  refs: string[],
  revisionStat: Stats,
  blobStats: BlobStats,
  context: RepoContext,
): Promise<{ revision: CachedRevision; entries: number }> {
  const { roots, warnings, withFiles, slicer } = context;
  const blobsDir = path.join(repoPath, LAYOUT.blobs);
  const files: CachedFile[] = [];
  const used = new Map<string, Stats>();
  let nbFiles = 0;
  const entries = listEntriesSync(revisionPath);
  for (const { rel, dirent } of entries) {
    await slicer.pause();
    const filePath = path.join(revisionPath, ...rel.split('/'));
    let blobPath = filePath;
    if (dirent.isSymbolicLink()) {
      // huggingface_hub keeps the first hop when it lands in this repo's blobs/ (that entry may itself link to the
      // cache-wide shared store); any other link is resolved fully.
      const target = readlinkSyncOrUndefined(filePath);
      const firstHop = target === undefined ? filePath : path.resolve(path.dirname(filePath), target);
      blobPath = path.dirname(firstHop) === blobsDir ? firstHop : realpathSyncOr(filePath, firstHop);
      if (!isInside(repoPath, firstHop) && !roots.some((r) => isInside(r, blobPath))) {
        warnings.push(`Snapshot file links outside the cache: ${filePath} -> ${blobPath}`);
      }
    }
    let blobStat = blobStats.get(blobPath);
    if (!blobStats.has(blobPath)) {
      blobStat = statSyncOrUndefined(blobPath);
      blobStats.set(blobPath, blobStat);
    }
    // A link to a folder is neither a file nor something to descend into.
    if (blobStat?.isDirectory() && dirent.isSymbolicLink()) continue;
    if (blobStat === undefined || !blobStat.isFile()) {
      warnings.push(`Blob missing (broken symlink): ${filePath}`);
      continue;
    }
    used.set(blobPath, blobStat);
    nbFiles++;
    if (withFiles) files.push({ path: rel, blobPath, size: blobStat.size });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const usedStats = [...used.values()];
  return {
    entries: entries.length,
    revision: {
      commit,
      refs: [...refs].sort(),
      snapshotPath: revisionPath,
      sizeOnDisk: distinctBytes(usedStats),
      nbFiles,
      files,
      lastModified: usedStats.length > 0 ? maxOf(usedStats.map((s) => s.mtimeMs)) : revisionStat.mtimeMs,
    },
  };
}

function scanPartials(blobsPath: string): CachedPartial[] {
  const partials: CachedPartial[] = [];
  for (const name of readdirSyncOrEmpty(blobsPath).sort()) {
    const parsed = parsePartialName(name);
    if (parsed === undefined) continue;
    const partialPath = path.join(blobsPath, name);
    const st = lstatSyncOrUndefined(partialPath);
    if (!st?.isFile()) continue;
    // Our range journal is part of the partial: it goes (and frees) with it.
    const journal = parsed.owner === 'ours' ? lstatSyncOrUndefined(`${partialPath}.ranges`) : undefined;
    partials.push({ path: partialPath, size: st.size + (journal?.isFile() ? journal.size : 0), ...parsed });
  }
  return partials;
}

/** Bytes of distinct files: hard links to one inode count once. */
function distinctBytes(stats: readonly Stats[]): number {
  const seen = new Map<string, number>();
  for (const st of stats) seen.set(`${st.dev}:${st.ino}`, st.size);
  let total = 0;
  for (const size of seen.values()) total += size;
  return total;
}

function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** Every non-folder entry below `dir` with its repo-relative posix path (links included, not followed). */
function listEntriesSync(dir: string): Array<{ rel: string; dirent: Dirent }> {
  const out: Array<{ rel: string; dirent: Dirent }> = [];
  const walk = (current: string, prefix: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      if (IGNORED_NAMES.has(entry.name)) continue;
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(path.join(current, entry.name), rel);
      else out.push({ rel, dirent: entry });
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Repo-relative posix paths of every non-folder entry below `dir`, sorted. Does not enter symlinked folders (a link
 * to a folder is neither a file nor something to descend into).
 */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const { rel, dirent } of listEntriesSync(dir)) {
    if (dirent.isSymbolicLink() && statSyncOrUndefined(path.join(dir, ...rel.split('/')))?.isDirectory()) continue;
    out.push(rel);
  }
  return out.sort();
}

const GONE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

function statSyncOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (err) {
    if (GONE.has(errnoCode(err) ?? '')) return undefined;
    throw ioError(`Cannot read ${p}`, err, p);
  }
}

function lstatSyncOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    if (GONE.has(errnoCode(err) ?? '')) return undefined;
    throw ioError(`Cannot read ${p}`, err, p);
  }
}

function readdirSyncOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw ioError(`Cannot list ${dir}`, err, dir);
  }
}

function readlinkSyncOrUndefined(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

function realpathSyncOr(p: string, fallback: string): string {
  try {
    return realpathSync(p);
  } catch {
    return fallback;
  }
}
