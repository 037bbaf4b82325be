import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import type { InventoryRepo } from '../../../src/core/cacheInventory';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { addRevision } from '../cache/fixtures';
import { bigRepo, repoFolder, startEnv, waitForProgress, wasmPath, type StudioEnv } from './helpers';

const SIZE = 512 * 1024;
const held = bigRepo('test/inventory-held', SIZE, 61);
const slow = bigRepo('test/inventory-slow', 4 * 1024 * 1024, 62);
const FOREIGN = { kind: 'model' as const, repoId: 'python/only-model' };
const SPACE = { kind: 'space' as const, repoId: 'someone/demo-space' };
const COMMIT_1 = '1'.repeat(40);
const COMMIT_2 = '2'.repeat(40);

describe('the cache inventory', () => {
  let env: StudioEnv;
  let other: StudioApi | undefined;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [held, slow], cdnBytesPerSecondPerConnection: 512 * 1024 }, studio: { maxConnectionsPerFile: 1 } });
  });
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await env.dispose();
  });

  function repoOf(repos: readonly InventoryRepo[], kind: string, repoId: string): InventoryRepo {
    const repo = repos.find((r) => r.kind === kind && r.repoId === repoId);
    if (!repo) throw new Error(`test: ${kind} ${repoId} not in the inventory: ${repos.map((r) => r.repoId).join(', ')}`);
    return repo;
  }

  it('lists a repo another tool put in the cache (refs, a detached revision, a Space) as held by no catalog', async () => {
    const cache = new HfCache(env.cacheRoot);
    await addRevision(cache, FOREIGN, COMMIT_1, [{ path: 'config.json', content: '{"a":1}' }, { path: 'w.bin', content: 'w'.repeat(3000) }], 'main');
    await addRevision(cache, FOREIGN, COMMIT_2, [{ path: 'config.json', content: '{"a":2}' }, { path: 'w.bin', content: 'w'.repeat(3000) }]);
    await cache.writeRef(FOREIGN, 'refs/pr/1', COMMIT_1);
    await addRevision(cache, SPACE, COMMIT_1, [{ path: 'app.py', content: 'print(1)\n' }], 'main');

    const seen: string[] = [];
    const inventory = await env.studio.inventory({ onRepo: (repo) => seen.push(`${repo.kind}:${repo.repoId}`) });
    expect(seen.sort()).toEqual(['model:python/only-model', 'space:someone/demo-space']);
    const foreign = repoOf(inventory.repos, 'model', FOREIGN.repoId);
    // The shared 3000-byte blob counts once for the repo, once in each revision.
    expect(foreign.sizeOnDisk).toBe(3000 + 7 + 7);
    expect(foreign.revisions.map((r) => [r.commit, r.refs, r.nbFiles, r.sizeOnDisk, r.entries, r.otherCatalogs])).toEqual([
      [COMMIT_1, ['main', 'refs/pr/1'], 2, 3007, [], []],
      [COMMIT_2, [], 2, 3007, [], []],
    ]);
    expect(repoOf(inventory.repos, 'space', SPACE.repoId).revisions[0]).toMatchObject({ refs: ['main'], nbFiles: 1 });
    expect(inventory.sizeOnDisk).toBe(3014 + 9);
    expect(inventory.xet).toBeNull();
    expect(inventory.warnings).toEqual([]);
  });

  it('names this catalog’s entries and the other catalogs that hold a revision', async () => {
    const entry = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: held.id })).id);
    expect(entry.status).toBe('ready');
    const otherCatalog = path.join(env.dir, 'other-workspace', 'catalog.sqlite');
    other = await openStudio({ catalogFile: otherCatalog, wasmPath, cacheRoot: env.cacheRoot, endpoint: env.hub.url });
    const theirs = await other.whenSettled((await other.enqueue({ kind: 'model', repoId: held.id })).id);
    expect(theirs.status).toBe('ready');

    const revision = repoOf((await env.studio.inventory()).repos, 'model', held.id).revisions[0]!;
    expect(revision.commit).toBe(entry.commit);
    expect(revision.entries).toEqual([{ entryId: entry.id, revision: 'main', status: 'ready' }]);
    expect(revision.otherCatalogs).toEqual([{ catalog: otherCatalog, revision: 'main' }]);
    // And from the other side.
    const seenByOther = repoOf((await other.inventory()).repos, 'model', held.id).revisions[0]!;
    expect(seenByOther.entries.map((e) => e.entryId)).toEqual([theirs.id]);
    expect(seenByOther.otherCatalogs).toEqual([{ catalog: env.catalogFile, revision: 'main' }]);
  });

  it('tells a paused download’s partial from another tool’s leftover, and measures the Xet chunk cache apart', async () => {
    const xet = path.join(env.dir, 'hf-home', 'xet');
    fs.mkdirSync(path.join(xet, 'chunk-cache', 'ab'), { recursive: true });
    fs.writeFileSync(path.join(xet, 'chunk-cache', 'ab', 'c1'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(xet, 'chunk-cache', 'ab', 'c2'), Buffer.alloc(500));
    fs.linkSync(path.join(xet, 'chunk-cache', 'ab', 'c1'), path.join(xet, 'c1-again'));
    const studio = await env.reopen({ xetCacheRoot: xet, maxConnectionsPerFile: 1 });

    const entry = await studio.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone > 64 * 1024);
    await studio.pause(entry.id);
    const blobs = path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs');
    const leftover = `${'e'.repeat(64)}.0a1b2c3d.incomplete`;
    fs.writeFileSync(path.join(blobs, leftover), Buffer.alloc(777));

    const inventory = await studio.inventory();
    const partials = repoOf(inventory.repos, 'model', slow.id).partials;
    expect(partials.map((p) => [p.owner, p.heldBy])).toEqual([
      ['ours', 'this-catalog'],
      ['foreign', null],
    ]);
    expect(partials[1]!.size).toBe(777);
    expect(inventory.partialBytes).toBe(partials[0]!.size + 777);
    expect(inventory.xet).toEqual({ path: xet, bytes: 1500, files: 3 });
  });
});
