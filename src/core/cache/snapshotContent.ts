import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { throwIfAborted } from '../errors';
import { lstatOrUndefined, readdirOrEmpty } from './fsUtil';
import { LAYOUT, isBlobId, isInside, parsePartialName } from './paths';

// What a delete reads to decide what it frees: the entries of snapshots (links and real files), the blobs and
// partials of a repo, which blobs a set of entries stands on, and how many bytes removing names gives back.

export interface BlobEntry {
  readonly id: string;
  readonly stat: Stats;
}

/** One entry below a snapshot (or a trash folder): a link, or a real file (hard link or copy). */
export interface SnapshotFile {
  /** Repo path, '/'-separated, relative to the snapshot (or trash) folder it was found in. */
  readonly rel: string;
  readonly abs: string;
  readonly stat: Stats;
  /** For a link into this repo's blobs/: the blob it names. */
  readonly linkedBlob?: string;
}

export interface SnapshotContent {
  /** Blob ids reached through links into this repo's blobs/. */
  readonly linkedBlobs: Set<string>;
  /** Real files (hard links or copies), with where they are. */
  readonly files: Array<{ readonly path: string; readonly stat: Stats }>;
}

/** Every link and real file below `dir` (never entering a symlinked folder), with the blob each link names. */
export async function listFiles(dir: string, repoSpellings: readonly string[], skipped: string[], signal?: AbortSignal): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = [];
  const visit = async (entry: string, rel: string): Promise<void> => {
    throwIfAborted(signal);
    const st = await lstatOrUndefined(entry);
    if (st === undefined) return;
    if (st.isDirectory()) {
      for (const name of (await readdirOrEmpty(entry)).sort()) await visit(path.join(entry, name), rel === '' ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      const target = path.resolve(path.dirname(entry), await fs.readlink(entry));
      const blobId = path.basename(target);
      const inBlobs = repoSpellings.some((r) => path.dirname(target) === path.join(r, LAYOUT.blobs)) && isBlobId(blobId);
      if (!inBlobs && !repoSpellings.some((r) => isInside(r, target))) skipped.push(`${entry} links outside the repo folder (${target}); only the link is removed`);
      out.push({ rel, abs: entry, stat: st, ...(inBlobs ? { linkedBlob: blobId } : {}) });
    } else if (st.isFile()) {
      out.push({ rel, abs: entry, stat: st });
    }
  };
  await visit(dir, '');
  return out;
}

export async function listFilesIn(dirs: readonly string[], repoSpellings: readonly string[], skipped: string[], signal?: AbortSignal): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = [];
  for (const dir of dirs) out.push(...(await listFiles(dir, repoSpellings, skipped, signal)));
  return out;
}

export function contentOf(files: readonly SnapshotFile[]): SnapshotContent {
  const content: SnapshotContent = { linkedBlobs: new Set(), files: [] };
  for (const f of files) {
    if (f.linkedBlob !== undefined) content.linkedBlobs.add(f.linkedBlob);
    else if (f.stat.isFile()) content.files.push({ path: f.abs, stat: f.stat });
  }
  return content;
}

export async function readBlobs(blobsDir: string): Promise<{ blobs: BlobEntry[]; partials: BlobEntry[] }> {
  const blobs: BlobEntry[] = [];
  const partials: BlobEntry[] = [];
  for (const name of await readdirOrEmpty(blobsDir)) {
    // Only our own partials are ours to remove; other tools' stay (and keep the repo folder, which says so).
    const partial = parsePartialName(name);
    const partialId = partial?.owner === 'ours' ? partial.blobId : undefined;
    if (partial !== undefined && partialId === undefined) continue;
    if (!isBlobId(partialId ?? name)) continue;
    const st = await lstatOrUndefined(path.join(blobsDir, name));
    if (st === undefined || st.isDirectory()) continue;
    (partialId === undefined ? blobs : partials).push({ id: partialId ?? name, stat: st });
  }
  return { blobs, partials };
}

/**
 * Which blobs the snapshot being deleted stands on: the ones its links name, the ones its real files are hard
 * links of, and for plain copies (filesystems without any links) the same-size blob with identical bytes.
 */
export async function blobsUsedBy(snapshot: SnapshotContent, blobsDir: string, blobs: readonly BlobEntry[], signal?: AbortSignal): Promise<Set<string>> {
  const used = new Set(snapshot.linkedBlobs);
  for (const file of snapshot.files) {
    const sameInode = blobs.find((b) => b.stat.ino === file.stat.ino && b.stat.dev === file.stat.dev);
    if (sameInode) {
      used.add(sameInode.id);
      continue;
    }
    for (const blob of blobs) {
      if (used.has(blob.id) || !blob.stat.isFile() || blob.stat.size !== file.stat.size) continue;
      if (await sameBytes(file.path, path.join(blobsDir, blob.id), signal)) {
        used.add(blob.id);
        break;
      }
    }
  }
  return used;
}

const COMPARE_CHUNK = 1 << 20;

async function sameBytes(a: string, b: string, signal?: AbortSignal): Promise<boolean> {
  const [fa, fb] = await Promise.all([fs.open(a, 'r'), fs.open(b, 'r')]);
  try {
    const bufA = Buffer.alloc(COMPARE_CHUNK);
    const bufB = Buffer.alloc(COMPARE_CHUNK);
    for (let position = 0; ; position += COMPARE_CHUNK) {
      throwIfAborted(signal);
      const [ra, rb] = await Promise.all([fa.read(bufA, 0, COMPARE_CHUNK, position), fb.read(bufB, 0, COMPARE_CHUNK, position)]);
      if (ra.bytesRead !== rb.bytesRead || !bufA.subarray(0, ra.bytesRead).equals(bufB.subarray(0, rb.bytesRead))) return false;
      if (ra.bytesRead === 0) return true;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** Bytes given back when these names go: data shared by hard links is freed only once its last name is removed. */
export function freedBytes(removed: readonly Stats[]): number {
  const byInode = new Map<string, { stat: Stats; names: number }>();
  for (const st of removed) {
    if (!st.isFile()) continue; // links (e.g. into the shared blob store) free nothing themselves
    const key = `${st.dev}:${st.ino}`;
    const entry = byInode.get(key) ?? { stat: st, names: 0 };
    entry.names += 1;
    byInode.set(key, entry);
  }
  let total = 0;
  for (const { stat, names } of byInode.values()) if (names >= stat.nlink) total += stat.size;
  return total;
}

