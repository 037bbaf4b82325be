import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isCommitSha, type CacheRepoRef } from '../repo';
import type { HfCache } from './hfCache';
import { LAYOUT } from './paths';
import { readTreeCache } from './treeCache';

/** A file of a cached snapshot, described the way a Hub listing describes it. */
export interface CachedSnapshotFile {
  readonly path: string;
  readonly size: number;
  /** Git blob sha1: of the file, or for an LFS file of its standard pointer (what the Hub lists). */
  readonly oid: string;
  readonly lfs?: { readonly sha256: string; readonly size: number };
}

export interface CachedSnapshot {
  readonly commit: string;
  readonly files: readonly CachedSnapshotFile[];
}

const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

/**
 * What the cache holds for `revision` without asking the Hub (offline mode): the commit from refs/ (or the revision
 * itself when it is a commit with a snapshot), and every snapshot file that links to a blob. Each is described by the
 * commit's tree listing (trees/<commit>.json) when there is one, so a truncated or swapped blob shows as not matching
 * what the Hub listed; without one, by the blob itself: its name is the id (64 hex an LFS sha256, 40 hex a git sha1 —
 * the same rule huggingface_hub's cache follows) and its size the size.
 */
export async function readCachedSnapshot(cache: HfCache, ref: CacheRepoRef, revision: string): Promise<CachedSnapshot | undefined> {
  const commit = isCommitSha(revision) ? revision : await readRef(cache, ref, revision);
  if (!commit) return undefined;
  const root = cache.snapshotDir(ref, commit);
  const listing = await readTreeCache(cache, ref, commit).catch(() => undefined);
  const blobs = path.join(cache.repoDir(ref), LAYOUT.blobs);
  const files: CachedSnapshotFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const names = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
    for (const item of names ?? []) {
      const rel = prefix ? `${prefix}/${item.name}` : item.name;
      const full = path.join(dir, item.name);
      if (item.isDirectory()) {
        await walk(full, rel);
        continue;
      }
      if (!item.isSymbolicLink()) continue;
      const target = await fs.readlink(full);
      const blobId = path.basename(target);
      // Only links into this repo's blobs/ count; anything else is not a file we can vouch for.
      if (path.resolve(dir, target) !== path.join(blobs, blobId)) continue;
      const stat = await fs.lstat(path.join(blobs, blobId)).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (listing !== undefined) {
        // A link the commit does not list is not one of its files.
        const listed = listing.get(rel);
        if (listed) files.push({ path: rel, size: listed.lfs?.size ?? listed.size, oid: listed.blobId, ...(listed.lfs ? { lfs: listed.lfs } : {}) });
        continue;
      }
      if (SHA256.test(blobId)) files.push({ path: rel, size: stat.size, oid: lfsPointerOid(blobId, stat.size), lfs: { sha256: blobId, size: stat.size } });
      else if (SHA1.test(blobId)) files.push({ path: rel, size: stat.size, oid: blobId });
    }
  };
  if (!(await fs.lstat(root).catch(() => undefined))?.isDirectory()) return undefined;
  await walk(root, '');
  return { commit, files };
}

async function readRef(cache: HfCache, ref: CacheRepoRef, revision: string): Promise<string | undefined> {
  const text = await fs.readFile(cache.refPath(ref, revision), 'utf8').catch(() => undefined);
  const commit = text?.trim();
  return commit && isCommitSha(commit) ? commit : undefined;
}

/** The git sha1 of the pointer git-lfs writes for a file (spec v1), which is what a Hub listing calls its oid. */
export function lfsPointerOid(sha256: string, size: number): string {
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
  return createHash('sha1').update(`blob ${Buffer.byteLength(pointer)}\0`).update(pointer).digest('hex');
}
