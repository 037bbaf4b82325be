import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import { scanCache } from '../../../src/core/cache/scan';
import { tryAcquireFileLock } from '../../../src/core/locking/fileLock';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { addRevision, blobIdOf } from '../cache/fixtures';
import { bigRepo, listTree, repoFolder, startEnv, waitForProgress, wasmPath, type StudioEnv } from './helpers';

const FOREIGN = { kind: 'model' as const, repoId: 'python/two-revisions' };
const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const SHARED = 's'.repeat(4000);
const held = bigRepo('test/cache-held', 256 * 1024, 71);
const slow = bigRepo('test/cache-slow', 4 * 1024 * 1024, 72);

describe('cache actions: delete from disk, prune, verify and repair', () => {
  let env: StudioEnv;
  let cache: HfCache;
  let other: StudioApi | undefined;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [held, slow], cdnBytesPerSecondPerConnection: 512 * 1024 }, studio: { maxConnectionsPerFile: 1 } });
    cache = new HfCache(env.cacheRoot);
  });
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await env.dispose();
  });

  const foreignFolder = (): string => repoFolder(env.cacheRoot, 'model', FOREIGN.repoId);

  /** Two revisions another tool downloaded, sharing one blob; main names the first. */
  async function foreignRepo(): Promise<void> {
    await addRevision(cache, FOREIGN, C1, [{ path: 'shared.bin', content: SHARED }, { path: 'one.txt', content: 'one' }], 'main');
    await addRevision(cache, FOREIGN, C2, [{ path: 'shared.bin', content: SHARED }, { path: 'two.txt', content: 'twotwo' }]);
  }

  it('deletes one revision of another tool’s repo: frees what only it used, as estimated; the shared blob stays', async () => {
    await foreignRepo();
    const estimate = await env.studio.estimateCacheDelete([{ ...FOREIGN, revision: C1 }]);
    expect(estimate.revisions).toEqual([{ ...FOREIGN, commit: C1, refs: ['main'], freedBytes: 3, heldBy: [], entries: [] }]);
    const progress: number[] = [];
    const result = await env.studio.deleteFromCache([{ ...FOREIGN, revision: C1 }], { onProgress: (p) => progress.push(p.done) });
    expect(result).toMatchObject({ freedBytes: 3, cancelled: false, partials: [] });
    expect(result.revisions).toEqual([{ ...FOREIGN, commit: C1, freedBytes: 3, pathsKept: 0, skipped: [] }]);
    expect(progress).toEqual([0, 1]);
    expect(listTree(path.join(foreignFolder(), 'snapshots'))).toEqual([`${C2}/shared.bin`, `${C2}/two.txt`]);
    expect(fs.existsSync(path.join(foreignFolder(), 'refs', 'main'))).toBe(false);
    expect(fs.existsSync(path.join(foreignFolder(), 'blobs', blobIdOf(SHARED)))).toBe(true);
  });

  it('deletes a whole repo: every revision, then the folder, leaving no ghost for the scan', async () => {
    await foreignRepo();
    const estimate = await env.studio.estimateCacheDelete([FOREIGN]);
    expect(estimate.revisions.map((r) => r.commit)).toEqual([C1, C2]);
    const result = await env.studio.deleteFromCache([FOREIGN]);
    expect(result.revisions.every((r) => r.error === undefined)).toBe(true);
    expect(result.freedBytes).toBe(SHARED.length + 3 + 6);
    expect(fs.existsSync(foreignFolder())).toBe(false);
    expect((await scanCache(env.cacheRoot)).repos).toEqual([]);
  });

  it('a revision this catalog and another hold: our entry leaves the catalog, the other catalog keeps its files', async () => {
    const mine = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: held.id })).id);
    const otherCatalog = path.join(env.dir, 'other', 'catalog.sqlite');
    other = await openStudio({ catalogFile: otherCatalog, wasmPath, cacheRoot: env.cacheRoot, endpoint: env.hub.url });
    const theirs = await other.whenSettled((await other.enqueue({ kind: 'model', repoId: held.id, include: ['*.json'] })).id);
    expect(theirs.status).toBe('ready');
    const target = { kind: 'model' as const, repoId: held.id, revision: mine.commit! };

    const estimate = await env.studio.estimateCacheDelete([target]);
    expect(estimate.revisions[0]).toMatchObject({ entries: [{ entryId: mine.id, revision: 'main' }], heldBy: [{ catalog: otherCatalog, revision: 'main' }] });
    expect(estimate.freedBytes).toBe(256 * 1024);
    const result = await env.studio.deleteFromCache([target]);
    expect(result.revisions[0]).toMatchObject({ freedBytes: 256 * 1024, pathsKept: 1 });
    expect(env.studio.catalog.getEntry(mine.id)).toBeUndefined();
    const snapshot = path.join(repoFolder(env.cacheRoot, 'model', held.id), 'snapshots', mine.commit!);
    expect(listTree(snapshot)).toEqual(['config.json']);
    await other.reconcile();
    expect(other.catalog.getEntry(theirs.id)?.status).toBe('ready');
  });

  it('prune: detached revisions no catalog holds and partials nobody resumes go; held, named and busy ones stay', async () => {
    await foreignRepo();
    const blobs = path.join(foreignFolder(), 'blobs');
    // Another tool's leftovers: one abandoned, one being written right now (its huggingface_hub lock is held).
    const abandoned = path.join(blobs, `${'a'.repeat(64)}.1a2b3c4d.incomplete`);
    const busy = path.join(blobs, `${'b'.repeat(64)}.5e6f7a8b.incomplete`);
    fs.writeFileSync(abandoned, Buffer.alloc(1000));
    fs.writeFileSync(busy, Buffer.alloc(500));
    fs.mkdirSync(path.dirname(cache.lockPath(FOREIGN, 'b'.repeat(64))), { recursive: true });
    const lock = tryAcquireFileLock(cache.lockPath(FOREIGN, 'b'.repeat(64)));
    expect(lock).toBeDefined();
    // A detached revision this catalog holds (an entry named by its commit) stays; so does our paused download's partial.
    const C3 = '3'.repeat(40);
    await addRevision(cache, FOREIGN, C3, [{ path: 'three.txt', content: 'three' }]);
    expect((await env.studio.adopt({ ...FOREIGN, revision: C3 })).status).toBe('ready');
    const paused = await env.studio.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(env.studio, paused.id, (p) => p.bytesDone > 64 * 1024);
    await env.studio.pause(paused.id);
    try {
      const plan = await env.studio.planPrune();
      expect(plan.revisions.map((r) => [r.repoId, r.commit])).toEqual([[FOREIGN.repoId, C2]]);
      expect(plan.partials.map((p) => path.basename(p.path)).sort()).toEqual([path.basename(abandoned), path.basename(busy)]);
      expect(plan.freedBytes).toBe(6 + 1000 + 500);

      const result = await env.studio.prune();
      expect(result.revisions.map((r) => [r.commit, r.freedBytes])).toEqual([[C2, 6]]);
      expect(result.partials.map((p) => [path.basename(p.path), p.removed]).sort()).toEqual([
        [path.basename(abandoned), true],
        [path.basename(busy), false],
      ]);
      expect(result.freedBytes).toBe(6 + 1000);
      expect(fs.existsSync(abandoned)).toBe(false);
      expect(fs.existsSync(busy)).toBe(true);
      expect(listTree(path.join(foreignFolder(), 'snapshots'))).toEqual([`${C1}/one.txt`, `${C1}/shared.bin`, `${C3}/three.txt`]);
      const slowBlobs = fs.readdirSync(path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs'));
      expect(slowBlobs.some((n) => n.endsWith('.mistudio.incomplete'))).toBe(true);
    } finally {
      lock?.release();
    }
  });

  it('verify finds a blob truncated by hand; repair fetches it again and the revision verifies clean', async () => {
    other = await openStudio({ catalogFile: path.join(env.dir, 'other', 'catalog.sqlite'), wasmPath, cacheRoot: env.cacheRoot, endpoint: env.hub.url });
    const theirs = await other.whenSettled((await other.enqueue({ kind: 'model', repoId: held.id })).id);
    const target = { kind: 'model' as const, repoId: held.id, revision: 'main' };
    const clean = await env.studio.verifyRevision(target);
    expect(clean).toMatchObject({ files: 2, bytes: 256 * 1024 + fs.statSync(path.join(theirs.snapshotPath!, 'config.json')).size, bad: [], unverifiable: [] });

    const weights = other.files(theirs.id).find((f) => f.path === 'weights.bin')!;
    fs.truncateSync(path.join(repoFolder(env.cacheRoot, 'model', held.id), 'blobs', weights.blobId), 1000);
    const report = await env.studio.verifyRevision(target);
    // Our download wrote huggingface_hub's tree listing: the size alone tells.
    expect(report.bad).toEqual([{ path: 'weights.bin', blobId: weights.blobId, problem: 'size' }]);

    env.hub.resetStats();
    const repairing = await env.studio.repairRevision(report);
    expect(repairing).toMatchObject({ revision: theirs.commit, includePatterns: ['weights.bin'] });
    const repaired = await env.studio.whenSettled(repairing.id);
    expect(repaired.status).toBe('ready');
    expect(env.hub.bytesSent({ server: 'cdn', path: 'weights.bin' })).toBe(256 * 1024);
    expect((await env.studio.verifyRevision(target)).bad).toEqual([]);
  });

  it('verify without a listing judges a blob by its name: same size, other bytes is a content mismatch', async () => {
    await foreignRepo();
    const blob = path.join(foreignFolder(), 'blobs', blobIdOf(SHARED));
    fs.writeFileSync(blob, 'x'.repeat(SHARED.length));
    const report = await env.studio.verifyRevision({ ...FOREIGN, revision: C1 });
    expect(report.bad).toEqual([{ path: 'shared.bin', blobId: blobIdOf(SHARED), problem: 'content' }]);
    expect(report.files).toBe(2);
  });

  it('a cancel between revisions leaves the rest untouched and says so', async () => {
    await foreignRepo();
    const controller = new AbortController();
    const result = await env.studio.deleteFromCache([FOREIGN], { signal: controller.signal, onProgress: (p) => p.done === 1 && controller.abort() });
    expect(result.cancelled).toBe(true);
    expect(result.revisions.map((r) => r.commit)).toEqual([C1]);
    expect(listTree(path.join(foreignFolder(), 'snapshots'))).toEqual([`${C2}/shared.bin`, `${C2}/two.txt`]);
  });
});
