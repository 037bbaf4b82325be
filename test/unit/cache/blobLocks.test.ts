import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobLocks, HfCache } from '../../../src/core/cache';
import { tryAcquireFileLock } from '../../../src/core/locking/fileLock';

const REF = { kind: 'model' as const, repoId: 'org/locked' };
const BLOB = 'a'.repeat(64);

describe('BlobLocks', () => {
  let root: string;
  let cache: HfCache;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-bloblocks-'));
    cache = new HfCache(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('holds the OS lock while the task runs: another descriptor cannot take it, and can once the task ends', async () => {
    const locks = new BlobLocks(cache);
    const file = cache.lockPath(REF, BLOB);
    let inside: ReturnType<typeof tryAcquireFileLock> | 'unset' = 'unset';
    await locks.run(REF, BLOB, async () => {
      inside = tryAcquireFileLock(file);
    });
    expect(inside).toBeUndefined();
    const after = tryAcquireFileLock(file);
    expect(after).toBeDefined();
    after?.release();
  });

  it('makes the lock folder again when it was removed after the first lock (the last revision was deleted)', async () => {
    const locks = new BlobLocks(cache);
    expect(await locks.run(REF, BLOB, async () => 'first')).toBe('first');
    const folder = path.dirname(cache.lockPath(REF, BLOB));
    fs.rmSync(folder, { recursive: true });
    expect(await locks.run(REF, BLOB, async () => fs.existsSync(cache.lockPath(REF, BLOB)))).toBe(true);
    expect(await locks.tryRun(REF, 'b'.repeat(64), async () => 'tidied')).toBe('tidied');
  });

  it('refuses a lock folder that is a symlink (in a shared cache it could point anywhere)', async () => {
    const locks = new BlobLocks(cache);
    await locks.run(REF, BLOB, async () => undefined);
    const folder = path.dirname(cache.lockPath(REF, BLOB));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-elsewhere-'));
    try {
      fs.rmSync(folder, { recursive: true });
      fs.symlinkSync(elsewhere, folder);
      // Another process (a fresh BlobLocks) checks the folder before its first lock there.
      const other = new BlobLocks(cache);
      await expect(other.run(REF, BLOB, async () => undefined)).rejects.toThrow(/symlink or not a folder/);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
