import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HfCache } from '../../../src/core/cache/hfCache';
import type { CacheRepoRef, RepoRef } from '../../../src/core/repo';

export const MODEL: RepoRef = { kind: 'model', repoId: 'org/tiny-model' };
export const DATASET: RepoRef = { kind: 'dataset', repoId: 'org/tiny-data' };
export const COMMIT_A = 'a'.repeat(40);
export const COMMIT_B = 'b'.repeat(40);
export const COMMIT_C = 'c'.repeat(40);

export function makeTempDir(prefix = 'mistudio-cache-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The id huggingface_hub would name this content's blob: LFS sha256, or git's blob sha1 for small text files. */
export function blobIdOf(content: string | Buffer, kind: 'sha256' | 'git-sha1' = 'sha256'): string {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  if (kind === 'sha256') return createHash('sha256').update(data).digest('hex');
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export interface FileSpec {
  path: string;
  content: string | Buffer;
}

/** Downloads a revision "by hand" through the public API: write .incomplete, commit, link, ref. */
export async function addRevision(cache: HfCache, ref: CacheRepoRef, commit: string, files: readonly FileSpec[], revision?: string): Promise<Array<{ path: string; blobId: string }>> {
  await cache.ensureRepoLayout(ref);
  const out: Array<{ path: string; blobId: string }> = [];
  for (const file of files) {
    const blobId = blobIdOf(file.content);
    if (!(await cache.hasBlob(ref, blobId))) {
      const partial = cache.incompletePath(ref, blobId);
      fs.writeFileSync(partial, file.content);
      await cache.commitBlob(ref, blobId, partial);
    }
    await cache.linkSnapshotFile(ref, commit, file.path, blobId);
    out.push({ path: file.path, blobId });
  }
  if (revision !== undefined) await cache.writeRef(ref, revision, commit);
  return out;
}

/** Every file of a snapshot read through the snapshot path, as transformers would read it. */
export function readSnapshot(cache: HfCache, ref: RepoRef, commit: string, paths: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = fs.readFileSync(cache.snapshotFilePath(ref, commit, p), 'utf8');
  return out;
}

/** Sorted list of every entry under dir (posix, relative), with "@" marking symlinks. */
export function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (current: string, prefix: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) out.push(`${rel}@`);
      else if (entry.isDirectory()) {
        out.push(`${rel}/`);
        walk(path.join(current, entry.name), rel);
      } else out.push(rel);
    }
  };
  walk(dir, '');
  return out.sort();
}
