import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MistudioError, cancelled, isMistudioError } from '../errors';
import { acquireFileLock, tryAcquireFileLockAsync, type HeldLock } from '../locking/fileLock';
import type { CacheRepoRef } from '../repo';
import { errnoCode, ioError } from './fsUtil';
import type { HfCache } from './hfCache';
import { LAYOUT, repoFolderName } from './paths';

export interface BlobLockOptions {
  readonly signal?: AbortSignal;
  /** Called once if the blob is busy (another download of it, here or in another process or tool). */
  readonly onWait?: () => void;
}

/** Runs `task` holding one blob's lock. */
export type BlobLock = <T>(ref: CacheRepoRef, blobId: string, task: () => Promise<T>, options?: BlobLockOptions) => Promise<T>;

/**
 * One writer per blob, across this process, our other processes and huggingface_hub: the lock is huggingface_hub's own
 * `<cache>/.locks/<repo folder>/<blob id>.lock`, taken the way Python's filelock takes it (see locking/fileLock).
 * Within the process, work on a blob queues first (an OS lock would make our own tasks poll each other).
 */
export class BlobLocks {
  private readonly local = new Map<string, Promise<unknown>>();
  private readonly checkedFolders = new Set<string>();

  constructor(private readonly cache: HfCache) {}

  readonly run: BlobLock = async (ref, blobId, task, options = {}) => {
    const file = this.cache.lockPath(ref, blobId);
    const previous = this.local.get(file);
    let releaseLocal!: () => void;
    const mine = new Promise<void>((resolve) => (releaseLocal = resolve));
    const turn = (previous ?? Promise.resolve()).catch(() => undefined).then(() => mine);
    this.local.set(file, turn);
    let told = false;
    const tell = (): void => {
      if (told) return;
      told = true;
      options.onWait?.();
    };
    try {
      if (previous) {
        tell();
        await untilSettledOrAborted(previous, options.signal);
      }
      const held = await this.inLockFolder(ref, () => acquireFileLock(file, { ...(options.signal ? { signal: options.signal } : {}), onWait: tell }));
      return await holding(held, task);
    } finally {
      this.leave(file, turn, releaseLocal);
    }
  };

  /**
   * Runs `task` only if the blob's lock is free right now, here and in every other process; undefined when busy.
   * For tidying (removing a partial): a blob someone is writing is theirs, and waiting for them would gain nothing.
   */
  async tryRun<T>(ref: CacheRepoRef, blobId: string, task: () => Promise<T>): Promise<T | undefined> {
    const file = this.cache.lockPath(ref, blobId);
    if (this.local.has(file)) return undefined;
    let releaseLocal!: () => void;
    const turn = new Promise<void>((resolve) => (releaseLocal = resolve));
    this.local.set(file, turn);
    try {
      const held = await this.inLockFolder(ref, () => tryAcquireFileLockAsync(file));
      return held ? await holding(held, task) : undefined;
    } finally {
      this.leave(file, turn, releaseLocal);
    }
  }

  /** Ends this task's turn on the blob; the map forgets the blob once no later task queued behind it. */
  private leave(file: string, turn: Promise<unknown>, releaseLocal: () => void): void {
    releaseLocal();
    if (this.local.get(file) === turn) this.local.delete(file);
  }

  /** Takes a lock in the repo's lock folder, making the folder again if it went away since it was checked. */
  private async inLockFolder<T>(ref: CacheRepoRef, take: () => Promise<T>): Promise<T> {
    await this.ensureLockFolder(ref);
    try {
      return await take();
    } catch (err) {
      // Deleting a repo's last revision removes its empty lock folder (as may `hf cache rm`): check and make it again.
      if (!isMistudioError(err) || errnoCode(err.cause) !== 'ENOENT') throw err;
      this.checkedFolders.delete(path.join(this.cache.root, LAYOUT.locks, repoFolderName(ref)));
      await this.ensureLockFolder(ref);
      return take();
    }
  }

  /**
   * `.locks/<repo folder>/`, created like huggingface_hub does (mkdir -p). Opening the lock truncates it, so neither
   * folder may be a symlink: in a shared cache it could point anywhere.
   */
  private async ensureLockFolder(ref: CacheRepoRef): Promise<void> {
    const locks = path.join(this.cache.root, LAYOUT.locks);
    const dir = path.join(locks, repoFolderName(ref));
    // Checked once per folder and process: a download takes a lock per file, and these calls were a third of it.
    if (this.checkedFolders.has(dir)) return;
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      throw ioError(`Cannot create the lock folder ${dir}`, err, dir);
    }
    for (const folder of [locks, dir]) {
      const st = await fs.lstat(folder).catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return undefined;
        throw ioError(`Cannot read ${folder}`, err, folder);
      });
      if (st !== undefined && !st.isDirectory()) {
        throw new MistudioError('UnsafePath', `Refusing to lock through ${folder}: it is a symlink or not a folder`, { path: folder });
      }
    }
    this.checkedFolders.add(dir);
  }
}

/** Waits for another task on the same blob, or rejects with Cancelled if our signal fires first. */
function untilSettledOrAborted(previous: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelled());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    void previous
      .catch(() => undefined)
      .then(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
  });
}

async function holding<T>(held: HeldLock, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } finally {
    held.release();
  }
}
