import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { validateRevision, type RepoKind, type RepoRef } from '../repo';
import type { HfCache } from './hfCache';
import { errnoCode, readBoundedJson, wrappedErrnoCode, readdirOrEmpty, rmdirIfEmpty, unlinkIfPresent, writeFileAtomic } from './fsUtil';
import { LAYOUT, safeRepoPath, validateCommit } from './paths';

/**
 * That a catalog entry stands on files of a cached revision: `<repo>/.mistudio-holders/<commit>/<catalog key>.<entry
 * key>.json`. Every catalog sharing the cache (other VS Code windows, the CLI) writes its own, so a delete in one
 * frees only what no other one still lists. huggingface_hub's scan and ours read only blobs/, snapshots/ and refs/.
 */
export interface HolderRecord {
  readonly version: 1;
  /** Absolute path of the catalog file; the record is stale once that file is gone. */
  readonly catalog: string;
  readonly kind: RepoKind;
  readonly repoId: string;
  readonly revision: string;
  readonly commit: string;
  /** Repo paths the entry downloaded (or found cached and linked), sorted. */
  readonly paths: readonly string[];
  /** Milliseconds since the epoch of the last write. */
  readonly updatedAt: number;
}

/** What a commit's holder folder holds, sorted out. */
export interface HolderScan {
  /** Valid records whose catalog still exists. */
  readonly records: readonly HolderRecord[];
  /** Files of records whose catalog is gone, and files that are not records at all (torn, foreign, oversized). */
  readonly stale: readonly string[];
  readonly invalid: readonly string[];
}

/** Far more than the listing of any repo, far less than what would hurt to parse; a bigger file is not a record. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const RECORD_NAME = /^([0-9a-f]{16})\.([0-9a-f]{16})\.json$/;
const KEY_CHARS = 16;

export function catalogKeyOf(catalogFile: string): string {
  return sha256Prefix(path.resolve(catalogFile));
}

export function entryKeyOf(kind: RepoKind, repoId: string, revision: string): string {
  return sha256Prefix(`${kind}\0${repoId}\0${revision}`);
}

export class Holders {
  /** Absolute; null for an in-memory catalog, which writes nothing (nothing outlives it to hold files). */
  readonly catalogFile: string | null;
  readonly catalogKey: string | null;

  constructor(
    private readonly cache: HfCache,
    catalogFile: string | null,
  ) {
    this.catalogFile = catalogFile === null ? null : path.resolve(catalogFile);
    this.catalogKey = this.catalogFile === null ? null : catalogKeyOf(this.catalogFile);
  }

  /**
   * Records (or refreshes) that this catalog's entry holds these files of the commit. Paths it held before at this
   * commit stay listed — its links are still in the snapshot — and its record at any other commit goes: an entry
   * stands on one commit, the one it last planned.
   */
  async hold(ref: RepoRef, commit: string, entry: { readonly revision: string; readonly paths: readonly string[] }): Promise<void> {
    if (this.catalogFile === null || this.catalogKey === null) return;
    validateCommit(commit);
    const revision = validateRevision(entry.revision);
    const name = this.recordName(ref, revision, this.catalogKey);
    const file = this.cache.repoSubPath(ref, LAYOUT.holders, commit, name);
    const before = (await this.readRecord(ref, commit, file))?.paths ?? [];
    const paths = [...new Set([...before, ...entry.paths.map((p) => safeRepoPath(p))])].sort();
    const record: HolderRecord = { version: 1, catalog: this.catalogFile, kind: ref.kind, repoId: ref.repoId, revision, commit, paths, updatedAt: Date.now() };
    const data = `${JSON.stringify(record)}\n`;
    for (let attempt = 0; ; attempt++) {
      await this.cache.ensureRepoSubfolder(ref, LAYOUT.holders, commit);
      try {
        // Temp name unique per call, so any number of writers (ours, other windows, the CLI) race only on the rename.
        await writeFileAtomic(file, data, this.cache.repoDir(ref));
        break;
      } catch (err) {
        // A release elsewhere removed the emptied folder between our mkdir and our rename: make it again.
        if (attempt >= 2 || wrappedErrnoCode(err) !== 'ENOENT') throw err;
        this.cache.forgetDirectories(ref);
      }
    }
    await this.releaseElsewhere(ref, commit, name);
  }

  /** Removes this catalog's (or the given catalog key's) record of the entry, and the folders it leaves empty. */
  async release(ref: RepoRef, commit: string, revision: string, catalogKey: string | null = this.catalogKey): Promise<void> {
    if (catalogKey === null) return;
    validateCommit(commit);
    await this.removeRecord(ref, commit, this.recordName(ref, validateRevision(revision), catalogKey));
  }

  /** Every record of the commit, valid ones first, sorted by catalog and revision. */
  async scan(ref: RepoRef, commit: string): Promise<HolderScan> {
    validateCommit(commit);
    const dir = this.cache.repoSubPath(ref, LAYOUT.holders, commit);
    const records: HolderRecord[] = [];
    const stale: string[] = [];
    const invalid: string[] = [];
    if ((await fs.lstat(dir).catch(() => undefined))?.isDirectory() !== true) return { records, stale, invalid };
    for (const name of (await readdirOrEmpty(dir)).sort()) {
      const file = path.join(dir, name);
      const record = await this.readRecord(ref, commit, file);
      if (record === undefined) invalid.push(file);
      else if (await catalogGone(record.catalog)) stale.push(file);
      else records.push(record);
    }
    records.sort((a, b) => compare(a.catalog, b.catalog) || compare(a.revision, b.revision));
    return { records, stale, invalid };
  }

  /**
   * Who else holds the commit: other catalogs' records, and this catalog's for other entries (all of this catalog's
   * are left out when no revision is given).
   */
  async others(ref: RepoRef, commit: string, revision?: string): Promise<HolderRecord[]> {
    const { records } = await this.scan(ref, commit);
    return records.filter((r) => r.catalog !== this.catalogFile || (revision !== undefined && r.revision !== revision));
  }

  /** This catalog's own record of the entry, if it has a valid one. */
  async own(ref: RepoRef, commit: string, revision: string): Promise<HolderRecord | undefined> {
    if (this.catalogKey === null) return undefined;
    validateCommit(commit);
    const file = this.cache.repoSubPath(ref, LAYOUT.holders, commit, this.recordName(ref, validateRevision(revision), this.catalogKey));
    return this.readRecord(ref, commit, file);
  }

  /** Removes the commit's stale and invalid records (a delete's tidying) and the folders that leaves empty. */
  async prune(ref: RepoRef, commit: string): Promise<void> {
    const { stale, invalid } = await this.scan(ref, commit);
    for (const file of [...stale, ...invalid]) await this.removeRecord(ref, commit, path.basename(file));
  }

  private recordName(ref: RepoRef, revision: string, catalogKey: string): string {
    return `${catalogKey}.${entryKeyOf(ref.kind, ref.repoId, revision)}.json`;
  }

  private async removeRecord(ref: RepoRef, commit: string, name: string): Promise<void> {
    const holdersDir = this.cache.repoSubPath(ref, LAYOUT.holders);
    const dir = this.cache.repoSubPath(ref, LAYOUT.holders, commit);
    const st = await fs.lstat(path.join(dir, name)).catch(() => undefined);
    if (st?.isDirectory()) await fs.rm(path.join(dir, name), { recursive: true, force: true });
    else await unlinkIfPresent(path.join(dir, name));
    if (await rmdirIfEmpty(dir)) await rmdirIfEmpty(holdersDir);
  }

  private async releaseElsewhere(ref: RepoRef, commit: string, name: string): Promise<void> {
    const holdersDir = this.cache.repoSubPath(ref, LAYOUT.holders);
    for (const other of await readdirOrEmpty(holdersDir)) {
      if (other === commit || !/^[0-9a-f]{40}$/.test(other)) continue;
      const file = this.cache.repoSubPath(ref, LAYOUT.holders, other, name);
      if ((await fs.lstat(file).catch(() => undefined)) !== undefined) await this.removeRecord(ref, other, name);
    }
  }

  /** The record in `file`, or undefined unless every field checks out against its place and its own name. */
  private async readRecord(ref: RepoRef, commit: string, file: string): Promise<HolderRecord | undefined> {
    const keys = RECORD_NAME.exec(path.basename(file));
    if (keys === null) return undefined;
    const data = await readBoundedJson(file, MAX_RECORD_BYTES);
    const record = parseRecord(data);
    const matches =
      record !== undefined &&
      record.kind === ref.kind &&
      record.repoId === ref.repoId &&
      record.commit === commit &&
      catalogKeyOf(record.catalog) === keys[1] &&
      entryKeyOf(record.kind, record.repoId, record.revision) === keys[2];
    return matches ? record : undefined;
  }
}

function parseRecord(data: unknown): HolderRecord | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const r = data as Record<string, unknown>;
  const { catalog, kind, repoId, revision, commit, paths, updatedAt } = r;
  if (r.version !== 1 || typeof catalog !== 'string' || !path.isAbsolute(catalog) || catalog.length > 4096) return undefined;
  if ((kind !== 'model' && kind !== 'dataset') || typeof repoId !== 'string' || typeof revision !== 'string' || typeof commit !== 'string') return undefined;
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt) || !Array.isArray(paths)) return undefined;
  try {
    validateCommit(commit);
    if (validateRevision(revision) !== revision) return undefined;
    for (const p of paths) if (typeof p !== 'string' || safeRepoPath(p) !== p) return undefined;
  } catch {
    return undefined;
  }
  return { version: 1, catalog, kind, repoId, revision, commit, paths: [...(paths as string[])].sort(), updatedAt };
}

/** Only a catalog file that is certainly gone makes a record stale; one we may not read (EACCES) still holds. */
async function catalogGone(catalog: string): Promise<boolean> {
  try {
    await fs.stat(catalog);
    return false;
  } catch (err) {
    const code = errnoCode(err);
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

function sha256Prefix(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, KEY_CHARS);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
