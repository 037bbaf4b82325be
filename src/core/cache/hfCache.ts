import { lstatSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MistudioError } from '../errors';
import { isCommitSha, validateRevision, type CacheRepoRef } from '../repo';
import {
  errnoCode,
  fsyncDir,
  fsyncFile,
  ioError,
  lstatOrUndefined,
  statOrUndefined,
  tempPathIn,
  unlinkIfPresent,
  writeFileAtomic,
} from './fsUtil';
import { LAYOUT, isStrictlyInside, repoFolderName, safeRepoPath, validateBlobId, validateCommit } from './paths';

/** The two link calls, injectable so tests (and odd filesystems) can exercise the fallbacks. */
export interface LinkFs {
  symlink(target: string, linkPath: string): Promise<void>;
  link(existingPath: string, newPath: string): Promise<void>;
}

export interface HfCacheOptions {
  readonly linkFs?: Partial<LinkFs>;
}

/** How a snapshot file was made: the huggingface_hub symlink, or a real file where symlinks are refused. */
export type Materialization = 'symlink' | 'hardlink' | 'copy';

export interface SnapshotFileSpec {
  readonly path: string;
  readonly blobId: string;
  /** When known, a real-file copy must also have this size to count as complete. */
  readonly size?: number;
}

// Errors that mean "this filesystem or OS does not do links", as opposed to a real failure worth reporting.
const LINKS_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL']);
const HARDLINKS_UNSUPPORTED = new Set([...LINKS_UNSUPPORTED, 'EXDEV', 'EMLINK', 'EACCES']);

/**
 * One Hugging Face hub cache folder, written exactly as huggingface_hub writes it:
 * `<root>/<models|datasets>--org--name/{blobs/<id>, snapshots/<commit>/<path> -> ../../blobs/<id>, refs/<revision>}`.
 * Every path it hands out or writes is validated and stays inside the repo folder.
 */
export class HfCache {
  readonly root: string;
  private readonly linkFs: LinkFs;
  // Remembered per instance so a cache on a link-less filesystem does not retry (and fail) for every file.
  private symlinksWork = true;
  private hardlinksWork = true;
  /**
   * Folders below repo folders that this instance saw to be real folders (not symlinks), so that the next file in
   * them costs neither a mkdir nor an lstat per path component. Forgotten for a repo when we delete in it, and
   * for the whole instance when a write finds a folder gone (someone else deleted it).
   */
  private readonly knownDirs = new Set<string>();
  /** Folders whose new entries (links, folders) are not yet fsync'd; see syncDirectories. */
  private readonly unsyncedDirs = new Set<string>();
  private readonly dirSyncs = new Map<string, Promise<void>>();

  constructor(root: string, options: HfCacheOptions = {}) {
    if (typeof root !== 'string' || root.trim() === '') throw new MistudioError('InvalidInput', 'Cache root is empty');
    this.root = path.resolve(root);
    this.linkFs = {
      symlink: options.linkFs?.symlink ?? ((target, linkPath) => fs.symlink(target, linkPath, 'file')),
      link: options.linkFs?.link ?? ((existing, newPath) => fs.link(existing, newPath)),
    };
  }

  repoDir(ref: CacheRepoRef): string {
    return path.join(this.root, repoFolderName(ref));
  }

  blobPath(ref: CacheRepoRef, blobId: string): string {
    return path.join(this.repoDir(ref), LAYOUT.blobs, validateBlobId(blobId));
  }

  /** Our partial of a blob (`blobs/<id>.mistudio.incomplete`), written only while holding the blob's lock. */
  incompletePath(ref: CacheRepoRef, blobId: string): string {
    return `${this.blobPath(ref, blobId)}${LAYOUT.partialSuffix}`;
  }

  rangeJournalPath(ref: CacheRepoRef, blobId: string): string {
    return `${this.blobPath(ref, blobId)}${LAYOUT.rangeJournalSuffix}`;
  }

  /** huggingface_hub's per-blob lock file (`<root>/.locks/<repo folder>/<blobId>.lock`), for interop with Python's filelock. */
  lockPath(ref: CacheRepoRef, blobId: string): string {
    return path.join(this.root, LAYOUT.locks, repoFolderName(ref), `${validateBlobId(blobId)}.lock`);
  }

  snapshotDir(ref: CacheRepoRef, commit: string): string {
    const dir = path.join(this.repoDir(ref), LAYOUT.snapshots, validateCommit(commit));
    this.assertNoSymlinkedParents(ref, dir, true);
    return dir;
  }

  snapshotFilePath(ref: CacheRepoRef, commit: string, relPath: string): string {
    const snapshot = this.snapshotDir(ref, commit);
    const file = path.join(snapshot, ...safeRepoPath(relPath).split('/'));
    if (!isStrictlyInside(snapshot, file)) throw new MistudioError('UnsafePath', `Unsafe file path "${relPath}": outside the snapshot`);
    this.assertNoSymlinkedParents(ref, file, false);
    return file;
  }

  refPath(ref: CacheRepoRef, revision: string): string {
    const refs = path.join(this.repoDir(ref), LAYOUT.refs);
    const file = path.join(refs, ...validateRevision(revision).split('/'));
    if (!isStrictlyInside(refs, file)) throw new MistudioError('UnsafePath', `Unsafe revision "${revision}"`);
    this.assertNoSymlinkedParents(ref, file, false);
    return file;
  }

  /**
   * Creates blobs/, snapshots/ and refs/. huggingface_hub's scan reports a repo without snapshots/ as corrupted
   * and @huggingface/hub's also wants refs/, so a repo folder never exists without them, not even mid-download.
   */
  async ensureRepoLayout(ref: CacheRepoRef): Promise<string> {
    const repo = this.repoDir(ref);
    for (const sub of [LAYOUT.blobs, LAYOUT.snapshots, LAYOUT.refs]) await this.ensureDir(ref, path.join(repo, sub));
    return repo;
  }

  /**
   * `<repo folder>/<segments>` for the folders beside blobs/ that we read and write (trees/, .mistudio-holders/):
   * refused when a parent on the way is a symlink or a file, so a planted link cannot redirect what we write or read.
   */
  repoSubPath(ref: CacheRepoRef, ...segments: string[]): string {
    const repo = this.repoDir(ref);
    const target = path.join(repo, ...segments);
    if (segments.length === 0 || !isStrictlyInside(repo, target)) throw new MistudioError('UnsafePath', `Refusing ${target}: outside ${repo}`);
    this.assertNoSymlinkedParents(ref, target, false);
    return target;
  }

  /**
   * Creates such a folder, and the repo's blobs/, snapshots/ and refs/ first, so no scanner ever sees a repo without
   * them. Remembered like every folder: a writer that finds it gone (ENOENT) calls forgetDirectories and comes back.
   */
  async ensureRepoSubfolder(ref: CacheRepoRef, ...segments: string[]): Promise<string> {
    const dir = this.repoSubPath(ref, ...segments);
    await this.ensureRepoLayout(ref);
    await this.ensureDir(ref, dir);
    return dir;
  }

  /** A regular file under the blob's name (of any size; see blobState for whether to trust it). */
  async hasBlob(ref: CacheRepoRef, blobId: string): Promise<boolean> {
    return (await lstatOrUndefined(this.blobPath(ref, blobId)))?.isFile() ?? false;
  }

  /**
   * Whether the cache holds the blob: trusted only as a regular file (never a symlink, which could point at anything)
   * of the listed size. 'damaged' is a blob name holding something else: it is fetched again, and replaced.
   */
  /** The names in the repo's `blobs/` folder (empty when it has none): one readdir instead of a stat per file. */
  async blobNames(ref: CacheRepoRef): Promise<ReadonlySet<string>> {
    try {
      return new Set(await fs.readdir(path.join(this.repoDir(ref), LAYOUT.blobs)));
    } catch {
      return new Set();
    }
  }

  async blobState(ref: CacheRepoRef, blobId: string, size: number): Promise<'intact' | 'absent' | 'damaged'> {
    const st = await lstatOrUndefined(this.blobPath(ref, blobId));
    if (st === undefined) return 'absent';
    return st.isFile() && st.size === size ? 'intact' : 'damaged';
  }

  /**
   * Versions before 0.2 kept our partial as `blobs/<id>.incomplete`, the name huggingface_hub < 1.18 also resumed into.
   * One with our range journal beside it is ours: moved to today's names, so a download interrupted before an update
   * resumes. Call holding the blob's lock.
   */
  async adoptLegacyPartial(ref: CacheRepoRef, blobId: string): Promise<void> {
    const blob = this.blobPath(ref, blobId);
    const legacyJournal = `${blob}${LAYOUT.legacyRangeJournalSuffix}`;
    if (!(await lstatOrUndefined(legacyJournal))?.isFile()) return;
    if ((await lstatOrUndefined(this.incompletePath(ref, blobId))) === undefined && (await lstatOrUndefined(`${blob}${LAYOUT.legacyPartialSuffix}`))?.isFile()) {
      await fs.rename(`${blob}${LAYOUT.legacyPartialSuffix}`, this.incompletePath(ref, blobId));
      await fs.rename(legacyJournal, this.rangeJournalPath(ref, blobId));
      return;
    }
    await unlinkIfPresent(legacyJournal);
  }

  async commitBlob(ref: CacheRepoRef, blobId: string, fromPath: string): Promise<void> {
    const dest = this.blobPath(ref, blobId);
    await this.ensureRepoLayout(ref);
    const source = await lstatOrUndefined(fromPath);
    if (!source?.isFile()) throw new MistudioError('Io', `Cannot store blob ${blobId}: ${fromPath} is not a file`, { path: fromPath });
    try {
      await fsyncFile(fromPath);
      await fs.rename(fromPath, dest);
    } catch (err) {
      if (errnoCode(err) !== 'EXDEV') throw ioError(`Cannot store blob ${blobId}`, err, dest);
      await this.copyIntoPlace(ref, fromPath, dest);
      await unlinkIfPresent(fromPath);
    }
    await fsyncDir(path.dirname(dest));
  }

  /**
   * Places one snapshot file. With `deferDirSync`, the folder holding the new link is fsync'd later, by
   * syncDirectories, once for many links (one fsync per link made each small file pay for a journal commit).
   */
  async linkSnapshotFile(
    ref: CacheRepoRef,
    commit: string,
    relPath: string,
    blobId: string,
    options: { deferDirSync?: boolean } = {},
  ): Promise<Materialization> {
    try {
      return await this.linkSnapshotFileOnce(ref, commit, relPath, blobId, options.deferDirSync === true);
    } catch (err) {
      // A remembered folder was deleted under us (another tool, a cleanup): forget what we knew and try once more.
      if (!this.forgetIfGone(err)) throw err;
      return await this.linkSnapshotFileOnce(ref, commit, relPath, blobId, options.deferDirSync === true);
    }
  }

  /**
   * Makes every folder entry created with deferDirSync under this repo — and the blob renames the transfer made
   * into blobs/ — durable. Call before anything (a ref, a "ready" entry) vouches for the snapshot.
   */
  async syncDirectories(ref: CacheRepoRef): Promise<void> {
    const repo = this.repoDir(ref);
    const concerns = (d: string): boolean => d === repo || isStrictlyInside(repo, d) || isStrictlyInside(d, repo);
    const dirs = [...this.unsyncedDirs].filter(concerns);
    const blobs = path.join(repo, LAYOUT.blobs);
    if (!dirs.includes(blobs)) dirs.push(blobs);
    for (const dir of dirs) this.unsyncedDirs.delete(dir);
    // A sync another download of this repo started may still run; it covers entries made before it began only.
    await Promise.all(dirs.map((dir) => this.syncDir(dir)));
    await Promise.all([...this.dirSyncs].filter(([d]) => concerns(d)).map(([, p]) => p));
  }

  /** Forgets remembered folders of a repo; call after deleting anything in it. */
  forgetDirectories(ref: CacheRepoRef): void {
    const repo = this.repoDir(ref);
    for (const dir of this.knownDirs) if (dir === repo || isStrictlyInside(repo, dir)) this.knownDirs.delete(dir);
  }

  private async syncDir(dir: string): Promise<void> {
    const previous = this.dirSyncs.get(dir);
    const run = (async (): Promise<void> => {
      await previous;
      await fsyncDir(dir);
    })();
    this.dirSyncs.set(dir, run);
    try {
      await run;
    } finally {
      if (this.dirSyncs.get(dir) === run) this.dirSyncs.delete(dir);
    }
  }

  private forgetIfGone(err: unknown): boolean {
    const cause = err instanceof MistudioError ? (err.cause ?? err) : err;
    const code = errnoCode(cause);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return false;
    // Always worth the one retry: several links fail together when a folder vanishes, and only the first of them
    // finds anything left to forget.
    this.knownDirs.clear();
    return true;
  }

  private async linkSnapshotFileOnce(ref: CacheRepoRef, commit: string, relPath: string, blobId: string, deferDirSync: boolean): Promise<Materialization> {
    const blob = this.blobPath(ref, blobId);
    const linkPath = this.snapshotFilePath(ref, commit, relPath);
    const blobStat = await statOrUndefined(blob);
    if (!blobStat?.isFile()) throw new MistudioError('Io', `Cannot link ${relPath}: blob ${blobId} is not in the cache`, { path: blob });
    await this.ensureRepoLayout(ref);
    await this.ensureDir(ref, path.dirname(linkPath));

    // Exactly os.path.relpath(blob, dirname(link)) as huggingface_hub writes it, so the cache survives being moved.
    const target = path.relative(path.dirname(linkPath), blob);
    if (this.symlinksWork) {
      // The usual case, a snapshot being filled: nothing is there yet, and symlink() creates the link whole or fails
      // with EEXIST, so it goes first — no lstat beforehand, no temp name and rename (one call fewer per file).
      try {
        await this.linkFs.symlink(target, linkPath);
        if (deferDirSync) this.unsyncedDirs.add(path.dirname(linkPath));
        else await fsyncDir(path.dirname(linkPath));
        return 'symlink';
      } catch (err) {
        const code = errnoCode(err) ?? '';
        // EEXIST: something is in the way; what it is decides below.
        if (LINKS_UNSUPPORTED.has(code)) this.symlinksWork = false;
        else if (code !== 'EEXIST') throw ioError(`Cannot link ${relPath}`, err, linkPath);
      }
    }

    const existing = await lstatOrUndefined(linkPath);
    if (existing?.isDirectory()) throw new MistudioError('Io', `Cannot link ${relPath}: a folder is in the way`, { path: linkPath });
    if (existing?.isSymbolicLink() && (await fs.readlink(linkPath)) === target) return 'symlink';
    if (this.symlinksWork) {
      const temp = tempPathIn(this.repoDir(ref));
      try {
        await this.linkFs.symlink(target, temp);
        await this.renameIntoPlace(temp, linkPath, deferDirSync);
        return 'symlink';
      } catch (err) {
        await fs.unlink(temp).catch(() => undefined);
        if (!LINKS_UNSUPPORTED.has(errnoCode(err) ?? '')) throw ioError(`Cannot link ${relPath}`, err, linkPath);
        this.symlinksWork = false;
      }
    }
    if (existing?.isFile() && existing.ino === blobStat.ino && existing.dev === blobStat.dev) return 'hardlink';
    if (this.hardlinksWork) {
      // A hard link costs no space and keeps one inode, which cleanup uses to tell which blob a real file is.
      const temp = tempPathIn(this.repoDir(ref));
      try {
        await this.linkFs.link(blob, temp);
        await this.renameIntoPlace(temp, linkPath, deferDirSync);
        return 'hardlink';
      } catch (err) {
        await fs.unlink(temp).catch(() => undefined);
        if (!HARDLINKS_UNSUPPORTED.has(errnoCode(err) ?? '')) throw ioError(`Cannot link ${relPath}`, err, linkPath);
        this.hardlinksWork = false;
      }
    }
    await this.copyIntoPlace(ref, blob, linkPath, deferDirSync);
    return 'copy';
  }

  /** Not written when the revision is the commit itself, like huggingface_hub; unchanged refs are not rewritten. */
  async writeRef(ref: CacheRepoRef, revision: string, commit: string): Promise<void> {
    validateCommit(commit);
    const name = validateRevision(revision);
    if (name === commit) return;
    const file = this.refPath(ref, name);
    await this.ensureRepoLayout(ref);
    await this.ensureDir(ref, path.dirname(file));
    if ((await this.readRefFile(file)) === commit) return;
    // No trailing newline: huggingface_hub compares the file's raw text with the commit.
    await writeFileAtomic(file, commit, this.repoDir(ref));
  }

  /** The commit a revision names in this cache; a full commit sha names itself. */
  async readRef(ref: CacheRepoRef, revision: string): Promise<string | undefined> {
    const name = validateRevision(revision);
    const stored = await this.readRefFile(this.refPath(ref, name));
    if (stored !== undefined && isCommitSha(stored)) return stored;
    return isCommitSha(name) ? name : undefined;
  }

  async snapshotIsComplete(ref: CacheRepoRef, commit: string, files: readonly SnapshotFileSpec[]): Promise<boolean> {
    for (const file of files) {
      if (!(await this.fileMatchesBlob(this.snapshotFilePath(ref, commit, file.path), this.blobPath(ref, file.blobId), file.size))) {
        return false;
      }
    }
    return true;
  }

  /** Removes our partials (and their journals) of these blobs; call holding each blob's lock. */
  async removeIncomplete(ref: CacheRepoRef, blobIds: readonly string[]): Promise<void> {
    for (const blobId of blobIds) {
      // The journal first: a kill in between leaves a partial without one (fine), never a journal without its partial.
      await unlinkIfPresent(this.rangeJournalPath(ref, blobId));
      await unlinkIfPresent(this.incompletePath(ref, blobId));
      // An older version's partial, known by its journal; a bare `<id>.incomplete` is huggingface_hub's.
      const legacy = `${this.blobPath(ref, blobId)}${LAYOUT.legacyPartialSuffix}`;
      if (await unlinkIfPresent(`${this.blobPath(ref, blobId)}${LAYOUT.legacyRangeJournalSuffix}`)) await unlinkIfPresent(legacy);
    }
  }

  private async readRefFile(file: string): Promise<string | undefined> {
    try {
      return (await fs.readFile(file, 'utf8')).trim();
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw ioError(`Cannot read ref ${file}`, err, file);
    }
  }

  private async fileMatchesBlob(file: string, blob: string, size: number | undefined): Promise<boolean> {
    const st = await lstatOrUndefined(file);
    if (st === undefined) return false;
    // The blob itself must be a real file: a symlink in blobs/ could make any file outside the cache look complete.
    const lstatBlob = await lstatOrUndefined(blob);
    const blobStat = lstatBlob?.isFile() ? lstatBlob : undefined;
    if (lstatBlob !== undefined && blobStat === undefined) return false;
    const sizeOk = (n: number): boolean => size === undefined || n === size;
    if (st.isSymbolicLink()) {
      if (!blobStat?.isFile() || !sizeOk(blobStat.size)) return false;
      const target = path.resolve(path.dirname(file), await fs.readlink(file));
      if (target === blob) return true;
      // An absolute link written through another spelling of the root (a symlinked cache root) still counts.
      const [realTarget, realBlob] = await Promise.all([fs.realpath(file).catch(() => ''), fs.realpath(blob).catch(() => '')]);
      return realTarget !== '' && realTarget === realBlob;
    }
    if (!st.isFile()) return false;
    // A real file: our hard link or copy, or huggingface_hub's no-symlink layout where the blob was moved here.
    if (blobStat === undefined) return sizeOk(st.size);
    return sizeOk(st.size) && (st.size === blobStat.size || (st.ino === blobStat.ino && st.dev === blobStat.dev));
  }

  private async copyIntoPlace(ref: CacheRepoRef, from: string, dest: string, deferDirSync = false): Promise<void> {
    const temp = tempPathIn(this.repoDir(ref));
    try {
      await fs.copyFile(from, temp);
      await fsyncFile(temp);
      await this.renameIntoPlace(temp, dest, deferDirSync);
    } catch (err) {
      await fs.unlink(temp).catch(() => undefined);
      throw ioError(`Cannot copy into ${dest}`, err, dest);
    }
  }

  private async renameIntoPlace(temp: string, dest: string, deferDirSync = false): Promise<void> {
    await fs.rename(temp, dest);
    if (deferDirSync) this.unsyncedDirs.add(path.dirname(dest));
    else await fsyncDir(path.dirname(dest));
  }

  private async ensureDir(ref: CacheRepoRef, dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    this.assertNoSymlinkedParents(ref, dir, true);
    let firstCreated: string | undefined;
    try {
      firstCreated = await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      throw ioError(`Cannot create folder ${dir}`, err, dir);
    }
    // Checked again once it exists: mkdir -p would have gone through a symlinked parent created meanwhile.
    this.assertNoSymlinkedParents(ref, dir, true);
    // Each new folder is an entry in its parent, durable only once the parent is fsync'd (with the links, later).
    if (firstCreated !== undefined) {
      for (let d = dir; d !== path.dirname(firstCreated) && d !== path.dirname(d); d = path.dirname(d)) this.unsyncedDirs.add(path.dirname(d));
    }
  }

  /**
   * Refuses a target whose existing parents inside the repo folder include a symlink or a non-folder: writing
   * through one could land anywhere. The root and the repo folder itself may be symlinks (a cache moved to
   * another disk); what huggingface_hub creates below them never is.
   */
  private assertNoSymlinkedParents(ref: CacheRepoRef, target: string, includeTarget: boolean): void {
    const repo = this.repoDir(ref);
    const parts = path.relative(repo, target).split(path.sep);
    const count = includeTarget ? parts.length : parts.length - 1;
    let current = repo;
    for (let i = 0; i < count; i++) {
      current = path.join(current, parts[i] ?? '');
      if (this.knownDirs.has(current)) continue;
      let st;
      try {
        st = lstatSync(current, { throwIfNoEntry: false });
      } catch (err) {
        throw ioError(`Cannot read ${current}`, err, current);
      }
      if (st === undefined) return;
      if (st.isSymbolicLink()) throw new MistudioError('UnsafePath', `Refusing to write through a symlink: ${current}`, { path: current });
      if (!st.isDirectory()) throw new MistudioError('UnsafePath', `Expected a folder but found a file: ${current}`, { path: current });
      this.knownDirs.add(current);
    }
  }
}
