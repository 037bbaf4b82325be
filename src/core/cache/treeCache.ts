import type { CacheRepoRef } from '../repo';
import type { HfCache } from './hfCache';
import { readBoundedJson, wrappedErrnoCode, writeFileAtomic } from './fsUtil';
import { LAYOUT, safeRepoPath, validateCommit } from './paths';

/**
 * One file of a commit as huggingface_hub (1.26+, `_tree_cache.py`) stores it in `trees/<commit>.json`: the Hub's
 * /tree fields. Its offline `snapshot_download` trusts a snapshot only when every listed file is there, so a listing
 * beside our snapshots makes an include-filtered or interrupted one read as incomplete instead of complete.
 */
export interface TreeEntry {
  readonly size: number;
  /** Git blob sha1: of the file, or for an LFS file of its pointer. */
  readonly blobId: string;
  readonly lfs?: { readonly sha256: string; readonly size: number };
  /** Only ever read (from a listing huggingface_hub wrote) and kept; we never transfer through Xet. */
  readonly xetHash?: string;
}

export type TreeListing = ReadonlyMap<string, TreeEntry>;

export const TREE_FORMAT_VERSION = 1;

/** A listing of a few hundred thousand files is tens of MB; beyond this it is not one, and is not read. */
const MAX_TREE_BYTES = 64 * 1024 * 1024;

const SHA1 = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function treeCachePath(cache: HfCache, ref: CacheRepoRef, commit: string): string {
  return cache.repoSubPath(ref, LAYOUT.trees, `${validateCommit(commit)}.json`);
}

/**
 * The commit's listing, or undefined when there is none or it is not one (another format version, torn, hostile).
 * Entries whose path the cache could never hold are left out: nothing is ever looked up under them.
 */
export async function readTreeCache(cache: HfCache, ref: CacheRepoRef, commit: string): Promise<TreeListing | undefined> {
  const data = await readBoundedJson(treeCachePath(cache, ref, commit), MAX_TREE_BYTES);
  if (!isObject(data) || data.format_version !== TREE_FORMAT_VERSION || !isObject(data.files)) return undefined;
  const listing = new Map<string, TreeEntry>();
  for (const [filePath, info] of Object.entries(data.files)) {
    const entry = parseEntry(info);
    if (entry === undefined) return undefined;
    if (isSafePath(filePath)) listing.set(filePath, entry);
  }
  return listing;
}

/**
 * Exactly what huggingface_hub's `json.dump(data, f, indent=1)` writes: files sorted by code point, their fields in
 * its order, non-ASCII escaped (ensure_ascii), no trailing newline — so either tool may find the other's file as its own.
 */
export function serializeTreeCache(listing: TreeListing): string {
  return [...treeCacheChunks(listing)].join('');
}

/** Entries per chunk of treeCacheChunks. */
const ENTRIES_PER_CHUNK = 1000;

/**
 * serializeTreeCache's text in chunks of a thousand entries, so a 100k-file listing is written without ever being one
 * string (nor one object) in memory. Each entry is what JSON.stringify(…, null, 1) makes of it at its depth.
 */
export function* treeCacheChunks(listing: TreeListing): Generator<string> {
  const paths = [...listing.keys()].sort(byCodePoint);
  if (paths.length === 0) {
    yield `{\n "format_version": ${TREE_FORMAT_VERSION},\n "files": {}\n}`;
    return;
  }
  let chunk = `{\n "format_version": ${TREE_FORMAT_VERSION},\n "files": {`;
  for (let i = 0; i < paths.length; i++) {
    const filePath = paths[i] as string;
    const entry = listing.get(filePath) as TreeEntry;
    const fields = {
      size: entry.size,
      blob_id: entry.blobId,
      ...(entry.lfs ? { lfs_sha256: entry.lfs.sha256, lfs_size: entry.lfs.size } : {}),
      ...(entry.xetHash !== undefined ? { xet_hash: entry.xetHash } : {}),
    };
    chunk += `${i > 0 ? ',' : ''}\n  ${JSON.stringify(filePath)}: ${JSON.stringify(fields, null, 1).replaceAll('\n', '\n  ')}`;
    if ((i + 1) % ENTRIES_PER_CHUNK === 0) {
      yield asciiOnly(chunk);
      chunk = '';
    }
  }
  yield asciiOnly(`${chunk}\n }\n}`);
}

/**
 * JSON.stringify escapes what JSON requires; Python escapes every code unit outside printable ASCII as \uXXXX
 * (non-BMP characters as their surrogate pair), which this completes.
 */
function asciiOnly(text: string): string {
  return text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Writes the listing unless a valid one is there, as huggingface_hub does: a commit never changes, and a listing it
 * wrote may carry Xet hashes we do not know. Temp file + rename, so concurrent writers (of identical content) and
 * readers never see half a file. True when this call wrote it.
 */
export async function ensureTreeCache(cache: HfCache, ref: CacheRepoRef, commit: string, listing: TreeListing): Promise<boolean> {
  if ((await readTreeCache(cache, ref, commit)) !== undefined) return false;
  const file = treeCachePath(cache, ref, commit);
  for (let attempt = 0; ; attempt++) {
    await cache.ensureRepoSubfolder(ref, LAYOUT.trees);
    try {
      await writeFileAtomic(file, treeCacheChunks(listing), cache.repoDir(ref));
      return true;
    } catch (err) {
      // A delete removed trees/ (or the repo folder) between our mkdir and our rename: make them again, once.
      if (attempt > 0 || wrappedErrnoCode(err) !== 'ENOENT') throw err;
      cache.forgetDirectories(ref);
    }
  }
}

function parseEntry(info: unknown): TreeEntry | undefined {
  if (!isObject(info) || !isSize(info.size) || typeof info.blob_id !== 'string' || !SHA1.test(info.blob_id)) return undefined;
  const { lfs_sha256: sha256, lfs_size: lfsSize, xet_hash: xetHash } = info;
  if (sha256 !== undefined && sha256 !== null && (typeof sha256 !== 'string' || !SHA256.test(sha256) || !isSize(lfsSize))) return undefined;
  if (xetHash !== undefined && xetHash !== null && typeof xetHash !== 'string') return undefined;
  return {
    size: info.size,
    blobId: info.blob_id,
    ...(typeof sha256 === 'string' && isSize(lfsSize) ? { lfs: { sha256, size: lfsSize } } : {}),
    ...(typeof xetHash === 'string' ? { xetHash } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isSafePath(filePath: string): boolean {
  try {
    safeRepoPath(filePath);
    return true;
  } catch {
    return false;
  }
}

/** Python's sorted() on str: by code point, where JS's default compares UTF-16 code units. */
function byCodePoint(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = (ca[i]?.codePointAt(0) ?? 0) - (cb[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}
