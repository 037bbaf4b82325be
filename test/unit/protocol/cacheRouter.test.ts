import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CacheReposBatch, CacheRepoRow, HostMessage, ResultOf } from '../../../src/shared/protocol';
import type { FakeRepo } from './fakeCache';
import { closeRouters, failed, ok, setup, type Harness } from './routerHarness';

afterEach(closeRouters);

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);
const C4 = '4'.repeat(40);

const FOREIGN: FakeRepo = { kind: 'model', repoId: 'python/foreign', revisions: [{ commit: C1, refs: ['main'], size: 5_000 }, { commit: C2, size: 1_000 }] };
const SHARED: FakeRepo = { kind: 'dataset', repoId: 'org/shared', revisions: [{ commit: C3, refs: ['main'], size: 2_000, otherCatalogs: ['/other/catalog.sqlite'] }] };
const SPACE: FakeRepo = {
  kind: 'space',
  repoId: 'org/demo',
  revisions: [{ commit: C4, refs: ['main'], size: 300 }],
  partials: [{ blobId: 'f'.repeat(64), size: 700, owner: 'foreign', heldBy: null }],
};

function batches(posted: readonly HostMessage[]): CacheReposBatch[] {
  return posted.flatMap((m) => (m.type === 'notification' && m.method === 'cacheRepos' ? [m.params] : []));
}

/** Scans, and returns the rows the scan streamed, by repo id. */
async function scan(h: Harness, scanId = 1): Promise<{ result: ResultOf<'cacheScan'>; rows: Map<string, CacheRepoRow> }> {
  const before = h.posted.length;
  const result = ok<ResultOf<'cacheScan'>>(await h.call('cacheScan', { scanId }));
  const rows = new Map(batches(h.posted.slice(before)).flatMap((b) => b.repos.map((r) => [r.repoId, r] as const)));
  return { result, rows };
}

describe('PanelRouter: reading the cache', () => {
  it('streams repos in throttled batches while it reads, then answers with the Cache tree\'s header', async () => {
    const h = await setup();
    h.studio.cache.repos = Array.from({ length: 40 }, (_, i) => ({ kind: 'model' as const, repoId: `org/m${i}`, revisions: [{ commit: C1, refs: ['main'], size: 1_000 }] }));
    h.studio.cache.xetBytes = 3_000_000;
    vi.useFakeTimers();
    try {
      // One repo read every 8 ms: 320 ms of scanning.
      h.studio.cache.gate = () => new Promise((resolve) => setTimeout(resolve, 8));
      const answered = h.call('cacheScan', { scanId: 77 });
      await vi.advanceTimersByTimeAsync(1_000);
      const result = ok<ResultOf<'cacheScan'>>(await answered);
      const sent = batches(h.posted);
      // At most one batch per 100 ms, and the last one at the end: a handful of messages, not forty.
      expect(sent.length).toBeGreaterThanOrEqual(3);
      expect(sent.length).toBeLessThanOrEqual(5);
      expect(sent.every((b) => b.scanId === 77)).toBe(true);
      expect(new Set(sent.flatMap((b) => b.repos.map((r) => r.repoId))).size).toBe(40);
      expect(sent.flatMap((b) => b.repos)).toHaveLength(40);
      expect(sent.at(-1)?.progress).toEqual({ reposDone: 40, reposTotal: 40, filesScanned: 40 });
      expect(sent[0]?.progress.reposDone).toBeLessThan(40);
      // Every batch leaves before the answer, so the page has every repo once it hears the scan ended.
      expect(h.posted.at(-1)).toMatchObject({ type: 'response', ok: true });
      expect(result).toEqual({ scanId: 77, summary: { header: '40.0 kB in 40 repos · Xet 3.0 MB', repoCount: 40, sizeOnDisk: 40_000, partialBytes: 0, xetBytes: 3_000_000, warnings: 0 } });
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives each row the Cache tree\'s words for who holds it and only the actions the tree offers', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN, SHARED, SPACE, { kind: 'model', repoId: 'org/held', revisions: [{ commit: C1, refs: ['main', 'v1'], size: 10 }] }];
    h.studio.catalog.addEntry({ kind: 'model', repoId: 'org/held', commit: C1, status: 'ready' });
    const { rows, result } = await scan(h);
    expect(result.summary.header).toBe('8.3 kB in 4 repos · 700 B partial');

    const foreign = rows.get('python/foreign');
    expect(foreign).toMatchObject({ kind: 'model', sizeOnDisk: 6_000, refs: ['main'], heldBy: 'no catalog', heldHere: false, partialBytes: 0, actions: ['deleteRepo'] });
    expect(foreign?.revisions.map((r) => [r.refs, r.heldBy, r.actions])).toEqual([
      [['main'], 'no catalog', ['addToCatalog', 'verify', 'deleteRevision']],
      [[], 'no catalog', ['addToCatalog', 'verify', 'deleteRevision']],
    ]);
    expect(rows.get('org/shared')?.revisions[0]).toMatchObject({ heldBy: '1 other catalog', heldHere: false, actions: ['addToCatalog', 'verify', 'deleteRevision'] });
    expect(rows.get('org/held')).toMatchObject({ heldBy: 'this workspace', heldHere: true, refs: ['main', 'v1'] });
    expect(rows.get('org/held')?.revisions[0]?.actions).toEqual(['verify', 'deleteRevision']);
    const space = rows.get('org/demo');
    expect(space?.revisions[0]?.actions).toEqual(['verify', 'deleteRevision']);
    expect(space?.partials).toEqual([{ blobId: 'f'.repeat(64), size: 700, owner: 'foreign', resumableBy: null }]);
    expect(space?.partialBytes).toBe(700);
  });

  it('ends the scan still running when the page starts another, or cancels its request', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN, SHARED, SPACE];
    let release: () => void = () => undefined;
    h.studio.cache.gate = () => new Promise<void>((resolve) => (release = resolve));
    const first = h.send({ type: 'request', id: 1, method: 'cacheScan', params: { scanId: 1 } });
    await new Promise((r) => setTimeout(r, 10));
    const second = h.send({ type: 'request', id: 2, method: 'cacheScan', params: { scanId: 2 } });
    h.studio.cache.gate = undefined;
    release();
    await Promise.all([first, second]);
    expect(h.posted.find((m) => m.type === 'response' && m.id === 1)).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(h.posted.find((m) => m.type === 'response' && m.id === 2)).toMatchObject({ ok: true });
    expect(batches(h.posted).filter((b) => b.scanId === 1).flatMap((b) => b.repos)).toEqual([]);

    h.studio.cache.gate = () => new Promise<void>((resolve) => (release = resolve));
    const third = h.send({ type: 'request', id: 3, method: 'cacheScan', params: { scanId: 3 } });
    await new Promise((r) => setTimeout(r, 10));
    await h.router.receive({ type: 'notification', method: 'cancel', params: { id: 3 } });
    release();
    await third;
    expect(h.posted.find((m) => m.type === 'response' && m.id === 3)).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(batches(h.posted).filter((b) => b.scanId === 3)).toEqual([]);
  });
});

describe('PanelRouter: cache actions through the shared CacheActions', () => {
  it('Add to Catalog adopts at the branch naming the revision; the next scan shows it held here', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN];
    await scan(h);
    const answer = ok(await h.call('cacheAction', { action: 'addToCatalog', target: { kind: 'model', repoId: 'python/foreign', commit: C1 } }));
    expect(answer).toEqual({ done: true, message: 'Added python/foreign@main to the catalog' });
    expect(h.studio.calls).toContain('adopt:model:python/foreign@main');
    expect(h.ui.status).toHaveBeenCalledWith('$(check) Added python/foreign to the catalog');
    expect(h.cacheChanges()).toBe(1);

    const { rows } = await scan(h, 2);
    expect(rows.get('python/foreign')?.revisions[0]).toMatchObject({ heldBy: 'this workspace', actions: ['verify', 'deleteRevision'] });
    // Detached: adopted at its commit.
    ok(await h.call('cacheAction', { action: 'addToCatalog', target: { kind: 'model', repoId: 'python/foreign', commit: C2 } }));
    expect(h.studio.calls).toContain(`adopt:model:python/foreign@${C2}`);
  });

  it('Delete Revision from Disk asks through the host and does nothing when declined', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN];
    await scan(h);
    const target = { kind: 'model' as const, repoId: 'python/foreign', commit: C2 };
    h.ui.confirm.mockResolvedValueOnce(false);
    expect(ok(await h.call('cacheAction', { action: 'deleteRevision', target }))).toEqual({ done: false });
    expect(h.ui.confirm).toHaveBeenCalledWith('Delete python/foreign@22222222 from disk?', 'Frees 1.0 kB from disk. Python code that loads it will download it again.', 'Delete from Disk');
    expect(h.studio.calls.filter((c) => c.startsWith('deleteFromCache'))).toEqual([]);

    expect(ok(await h.call('cacheAction', { action: 'deleteRevision', target }))).toEqual({ done: true, message: 'Freed 1.0 kB' });
    expect(h.studio.calls).toContain(`deleteFromCache:model:python/foreign@${C2}`);
    expect(h.ui.info).toHaveBeenLastCalledWith('Freed 1.0 kB.');
  });

  it('Delete Repo from Disk takes every revision, named in the confirmation', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN, SHARED];
    await scan(h);
    expect(ok(await h.call('cacheAction', { action: 'deleteRepo', target: { kind: 'model', repoId: 'python/foreign' } }))).toMatchObject({ done: true });
    expect(h.ui.confirm).toHaveBeenCalledWith('Delete python/foreign (2 revisions) from disk?', expect.stringMatching(/^Frees 6\.0 kB/), 'Delete from Disk');
    expect(h.studio.calls).toContain('deleteFromCache:model:python/foreign');
    expect(h.studio.cache.repos.map((r) => r.repoId)).toEqual(['org/shared']);
  });

  it('Verify answers with the report and offers Repair in the host\'s notification', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN];
    await scan(h);
    const target = { kind: 'model' as const, repoId: 'python/foreign', commit: C1 };
    expect(ok(await h.call('cacheAction', { action: 'verify', target }))).toEqual({ done: true, message: 'python/foreign@main: all 1 file verified' });
    expect(h.ui.info).toHaveBeenLastCalledWith('python/foreign@main: all 1 file verified (5.0 kB hashed).');

    h.studio.cache.verifyBad = [{ path: 'model.safetensors', blobId: 'b'.repeat(64), problem: 'size' }];
    h.ui.ask.mockResolvedValueOnce('Repair');
    expect(ok(await h.call('cacheAction', { action: 'verify', target }))).toEqual({ done: true, message: 'python/foreign@main: 1 of 1 files are damaged' });
    expect(h.ui.ask).toHaveBeenCalledWith('warning', expect.stringMatching(/model\.safetensors \(wrong size\)/), 'Repair');
    await expect.poll(() => h.studio.calls).toContain(`repair:python/foreign@${C1}`);
  });

  it('Prune asks first, then removes detached revisions nobody holds and orphan partials', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN, SHARED, SPACE];
    await scan(h);
    h.ui.confirm.mockResolvedValueOnce(false);
    expect(ok(await h.call('cachePrune', {}))).toEqual({ done: false });
    expect(h.studio.calls).not.toContain('prune');
    expect(ok(await h.call('cachePrune', {}))).toEqual({ done: true, message: 'Freed 1.7 kB' });
    expect(h.ui.confirm).toHaveBeenLastCalledWith('Prune the Hugging Face cache?', expect.stringMatching(/1 detached revision .*python\/foreign@22222222.* and 1 partial download/), 'Prune');
    expect(h.studio.cache.repos.find((r) => r.repoId === 'python/foreign')?.revisions.map((r) => r.commit)).toEqual([C1]);
  });

  it('refuses malformed targets, repos or commits it did not read, and actions a row does not offer — taking no action', async () => {
    const h = await setup();
    h.studio.cache.repos = [FOREIGN, SPACE, { kind: 'model', repoId: 'org/held', revisions: [{ commit: C1, refs: ['main'] }] }];
    h.studio.catalog.addEntry({ kind: 'model', repoId: 'org/held', commit: C1, status: 'ready' });
    expect(failed(await h.call('cacheAction', { action: 'deleteRepo', target: { kind: 'model', repoId: 'python/foreign' } })).code).toBe('RepoNotFound');
    await scan(h);
    const callsAfterScan = [...h.studio.calls];

    const malformed = [
      { action: 'deleteRevision', target: { kind: 'model', repoId: 'python/foreign', commit: 'main' } },
      { action: 'deleteRevision', target: { kind: 'model', repoId: 'python/foreign' } },
      { action: 'deleteRepo', target: { kind: 'model', repoId: 'python/foreign', commit: C1 } },
      { action: 'deleteRepo', target: { kind: 'model', repoId: 'python/foreign', path: '/' } },
      { action: 'deleteRepo', target: { kind: 'space ', repoId: 'org/demo' } },
      { action: 'format', target: { kind: 'model', repoId: 'python/foreign' } },
    ];
    for (const [i, params] of malformed.entries()) {
      expect(await h.send({ type: 'request', id: 500 + i, method: 'cacheAction', params })).toEqual([
        expect.objectContaining({ id: 500 + i, ok: false, error: expect.objectContaining({ code: 'InvalidInput' }) }),
      ]);
    }
    expect(failed(await h.call('cacheAction', { action: 'deleteRepo', target: { kind: 'dataset', repoId: 'python/foreign' } })).code).toBe('RepoNotFound');
    expect(failed(await h.call('cacheAction', { action: 'verify', target: { kind: 'model', repoId: 'python/foreign', commit: C4 } })).code).toBe('RevisionNotFound');
    expect(failed(await h.call('cacheAction', { action: 'addToCatalog', target: { kind: 'model', repoId: 'org/held', commit: C1 } }))).toMatchObject({ code: 'InvalidInput', message: 'org/held@main: addToCatalog is not offered here' });
    expect(failed(await h.call('cacheAction', { action: 'addToCatalog', target: { kind: 'space', repoId: 'org/demo', commit: C4 } })).code).toBe('InvalidInput');

    expect(h.studio.calls).toEqual(callsAfterScan);
    expect(h.ui.confirm).not.toHaveBeenCalled();
    expect(h.ui.withProgress).not.toHaveBeenCalled();
    expect(h.cacheChanges()).toBe(0);
  });
});
