import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MistudioError, throwIfAborted } from '../errors';
import type { CacheRepoRef } from '../repo';
import { inspect, type CleanupOptions, type Inspection } from './cleanupPlan';
import type { HfCache } from './hfCache';
import { errnoCode, ioError, isOurTempName, lstatOrUndefined, readdirOrEmpty, rmdirIfEmpty, unlinkIfPresent } from './fsUtil';
import { IGNORED_NAMES, LAYOUT, isStrictlyInside, parseRepoFolderName } from './paths';

export { planRevisionDelete } from './cleanupPlan';
export type { CleanupOptions, CleanupPlan } from './cleanupPlan';

export interface RevisionDeleteResult {
  /** Bytes the filesystem got back. */
  readonly freedBytes: number;
  /** What was left alone and why (a link leaving the repo, a blob that is a folder). */
  readonly skipped: readonly string[];
  /** Snapshot files that stay: others hold them, or the deleted entry never had them. */
  readonly pathsKept: readonly string[];
}

/**
 * Deletes one cached revision the way `hf cache rm` does, but safely restartable: refs first (so no ref ever
 * names a missing snapshot), then the snapshot is moved aside in one rename (readers see it whole or not at
 * all, and its links still say which blobs it used), then the blobs only it used, then the moved snapshot,
 * then empty folders. A crash anywhere leaves a state a re-run finishes; an already deleted revision is a no-op.
 * Nothing outside the repo folder is ever touched: symlinks are removed, never followed.
 */
export async function deleteRevision(
  cache: HfCache,
  ref: CacheRepoRef,
  commit: string,
  signal?: AbortSignal,
  options: CleanupOptions = {},
): Promise<RevisionDeleteResult> {
  throwIfAborted(signal);
  const inspection = await inspect(cache, ref, commit, options, signal);
  const { plan, repo } = inspection;
  if (repo === undefined) return { freedBytes: 0, skipped: plan.skipped, pathsKept: [] };
  // The folders it remembers are about to go; forgotten again at the end, after a download may have used them.
  cache.forgetDirectories(ref);
  try {
    return await deleteInspected(inspection, repo, signal, options);
  } finally {
    cache.forgetDirectories(ref);
  }
}

async function deleteInspected(
  { plan, targets, moves }: Inspection,
  repo: string,
  signal: AbortSignal | undefined,
  options: CleanupOptions,
): Promise<RevisionDeleteResult> {
  const inRepo = (...parts: string[]): string => confined(repo, path.join(repo, ...parts));
  const commit = plan.commit;

  for (const name of plan.refsToRemove) {
    throwIfAborted(signal);
    await unlinkIfPresent(inRepo(LAYOUT.refs, ...name.split('/')));
  }
  await pruneEmptyFolders(inRepo(LAYOUT.refs), false);

  throwIfAborted(signal);
  const trash = plan.scope === 'revision' ? await moveSnapshotAside(repo, commit, targets) : await moveLinksAside(repo, commit, targets, moves, signal);

  for (const blobId of plan.blobsToRemove) {
    throwIfAborted(signal);
    const blob = inRepo(LAYOUT.blobs, blobId);
    if ((await lstatOrUndefined(blob))?.isDirectory()) {
      plan.skipped.push(`blobs/${blobId} is a folder; left alone`);
      continue;
    }
    await unlinkIfPresent(blob);
  }

  for (const target of trash) await removeTree(repo, target, signal);
  if (plan.scope === 'revision') {
    // What huggingface_hub knows of the commit goes with its snapshot: it would otherwise describe nothing.
    await removeTree(repo, inRepo(LAYOUT.noExist, commit), signal);
    await unlinkIfPresent(inRepo(LAYOUT.trees, `${commit}.json`));
    await rmdirIfEmpty(inRepo(LAYOUT.trees));
  }
  const gate = options.partialGate ?? ((_blobId: string, remove: () => Promise<void>) => remove());
  for (const blobId of plan.partialsToRemove) {
    throwIfAborted(signal);
    await gate(blobId, async () => {
      await unlinkIfPresent(inRepo(LAYOUT.blobs, `${blobId}${LAYOUT.rangeJournalSuffix}`));
      await unlinkIfPresent(inRepo(LAYOUT.blobs, `${blobId}${LAYOUT.partialSuffix}`));
    });
  }
  await rmdirIfEmpty(inRepo(LAYOUT.trash));
  await removeStaleTemps(repo);
  if (plan.removesRepo && (await removeRepoIfEmpty(repo, plan.skipped, signal))) {
    // huggingface_hub's lock folder of the repo, when no lock file is left in it: one still there may be held.
    await rmdirIfEmpty(confined(path.dirname(repo), path.join(path.dirname(repo), LAYOUT.locks, path.basename(repo)))).catch(() => false);
  }
  return { freedBytes: plan.freedBytes, skipped: plan.skipped, pathsKept: plan.pathsKept };
}

/** Completes every deletion a crash interrupted (snapshots left in the repo folders' trash). */
export async function finishInterruptedDeletes(
  cache: HfCache,
  signal?: AbortSignal,
  options: CleanupOptions = {},
): Promise<Array<{ ref: CacheRepoRef; commit: string; freedBytes: number }>> {
  const done: Array<{ ref: CacheRepoRef; commit: string; freedBytes: number }> = [];
  for (const name of await readdirOrEmpty(cache.root)) {
    const ref = parseRepoFolderName(name);
    if (ref === undefined) continue;
    let repoFolder: string;
    try {
      repoFolder = cache.repoDir(ref);
    } catch {
      continue; // a folder whose name is not a valid repo id is nothing we wrote
    }
    const names = await readdirOrEmpty(path.join(repoFolder, LAYOUT.trash));
    const commits = new Set(names.map((n) => n.slice(0, 40)));
    for (const commit of [...commits].filter((c) => /^[0-9a-f]{40}$/.test(c)).sort()) {
      throwIfAborted(signal);
      // A whole snapshot moved aside finishes as the delete of its revision; links moved aside from a snapshot that
      // stays (they end in .paths) finish by removing only them, and the blobs nothing else links.
      const whole = names.some((n) => n.slice(0, 40) === commit && !n.endsWith(LAYOUT.partialTrashSuffix));
      const { freedBytes } = await deleteRevision(cache, ref, commit, signal, whole ? options : { ...options, ownPaths: [] });
      done.push({ ref, commit, freedBytes });
    }
  }
  return done;
}

/**
 * Moves snapshots/<commit> into the repo's trash folder in one rename. The trash sits at the same depth as
 * snapshots/, so the moved links still resolve and a re-run after a crash still knows which blobs they used.
 * Returns every trash entry of this commit (including ones an earlier, interrupted run left).
 */
async function moveSnapshotAside(repo: string, commit: string, targets: readonly string[]): Promise<string[]> {
  const snapshot = path.join(repo, LAYOUT.snapshots, commit);
  const trashDir = path.join(repo, LAYOUT.trash);
  const trash = targets.filter((t) => t !== snapshot);
  if (!targets.includes(snapshot)) return trash;
  const st = await lstatOrUndefined(snapshot);
  if (st === undefined) return trash;
  if (!st.isDirectory()) {
    await unlinkIfPresent(snapshot); // a stray file or a symlink: remove the name, never what it points to
    return trash;
  }
  const aside = path.join(trashDir, trash.length === 0 ? commit : `${commit}.${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(trashDir, { recursive: true });
    await fs.rename(snapshot, aside);
    return [...trash, aside];
  } catch (err) {
    // Some systems refuse to rename a folder in use (Windows): delete it in place, as huggingface_hub does.
    if (errnoCode(err) === 'ENOSPC') throw ioError(`Cannot delete ${snapshot}`, err, snapshot);
    return [...trash, snapshot];
  }
}

/**
 * Moves the snapshot entries that go into a trash folder of their own (`<commit>.<hex>.paths`), each in one rename
 * and at its own path, so its relative link still resolves and a re-run after a crash still knows which blobs it
 * used. The snapshot keeps the rest; folders this empties go. Returns every trash entry of this commit.
 */
async function moveLinksAside(repo: string, commit: string, targets: readonly string[], moves: Inspection['moves'], signal?: AbortSignal): Promise<string[]> {
  if (moves.length === 0) return [...targets];
  const snapshot = path.join(repo, LAYOUT.snapshots, commit);
  const aside = path.join(repo, LAYOUT.trash, `${commit}.${randomBytes(4).toString('hex')}${LAYOUT.partialTrashSuffix}`);
  const emptied = new Set<string>();
  for (const file of moves) {
    throwIfAborted(signal);
    const from = confined(snapshot, file.abs);
    const to = confined(aside, path.join(aside, ...file.rel.split('/')));
    try {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && (await lstatOrUndefined(from)) === undefined) continue; // gone meanwhile
      if (errnoCode(err) === 'ENOSPC') throw ioError(`Cannot delete ${from}`, err, from);
      // Renames refused (Windows, odd filesystems): the link goes in place; only a crash now could orphan its blob.
      await unlinkIfPresent(from);
    }
    for (let dir = path.dirname(from); dir !== snapshot && isStrictlyInside(snapshot, dir); dir = path.dirname(dir)) emptied.add(dir);
  }
  // Deepest first, so a parent is tried once its children are gone; a folder something else still uses stays.
  for (const dir of [...emptied].sort((a, b) => b.length - a.length)) await rmdirIfEmpty(dir);
  return [...targets, aside];
}

/** rm -r that never leaves `repo`, never follows a symlink and checks for cancellation as it goes. */
async function removeTree(repo: string, target: string, signal?: AbortSignal): Promise<void> {
  confined(repo, target);
  throwIfAborted(signal);
  const st = await lstatOrUndefined(target);
  if (st === undefined) return;
  if (!st.isDirectory()) {
    await unlinkIfPresent(target);
    return;
  }
  for (const name of await readdirOrEmpty(target)) await removeTree(repo, path.join(target, name), signal);
  try {
    await fs.rmdir(target);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw ioError(`Cannot remove folder ${target}`, err, target);
  }
}

/** Removes empty sub-folders (refs/pr after refs/pr/1 went); `dir` itself stays unless removeSelf. */
async function pruneEmptyFolders(dir: string, removeSelf: boolean): Promise<void> {
  for (const name of await readdirOrEmpty(dir)) {
    const full = path.join(dir, name);
    if ((await lstatOrUndefined(full))?.isDirectory()) await pruneEmptyFolders(full, true);
  }
  if (removeSelf) await rmdirIfEmpty(dir);
}

/**
 * What a repo folder without snapshots may still hold and lose with it: huggingface_hub's negative cache and tree
 * listings (of commits no longer cached) and holder records (nothing of theirs is left to hold).
 */
const REPO_ENTRIES_WE_MAY_REMOVE: ReadonlySet<string> = new Set([
  LAYOUT.blobs,
  LAYOUT.snapshots,
  LAYOUT.refs,
  LAYOUT.noExist,
  LAYOUT.trash,
  LAYOUT.trees,
  LAYOUT.holders,
]);

/**
 * Removes the repo folder once nothing that matters is left in it. A download that started meanwhile or a
 * file we did not write keeps it (and we say so) rather than being swept away.
 */
async function removeRepoIfEmpty(repo: string, skipped: string[], signal?: AbortSignal): Promise<boolean> {
  const names = await readdirOrEmpty(repo);
  const foreign = names.filter((n) => !REPO_ENTRIES_WE_MAY_REMOVE.has(n) && !isOurTempName(n) && !IGNORED_NAMES.has(n));
  const busy = [];
  for (const sub of [LAYOUT.blobs, LAYOUT.snapshots, LAYOUT.trash]) {
    if ((await readdirOrEmpty(path.join(repo, sub))).some((n) => !IGNORED_NAMES.has(n))) busy.push(sub);
  }
  if (await hasAnyFile(path.join(repo, LAYOUT.refs))) busy.push(LAYOUT.refs);
  if (foreign.length > 0 || busy.length > 0) {
    skipped.push(`Kept ${repo}: it still holds ${[...busy, ...foreign].join(', ')}`);
    return false;
  }
  // refs/ and then snapshots/ go last: until the very end the folder stays a repo every scanner can read.
  const lastly = (n: string): number => (n === LAYOUT.snapshots ? 2 : n === LAYOUT.refs ? 1 : 0);
  for (const name of [...names].sort((a, b) => lastly(a) - lastly(b))) await removeTree(repo, path.join(repo, name), signal);
  return rmdirIfEmpty(repo);
}

// Older than this, a temp file of ours belongs to a process that died (a crashed link, copy or ref write).
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

async function removeStaleTemps(repo: string): Promise<void> {
  for (const name of await readdirOrEmpty(repo)) {
    if (!isOurTempName(name)) continue;
    const st = await lstatOrUndefined(path.join(repo, name));
    if (st !== undefined && !st.isDirectory() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlinkIfPresent(path.join(repo, name));
  }
}

async function hasAnyFile(dir: string): Promise<boolean> {
  for (const name of await readdirOrEmpty(dir)) {
    const full = path.join(dir, name);
    const st = await lstatOrUndefined(full);
    if (st === undefined) continue;
    if (!st.isDirectory() || (await hasAnyFile(full))) return true;
  }
  return false;
}

/** Every path this module deletes is built from the resolved repo folder; this makes that an enforced fact. */
function confined(repo: string, target: string): string {
  if (!isStrictlyInside(repo, target)) throw new MistudioError('UnsafePath', `Refusing to touch ${target}: outside ${repo}`, { path: target });
  return target;
}
