import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteRevision } from '../../../src/core/cache/cleanup';
import { HfCache } from '../../../src/core/cache/hfCache';
import { isMistudioError } from '../../../src/core/errors';
import { COMMIT_A, COMMIT_B, MODEL, addRevision, makeTempDir, readSnapshot, removeDir } from './fixtures';

/** The folders HfCache remembers between files, and the folder fsyncs it defers to syncDirectories. */
describe('HfCache remembered folders and deferred folder syncs', () => {
  let root: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  it('links again after the snapshot folder it remembered was deleted behind its back', async () => {
    const [config] = await addRevision(cache, MODEL, COMMIT_A, [{ path: 'sub/config.json', content: '{"a":1}' }]);
    fs.rmSync(cache.snapshotDir(MODEL, COMMIT_A), { recursive: true });
    expect(await cache.linkSnapshotFile(MODEL, COMMIT_A, 'sub/config.json', config!.blobId, { deferDirSync: true })).toBe('symlink');
    await cache.syncDirectories(MODEL);
    expect(readSnapshot(cache, MODEL, COMMIT_A, ['sub/config.json'])).toEqual({ 'sub/config.json': '{"a":1}' });
  });

  it('links many files at once after the snapshot folder it remembered vanished', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ path: `data/part-${i}.parquet`, content: `rows ${i}` }));
    const specs = await addRevision(cache, MODEL, COMMIT_A, files);
    fs.rmSync(cache.snapshotDir(MODEL, COMMIT_A), { recursive: true });
    const results = await Promise.all(specs.map((f) => cache.linkSnapshotFile(MODEL, COMMIT_A, f.path, f.blobId, { deferDirSync: true })));
    expect(results).toEqual(files.map(() => 'symlink'));
    await cache.syncDirectories(MODEL);
    expect(readSnapshot(cache, MODEL, COMMIT_A, files.map((f) => f.path))).toEqual(Object.fromEntries(files.map((f) => [f.path, f.content])));
  });

  it('links again after deleteRevision removed the whole repo folder', async () => {
    const [weights] = await addRevision(cache, MODEL, COMMIT_A, [{ path: 'w.bin', content: 'weights' }], 'main');
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.existsSync(cache.repoDir(MODEL))).toBe(false);
    await addRevision(cache, MODEL, COMMIT_B, [{ path: 'nested/w.bin', content: 'weights' }]);
    expect(readSnapshot(cache, MODEL, COMMIT_B, ['nested/w.bin'])).toEqual({ 'nested/w.bin': 'weights' });
    expect(weights?.blobId).toBeDefined();
  });

  it('still refuses a folder replaced by a symlink once it forgot what it knew', async () => {
    const [file] = await addRevision(cache, MODEL, COMMIT_A, [{ path: 'tok/vocab.txt', content: 'v' }]);
    const outside = makeTempDir('mistudio-outside-');
    try {
      const tok = path.join(cache.snapshotDir(MODEL, COMMIT_A), 'tok');
      fs.rmSync(tok, { recursive: true });
      fs.symlinkSync(outside, tok);
      cache.forgetDirectories(MODEL);
      let caught: unknown;
      try {
        await cache.linkSnapshotFile(MODEL, COMMIT_A, 'tok/vocab.txt', file!.blobId);
      } catch (err) {
        caught = err;
      }
      expect(isMistudioError(caught, 'UnsafePath')).toBe(true);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      removeDir(outside);
    }
  });

  it('places deferred links at once; syncDirectories only adds durability', async () => {
    const [a, b] = await addRevision(cache, MODEL, COMMIT_A, [
      { path: 'a.txt', content: 'A' },
      { path: 'd/b.txt', content: 'B' },
    ]);
    await cache.linkSnapshotFile(MODEL, COMMIT_B, 'a.txt', a!.blobId, { deferDirSync: true });
    await cache.linkSnapshotFile(MODEL, COMMIT_B, 'd/b.txt', b!.blobId, { deferDirSync: true });
    expect(readSnapshot(cache, MODEL, COMMIT_B, ['a.txt', 'd/b.txt'])).toEqual({ 'a.txt': 'A', 'd/b.txt': 'B' });
    await Promise.all([cache.syncDirectories(MODEL), cache.syncDirectories(MODEL)]);
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_B, [{ path: 'a.txt', blobId: a!.blobId }, { path: 'd/b.txt', blobId: b!.blobId }])).toBe(true);
  });
});
