import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readTreeCache, scanCache, type CachedPartial, type CachedRepo, type CachedRevision, type HfCache, type Holders, type ScanProgress } from './cache';
import type { Catalog, EntryStatus } from './catalog';
import { forEachConcurrently } from './concurrency';
import { throwIfAborted } from './errors';
import type { CacheRepoRef, RepoRef } from './repo';

/** This workspace's catalog entry standing on a cached revision. */
export interface InventoryEntry {
  readonly entryId: string;
  readonly revision: string;
  readonly status: EntryStatus;
}

/** Another catalog on this machine (another workspace, the CLI's) holding files of a cached revision. */
export interface InventoryCatalog {
  /** That catalog's file. */
  readonly catalog: string;
  readonly revision: string;
}

export interface InventoryRevision extends Omit<CachedRevision, 'files'> {
  /** This catalog's entries on the commit (the catalog is the truth for its own entries). */
  readonly entries: readonly InventoryEntry[];
  /** Other catalogs' holder records of the commit; none and no entries means no catalog holds it (another tool). */
  readonly otherCatalogs: readonly InventoryCatalog[];
}

export interface InventoryPartial extends CachedPartial {
  /** A download that may still resume from it: one of this catalog's, or (per its holder record) another catalog's. */
  readonly heldBy: 'this-catalog' | 'other-catalog' | null;
}

export interface InventoryRepo extends Omit<CachedRepo, 'revisions' | 'partialFiles'> {
  readonly revisions: readonly InventoryRevision[];
  readonly partials: readonly InventoryPartial[];
}

export interface CacheInventory {
  readonly root: string;
  readonly repos: readonly InventoryRepo[];
  /** Sum of the repos' sizes (each repo counts a blob once), as `hf cache ls` totals it. */
  readonly sizeOnDisk: number;
  /** Bytes of every partial download, ours and other tools'. */
  readonly partialBytes: number;
  /** huggingface_hub's Xet chunk cache, apart from the hub cache; null when there is none. */
  readonly xet: { readonly path: string; readonly bytes: number; readonly files: number } | null;
  readonly warnings: readonly string[];
  readonly filesScanned: number;
}

export interface InventoryOptions {
  readonly signal?: AbortSignal;
  /** Each repo with its holders as soon as it is scanned, for a first screen long before a big cache is read. */
  readonly onRepo?: (repo: InventoryRepo, progress: ScanProgress) => void;
}

export interface InventoryDeps {
  readonly cache: HfCache;
  readonly catalog: Catalog;
  readonly holders: Holders;
  readonly xetRoot: string | null;
}

/**
 * Every repo of the Hugging Face cache — whoever put it there — with who holds each revision: this catalog's
 * entries, other catalogs' holder records, or nobody (another tool). Reads only.
 */
export async function readCacheInventory(deps: InventoryDeps, options: InventoryOptions = {}): Promise<CacheInventory> {
  const { signal, onRepo } = options;
  const pending: Array<Promise<void>> = [];
  const byPath = new Map<string, InventoryRepo>();
  const scan = await scanCache(deps.cache.root, {
    withFiles: false,
    ...(signal ? { signal } : {}),
    onRepo: (repo, progress) => {
      const done = withHolders(deps, repo, signal).then((inventoried) => {
        byPath.set(repo.path, inventoried);
        onRepo?.(inventoried, progress);
      });
      // Reported once all are in; a failure here is a failure of the whole read.
      done.catch(() => undefined);
      pending.push(done);
    },
  });
  await Promise.all(pending);
  const repos = scan.repos.map((r) => byPath.get(r.path)).filter((r): r is InventoryRepo => r !== undefined);
  const xet = deps.xetRoot === null ? null : await folderSize(deps.xetRoot, signal);
  return {
    root: scan.root,
    repos,
    sizeOnDisk: scan.sizeOnDisk,
    partialBytes: repos.reduce((sum, r) => sum + r.partials.reduce((s, p) => s + p.size, 0), 0),
    xet: xet && deps.xetRoot !== null ? { path: deps.xetRoot, ...xet } : null,
    warnings: scan.warnings,
    filesScanned: scan.filesScanned,
  };
}

async function withHolders(deps: InventoryDeps, repo: CachedRepo, signal: AbortSignal | undefined): Promise<InventoryRepo> {
  const { catalog, holders, cache } = deps;
  const { revisions: cachedRevisions, partialFiles, ...rest } = repo;
  const ref = catalogRef(repo);
  const entries = ref ? catalog.listEntries({ kind: ref.kind, repoId: ref.repoId }) : [];
  const otherPaths: Array<{ commit: string; paths: readonly string[] }> = [];
  const revisions: InventoryRevision[] = [];
  for (const revision of cachedRevisions) {
    throwIfAborted(signal);
    const { files: _files, ...summary } = revision;
    const records = ref && /^[0-9a-f]{40}$/.test(revision.commit) ? (await holders.scan(ref, revision.commit)).records : [];
    const others = records.filter((r) => r.catalog !== holders.catalogFile);
    otherPaths.push(...others.map((r) => ({ commit: revision.commit, paths: r.paths })));
    revisions.push({
      ...summary,
      entries: entries.filter((e) => e.commit === revision.commit).map((e) => ({ entryId: e.id, revision: e.revision, status: e.status })),
      otherCatalogs: others.map((r) => ({ catalog: r.catalog, revision: r.revision })),
    });
  }

  // A partial outlives its download only while someone may resume it: this catalog's unfinished entries, or a path
  // another catalog's record holds (its blob read from the commit's tree listing).
  const ours = new Set<string>();
  for (const e of entries) {
    if (e.status === 'ready') continue;
    for (const f of catalog.getFiles(e.id)) if (f.state !== 'verified') ours.add(f.blobId);
  }
  const theirs = new Set<string>();
  if (ref && partialFiles.length > 0) {
    for (const { commit, paths } of otherPaths) {
      const listing = await readTreeCache(cache, ref, commit).catch(() => undefined);
      for (const p of paths) {
        const listed = listing?.get(p);
        if (listed) theirs.add(listed.lfs?.sha256 ?? listed.blobId);
      }
    }
  }
  const partials = partialFiles.map((p) => ({ ...p, heldBy: ours.has(p.blobId) ? ('this-catalog' as const) : theirs.has(p.blobId) ? ('other-catalog' as const) : null }));
  return { ...rest, revisions, partials };
}

/** The repo as the catalog names it; Spaces are never catalog entries. */
function catalogRef(repo: CacheRepoRef): RepoRef | undefined {
  return repo.kind === 'space' ? undefined : { kind: repo.kind, repoId: repo.repoId };
}

/** Bytes and files below `dir` (hard links once), not following links; null when it does not exist. */
async function folderSize(dir: string, signal: AbortSignal | undefined): Promise<{ bytes: number; files: number } | null> {
  const top = await fs.lstat(dir).catch(() => undefined);
  if (!top?.isDirectory()) return null;
  const seen = new Map<string, number>();
  let files = 0;
  const walk = async (current: string): Promise<void> => {
    throwIfAborted(signal);
    const items: Dirent[] = await fs.readdir(current, { withFileTypes: true }).catch(() => []);
    const subdirs = items.filter((i) => i.isDirectory()).map((i) => path.join(current, i.name));
    const regular = items.filter((i) => i.isFile()).map((i) => path.join(current, i.name));
    await forEachConcurrently(regular, 16, async (file) => {
      const st = await fs.lstat(file).catch(() => undefined);
      if (!st?.isFile()) return;
      files++;
      seen.set(`${st.dev}:${st.ino}`, st.size);
    });
    for (const sub of subdirs) await walk(sub);
  };
  await walk(dir);
  let bytes = 0;
  for (const size of seen.values()) bytes += size;
  return { bytes, files };
}
