import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MistudioError } from '../errors';
import type { CacheRepoRef } from '../repo';
import type { HfCache } from './hfCache';
import { errnoCode, ioError, lstatOrUndefined, readdirOrEmpty, statOrUndefined } from './fsUtil';
import { IGNORED_NAMES, LAYOUT, repoFolderName, validateCommit } from './paths';
import { blobsUsedBy, contentOf, freedBytes, listFiles, listFilesIn, readBlobs, type SnapshotFile } from './snapshotContent';

export interface CleanupOptions {
  /** Also remove the repo's blobs/*.incomplete partials (only when no download of this repo still needs them). */
  readonly removePartials?: boolean;
  /** Blob ids whose partials must stay even when removePartials is set (downloads still running or paused). */
  readonly keepPartials?: readonly string[];
  /**
   * Runs the removal of one blob's partial, e.g. only if its blob lock is free (a partial another process is writing
   * is not ours to remove). Default: removes it.
   */
  readonly partialGate?: (blobId: string, remove: () => Promise<void>) => Promise<unknown>;
  /**
   * The deleted entry's own repo paths: only their links may go, and only those `heldPaths` does not list. Files of
   * the snapshot it never had (another tool's) stay, and with them the snapshot and its refs. Undefined: every file of
   * the snapshot is the entry's, as for `hf cache rm`.
   */
  readonly ownPaths?: readonly string[];
  /** Paths other holders (other catalogs, other entries of this one) still list: their links stay. */
  readonly heldPaths?: ReadonlySet<string>;
}

export interface CleanupPlan {
  ref: CacheRepoRef;
  commit: string;
  snapshotDir: string;
  /**
   * 'revision': the snapshot goes whole, with its refs, tree listing and negative cache (nothing in it stays).
   * 'files': only the links in pathsToRemove go; the snapshot and its refs stay for pathsKept.
   */
  scope: 'revision' | 'files';
  /** Snapshot files (repo paths) that go. */
  pathsToRemove: string[];
  /** Snapshot files that stay: other holders list them, or the deleted entry never had them. */
  pathsKept: string[];
  /** Ref names ("main", "refs/pr/1") that point at the commit. */
  refsToRemove: string[];
  /** Blob ids no other snapshot of the repo uses. */
  blobsToRemove: string[];
  /** Blob ids whose `.incomplete` partial goes too. */
  partialsToRemove: string[];
  /** Bytes the filesystem gets back (hard-linked data counts only when its last name goes). */
  freedBytes: number;
  /** Nothing of the repo is left afterwards, so its folder goes too. */
  removesRepo: boolean;
  /** Entries left alone and why, e.g. a snapshot link pointing outside the repo folder. */
  skipped: string[];
}

/** What would go, for the "Delete frees 1.2 GB" confirmation. Reads only. */
export async function planRevisionDelete(
  cache: HfCache,
  ref: CacheRepoRef,
  commit: string,
  options: CleanupOptions & { readonly signal?: AbortSignal } = {},
): Promise<CleanupPlan> {
  return (await inspect(cache, ref, commit, options, options.signal)).plan;
}

export interface Inspection {
  plan: CleanupPlan;
  /** The repo folder, realpath-resolved and confined to the realpath of the cache root; undefined when absent. */
  repo?: string;
  /** What goes whole: snapshots/<commit> (in 'revision' scope) and any trash/<commit>* an interrupted run left. */
  targets: string[];
  /** In 'files' scope, the snapshot entries to move aside, one by one. */
  moves: SnapshotFile[];
}

export async function inspect(cache: HfCache, ref: CacheRepoRef, commitIn: string, options: CleanupOptions, signal?: AbortSignal): Promise<Inspection> {
  const commit = validateCommit(commitIn);
  const folderName = repoFolderName(ref);
  const plan: CleanupPlan = {
    ref,
    commit,
    snapshotDir: path.join(cache.root, folderName, LAYOUT.snapshots, commit),
    scope: 'revision',
    pathsToRemove: [],
    pathsKept: [],
    refsToRemove: [],
    blobsToRemove: [],
    partialsToRemove: [],
    freedBytes: 0,
    removesRepo: false,
    skipped: [],
  };
  const realRoot = await realCacheRoot(cache.root);
  if (realRoot === undefined) return { plan, targets: [], moves: [] };
  const repo = path.join(realRoot, folderName);
  const repoStat = await lstatOrUndefined(repo);
  if (repoStat === undefined) return { plan, targets: [], moves: [] };
  if (repoStat.isSymbolicLink() || !repoStat.isDirectory()) {
    throw new MistudioError('UnsafePath', `Refusing to delete from ${repo}: it is a symlink or not a folder`, { path: repo, repoId: ref.repoId });
  }
  for (const sub of [LAYOUT.blobs, LAYOUT.snapshots, LAYOUT.refs, LAYOUT.trash, LAYOUT.noExist, LAYOUT.trees, LAYOUT.holders]) {
    const st = await lstatOrUndefined(path.join(repo, sub));
    if (st !== undefined && (st.isSymbolicLink() || !st.isDirectory())) {
      throw new MistudioError('UnsafePath', `Refusing to delete from ${repo}: ${sub} is a symlink or not a folder`, { path: path.join(repo, sub) });
    }
  }
  // Links may have been written through the root as configured (absolute ones) or relative to the real folder.
  const repoSpellings = [...new Set([repo, path.join(cache.root, folderName)])];

  const snapshotsDir = path.join(repo, LAYOUT.snapshots);
  const snapshot = path.join(snapshotsDir, commit);
  const trashDir = path.join(repo, LAYOUT.trash);
  const trashNames = await readdirOrEmpty(trashDir);
  const ownTrash = trashNames.filter((n) => n.slice(0, 40) === commit).map((n) => path.join(trashDir, n));
  const elsewhere = [
    ...(await readdirOrEmpty(snapshotsDir)).filter((n) => n !== commit && !IGNORED_NAMES.has(n)).map((n) => path.join(snapshotsDir, n)),
    ...trashNames.filter((n) => n.slice(0, 40) !== commit).map((n) => path.join(trashDir, n)),
  ];

  const present = (await lstatOrUndefined(snapshot))?.isDirectory() ? await listFiles(snapshot, repoSpellings, plan.skipped, signal) : [];
  const own = options.ownPaths === undefined ? undefined : new Set(options.ownPaths);
  const held = options.heldPaths ?? new Set<string>();
  const goes = present.filter((f) => (own === undefined || own.has(f.rel)) && !held.has(f.rel));
  const stays = present.filter((f) => !goes.includes(f));
  // OS clutter (.DS_Store) keeps no snapshot alive; it goes with the folder.
  plan.scope = stays.every((f) => IGNORED_NAMES.has(path.posix.basename(f.rel))) ? 'revision' : 'files';
  plan.pathsToRemove = (plan.scope === 'revision' ? present : goes).map((f) => f.rel).sort();
  plan.pathsKept = plan.scope === 'revision' ? [] : stays.map((f) => f.rel).sort();

  const snapshotExists = (await lstatOrUndefined(snapshot)) !== undefined;
  const targets = [...(plan.scope === 'revision' && snapshotExists ? [snapshot] : []), ...ownTrash];
  const moves = plan.scope === 'files' ? goes : [];
  const trashContent = await listFilesIn(ownTrash, repoSpellings, plan.skipped, signal);
  const deleted = contentOf([...(plan.scope === 'revision' ? present : goes), ...trashContent]);
  const kept = contentOf([...(plan.scope === 'files' ? stays : []), ...(await listFilesIn(elsewhere, repoSpellings, [], signal))]);
  const { blobs, partials } = await readBlobs(path.join(repo, LAYOUT.blobs));

  const inodeKey = (st: Stats): string => `${st.dev}:${st.ino}`;
  const keptInodes = new Set(kept.files.map((f) => inodeKey(f.stat)));
  const keptBlobs = new Set([...kept.linkedBlobs, ...blobs.filter((b) => keptInodes.has(inodeKey(b.stat))).map((b) => b.id)]);
  const usedByDeleted = await blobsUsedBy(deleted, path.join(repo, LAYOUT.blobs), blobs, signal);

  const keep = new Set(options.keepPartials ?? []);
  plan.partialsToRemove = options.removePartials ? partials.filter((p) => !keep.has(p.id)).map((p) => p.id) : [];
  const nothingElseLeft = plan.scope === 'revision' && elsewhere.length === 0 && plan.partialsToRemove.length === partials.length;
  // Deleting the last revision empties the repo like huggingface_hub's delete does, orphan blobs included. But
  // only when this call really deletes a snapshot: a blob without any snapshot may be a download's, committed
  // a moment before its link, and a delete of some absent commit must not sweep it away.
  plan.removesRepo = nothingElseLeft && (targets.length > 0 || blobs.length === 0);
  plan.blobsToRemove = blobs
    .filter((b) => (plan.removesRepo ? true : usedByDeleted.has(b.id) && !keptBlobs.has(b.id)))
    .map((b) => b.id)
    .sort();
  plan.refsToRemove = plan.scope === 'revision' ? await refsPointingAt(path.join(repo, LAYOUT.refs), commit, plan.skipped) : [];

  const removedBlobStats = blobs.filter((b) => plan.blobsToRemove.includes(b.id)).map((b) => b.stat);
  plan.freedBytes =
    freedBytes([...removedBlobStats, ...deleted.files.map((f) => f.stat)]) +
    partials.filter((p) => plan.partialsToRemove.includes(p.id)).reduce((sum, p) => sum + p.stat.size, 0);
  return { plan, repo, targets, moves };
}

/**
 * Only a realpath-resolved root is trusted: a root that is itself a symlink is fine (resolved once here),
 * one that resolves to a filesystem root or to a non-folder is refused.
 */
async function realCacheRoot(root: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await fs.realpath(root);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError(`Cannot resolve the cache root ${root}`, err, root);
  }
  const st = await statOrUndefined(real);
  if (!st?.isDirectory()) throw new MistudioError('UnsafePath', `Cache root ${root} is not a folder`, { path: root });
  if (path.parse(real).root === real) throw new MistudioError('UnsafePath', `Refusing to clean up: the cache root ${root} resolves to a filesystem root`, { path: root });
  return real;
}

export async function refsPointingAt(refsDir: string, commit: string, skipped: string[]): Promise<string[]> {
  const names: string[] = [];
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdirOrEmpty(dir)).sort()) {
      if (IGNORED_NAMES.has(name)) continue;
      const full = path.join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const st = await lstatOrUndefined(full);
      if (st?.isDirectory()) await visit(full, rel);
      else if (st?.isSymbolicLink()) skipped.push(`refs/${rel} is a symlink; not read`);
      else if (st?.isFile() && (await fs.readFile(full, 'utf8')).trim() === commit) names.push(rel);
    }
  };
  await visit(refsDir, '');
  return names;
}

