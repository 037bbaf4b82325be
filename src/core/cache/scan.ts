import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { throwIfAborted } from '../errors';
import type { RepoKind } from '../repo';
import { errnoCode, lstatOrUndefined, readdirOrEmpty, statOrUndefined } from './fsUtil';
import { IGNORED_NAMES, LAYOUT, isInside, parseRepoFolderName } from './paths';

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
  /** Bytes of the distinct blobs this revision uses. */
  sizeOnDisk: number;
  nbFiles: number;
  files: CachedFile[];
  /** Milliseconds since the epoch: newest blob mtime, or the snapshot folder's when it is empty. */
  lastModified: number;
}

export interface CachedRepo {
  kind: RepoKind;
  repoId: string;
  path: string;
  /** Bytes of the distinct blobs used by any revision: a blob shared by revisions counts once. */
  sizeOnDisk: number;
  /** Number of distinct blobs used by any revision (huggingface_hub's nb_files). */
  nbFiles: number;
  /** Milliseconds since the epoch, from the blobs (or the repo folder when it has none). */
  lastAccessed: number;
  lastModified: number;
  revisions: CachedRevision[];
  /** blobs/*.incomplete left by downloads in progress or interrupted; `path` is absolute. */
  partialFiles: Array<{ path: string; size: number }>;
  /** Every ref file: revision name ("main", "refs/pr/1") → commit. */
  refs: Record<string, string>;
  /** Commits whose deletion was interrupted; finishInterruptedDeletes (or deleteRevision) completes them. */
  interruptedDeletes: string[];
}

export interface CacheScan {
  root: string;
  repos: CachedRepo[];
  warnings: string[];
  /** Sum of the repos' sizes, like @huggingface/hub's scanCacheDir. */
  sizeOnDisk: number;
}

const SHARED_BLOBS_MARKER = '.huggingface-shared-blobs';

/**
 * Reads the cache the way huggingface_hub's scan_cache_dir does (recursive snapshots, nested refs, blob sizes
 * counted once per repo). Where Python gives up on a whole repo for one oddity, this keeps the repo and
 * reports the oddity, so the user can still see and free it. Read-only: it never writes or deletes.
 */
export async function scanCache(root: string, signal?: AbortSignal): Promise<CacheScan> {
  const rootPath = path.resolve(root);
  const scan: CacheScan = { root: rootPath, repos: [], warnings: [], sizeOnDisk: 0 };
  throwIfAborted(signal);
  const rootStat = await statOrUndefined(rootPath);
  if (rootStat === undefined) return scan;
  if (!rootStat.isDirectory()) {
    scan.warnings.push(`Cache root is not a folder: ${rootPath}`);
    return scan;
  }
  const realRoot = await fs.realpath(rootPath).catch(() => rootPath);
  const names = (await readdirOrEmpty(rootPath)).sort();
  for (const name of names) {
    throwIfAborted(signal);
    if (IGNORED_NAMES.has(name) || name === LAYOUT.locks || name === 'CACHEDIR.TAG') continue;
    const entryPath = path.join(rootPath, name);
    if (name === LAYOUT.blobs && (await lstatOrUndefined(path.join(entryPath, SHARED_BLOBS_MARKER)))?.isFile()) continue;
    const ref = parseRepoFolderName(name);
    if (ref === undefined) {
      // Spaces are valid caches we do not manage; anything else is worth a word, as in huggingface_hub.
      if (!name.startsWith('spaces--')) scan.warnings.push(`Not a Hugging Face cache repo folder: ${entryPath}`);
      continue;
    }
    const st = await statOrUndefined(entryPath);
    if (!st?.isDirectory()) {
      scan.warnings.push(`Repo path is not a folder: ${entryPath}`);
      continue;
    }
    try {
      const repo = await scanRepo(entryPath, ref.kind, ref.repoId, [rootPath, realRoot], scan.warnings, signal);
      scan.repos.push(repo);
      scan.sizeOnDisk += repo.sizeOnDisk;
    } catch (err) {
      if (signal?.aborted) throw err;
      scan.warnings.push(`Cannot read ${entryPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return scan;
}

async function scanRepo(
  repoPath: string,
  kind: RepoKind,
  repoId: string,
  roots: readonly string[],
  warnings: string[],
  signal?: AbortSignal,
): Promise<CachedRepo> {
  const snapshotsPath = path.join(repoPath, LAYOUT.snapshots);
  const refsPath = path.join(repoPath, LAYOUT.refs);
  const blobsPath = path.join(repoPath, LAYOUT.blobs);

  const refs: Record<string, string> = {};
  const refsByCommit = new Map<string, string[]>();
  const refsStat = await statOrUndefined(refsPath);
  if (refsStat !== undefined && !refsStat.isDirectory()) warnings.push(`Refs folder is a file: ${refsPath}`);
  if (refsStat?.isDirectory()) {
    for (const name of await listFilesRecursive(refsPath)) {
      const commit = (await fs.readFile(path.join(refsPath, ...name.split('/')), 'utf8')).trim();
      refs[name] = commit;
      refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), name]);
    }
  }

  const blobStats = new Map<string, Stats>();
  const revisions: CachedRevision[] = [];
  const snapshotsStat = await statOrUndefined(snapshotsPath);
  if (!snapshotsStat?.isDirectory()) warnings.push(`Snapshots folder missing in cached repo: ${snapshotsPath}`);
  for (const commit of snapshotsStat?.isDirectory() ? (await readdirOrEmpty(snapshotsPath)).sort() : []) {
    throwIfAborted(signal);
    if (IGNORED_NAMES.has(commit)) continue;
    const revisionPath = path.join(snapshotsPath, commit);
    const revisionStat = await statOrUndefined(revisionPath);
    if (!revisionStat?.isDirectory()) {
      warnings.push(`Snapshots folder corrupted, found a file: ${revisionPath}`);
      continue;
    }
    revisions.push(await scanRevision(repoPath, roots, revisionPath, commit, refsByCommit.get(commit) ?? [], revisionStat, blobStats, warnings));
  }

  for (const [commit, names] of refsByCommit) {
    if (!revisions.some((r) => r.commit === commit)) {
      warnings.push(`Ref(s) ${names.join(', ')} point to commit "${commit}" which is not in the cache (${repoPath})`);
    }
  }

  const partialFiles: Array<{ path: string; size: number }> = [];
  for (const name of (await readdirOrEmpty(blobsPath)).sort()) {
    if (!name.endsWith(LAYOUT.incompleteSuffix)) continue;
    const st = await lstatOrUndefined(path.join(blobsPath, name));
    if (st?.isFile()) partialFiles.push({ path: path.join(blobsPath, name), size: st.size });
  }

  const trashPath = path.join(repoPath, LAYOUT.trash);
  const interruptedDeletes = [...new Set((await readdirOrEmpty(trashPath)).map((n) => n.slice(0, 40)))].sort();
  if (interruptedDeletes.length > 0) warnings.push(`Interrupted delete of ${interruptedDeletes.join(', ')} in ${repoPath}: run the delete again to finish it`);

  const stats = [...blobStats.values()];
  const repoStat = stats.length === 0 ? await fs.stat(repoPath) : undefined;
  return {
    kind,
    repoId,
    path: repoPath,
    sizeOnDisk: stats.reduce((sum, s) => sum + s.size, 0),
    nbFiles: stats.length,
    lastAccessed: repoStat?.atimeMs ?? Math.max(...stats.map((s) => s.atimeMs)),
    lastModified: repoStat?.mtimeMs ?? Math.max(...stats.map((s) => s.mtimeMs)),
    revisions,
    partialFiles,
    refs,
    interruptedDeletes,
  };
}

async function scanRevision(
  repoPath: string,
  roots: readonly string[],
  revisionPath: string,
  commit: string,
  refs: string[],
  revisionStat: Stats,
  blobStats: Map<string, Stats>,
  warnings: string[],
): Promise<CachedRevision> {
  const blobsDir = path.join(repoPath, LAYOUT.blobs);
  const files: CachedFile[] = [];
  const used = new Map<string, Stats>();
  for (const rel of await listFilesRecursive(revisionPath)) {
    const filePath = path.join(revisionPath, ...rel.split('/'));
    const st = await fs.lstat(filePath);
    let blobPath = filePath;
    if (st.isSymbolicLink()) {
      // huggingface_hub keeps the first hop when it lands in this repo's blobs/ (that entry may itself link to the
      // cache-wide shared store); any other link is resolved fully.
      const firstHop = path.resolve(path.dirname(filePath), await fs.readlink(filePath));
      blobPath = path.dirname(firstHop) === blobsDir ? firstHop : await fs.realpath(filePath).catch(() => firstHop);
      if (!isInside(repoPath, firstHop) && !roots.some((r) => isInside(r, blobPath))) {
        warnings.push(`Snapshot file links outside the cache: ${filePath} -> ${blobPath}`);
      }
    }
    const blobStat = blobStats.get(blobPath) ?? (await statOrUndefined(blobPath));
    if (blobStat === undefined || !blobStat.isFile()) {
      warnings.push(`Blob missing (broken symlink): ${filePath}`);
      continue;
    }
    blobStats.set(blobPath, blobStat);
    used.set(blobPath, blobStat);
    files.push({ path: rel, blobPath, size: blobStat.size });
  }
  const usedStats = [...used.values()];
  return {
    commit,
    refs: [...refs].sort(),
    snapshotPath: revisionPath,
    sizeOnDisk: usedStats.reduce((sum, s) => sum + s.size, 0),
    nbFiles: files.length,
    files,
    lastModified: usedStats.length > 0 ? Math.max(...usedStats.map((s) => s.mtimeMs)) : revisionStat.mtimeMs,
  };
}

/**
 * Repo-relative posix paths of every non-folder entry below `dir`, sorted. Walks with lstat and does not enter
 * symlinked folders (a link to a folder is neither a file nor something to descend into).
 */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      if (IGNORED_NAMES.has(entry.name)) continue;
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        await walk(full, rel);
      } else if (entry.isSymbolicLink()) {
        const target = await statOrUndefined(full);
        if (!target?.isDirectory()) out.push(rel);
      } else {
        out.push(rel);
      }
    }
  };
  await walk(dir, '');
  return out.sort();
}
