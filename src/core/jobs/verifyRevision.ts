import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LAYOUT, listFilesRecursive, readTreeCache, type HfCache } from '../cache';
import { throwIfAborted } from '../errors';
import type { CacheRepoRef } from '../repo';
import type { VerifyOptions, VerifyProblem, VerifyReport } from '../studioTypes';
import { fileHashMatches, type ExpectedHash } from '../transfer';

interface SnapshotLink {
  readonly path: string;
  /** The file holding the bytes: the blob a link points to, or the snapshot file itself (copy fallback). */
  readonly target: string;
  /** The blob id the bytes must hash to and the size they must have, when known. */
  readonly expected?: { readonly blobId: string; readonly hash: ExpectedHash; readonly size?: number };
}

/**
 * Re-hashes every blob a cached revision uses, each once: against the commit's tree listing when huggingface_hub or
 * we wrote one (size and hash), else against the blob's own name (sha256 for LFS blobs, git's blob sha1 otherwise —
 * the names huggingface_hub gives them). Reads only.
 */
export async function verifyRevision(cache: HfCache, ref: CacheRepoRef, commit: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { signal, onProgress } = options;
  const snapshot = cache.snapshotDir(ref, commit);
  const blobsDir = path.join(cache.repoDir(ref), LAYOUT.blobs);
  const listing = await readTreeCache(cache, ref, commit).catch(() => undefined);
  const links: SnapshotLink[] = [];
  const unverifiable: string[] = [];
  for (const rel of await listFilesRecursive(snapshot)) {
    throwIfAborted(signal);
    const full = path.join(snapshot, ...rel.split('/'));
    const target = await fs.readlink(full).then(
      (t) => path.resolve(path.dirname(full), t),
      () => full,
    );
    const listed = listing?.get(rel);
    const named = path.dirname(target) === blobsDir ? path.basename(target) : undefined;
    const expected = listed
      ? { blobId: listed.lfs?.sha256 ?? listed.blobId, hash: hashFor(listed.lfs?.sha256 ?? listed.blobId), size: listed.lfs?.size ?? listed.size }
      : named && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(named)
        ? { blobId: named, hash: hashFor(named) }
        : undefined;
    if (!expected) unverifiable.push(rel);
    links.push({ path: rel, target, ...(expected ? { expected } : {}) });
  }

  // Each distinct blob once, whatever number of paths link to it.
  const sizes = new Map<string, number | undefined>();
  for (const link of links) if (!sizes.has(link.target)) sizes.set(link.target, (await fs.stat(link.target).catch(() => undefined))?.size);
  const bytesTotal = [...sizes.values()].reduce<number>((sum, size) => sum + (size ?? 0), 0);
  let bytesDone = 0;
  const verdicts = new Map<string, VerifyProblem['problem'] | null>();
  const bad: VerifyProblem[] = [];
  for (const link of links) {
    if (!link.expected) continue;
    const key = `${link.target}\0${link.expected.blobId}`;
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      const size = sizes.get(link.target);
      if (size === undefined) verdict = 'missing';
      else if (link.expected.size !== undefined && size !== link.expected.size) verdict = 'size';
      else {
        verdict = (await fileHashMatches(link.target, link.expected.hash, size, signal)) ? null : 'content';
        bytesDone += size;
        onProgress?.({ bytesDone, bytesTotal });
      }
      verdicts.set(key, verdict);
    }
    if (verdict !== null) bad.push({ path: link.path, blobId: link.expected.blobId, problem: verdict });
  }
  return { kind: ref.kind, repoId: ref.repoId, commit, files: links.length, bytes: bytesDone, bad, unverifiable };
}

function hashFor(blobId: string): ExpectedHash {
  return { algorithm: blobId.length === 64 ? 'sha256' : 'git-sha1', hex: blobId };
}
