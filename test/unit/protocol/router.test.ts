import { afterEach, describe, expect, it, vi } from 'vitest';
import { MistudioError } from '../../../src/core/errors';
import { PROTOCOL_VERSION } from '../../../src/shared/protocol';
import { addEntries, plannedFile, snapshotOf } from './fakeStudio';
import { ENDPOINT, closeRouters, failed, ok, setup } from './routerHarness';

afterEach(closeRouters);

describe('PanelRouter: the ready handshake', () => {
  it('answers with a full snapshot and then starts live updates', async () => {
    const h = await setup();
    const [a, b] = addEntries(h.studio, [
      { kind: 'model', repoId: 'org/alpha', status: 'downloading', bytesTotal: 100 },
      { kind: 'dataset', repoId: 'org/beta', status: 'ready' },
    ]);
    h.studio.progress.set(a as string, snapshotOf(40, 100));
    const snapshot = ok<{ counts: { model: { total: number }; dataset: { total: number } }; progress: { entryId: string }[]; cleanupRunning: number; defaultInclude: string[]; endpoint: string }>(
      await h.call('ready', { protocolVersion: PROTOCOL_VERSION }),
    );
    expect(snapshot.counts.model.total).toBe(1);
    expect(snapshot.counts.dataset.total).toBe(1);
    expect(snapshot.progress.map((p) => p.entryId)).toEqual([a]);
    expect(snapshot.cleanupRunning).toBe(2);
    expect(snapshot.defaultInclude).toEqual(['*.json', '*.safetensors']);
    expect(snapshot.endpoint).toBe(ENDPOINT);
    expect(h.onReady).toHaveBeenCalledWith(h.studio);
    expect(b).toBeDefined();
  });

  it('refuses a page built for another protocol version, without starting updates', async () => {
    const h = await setup();
    const error = failed(await h.call('ready', { protocolVersion: PROTOCOL_VERSION + 1 }));
    expect(error.code).toBe('InvalidInput');
    expect(error.message).toMatch(/reload/);
    expect(h.onReady).not.toHaveBeenCalled();
  });
});

describe('PanelRouter: malformed messages', () => {
  it('answers a malformed request with an error and takes no action', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'ready' }]);
    const replies = await h.send({ type: 'request', id: 5, method: 'entryAction', params: { entryId: id, action: 'delete', force: true } });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: 'response', id: 5, ok: false, error: { code: 'InvalidInput' } });
    expect(h.studio.calls).toEqual([]);
    expect(h.ui.confirm).not.toHaveBeenCalled();
    expect(h.studio.catalog.getEntry(id as string)).toBeDefined();
    expect(h.log.warn).toHaveBeenCalledWith(expect.stringMatching(/malformed/));
    expect(h.router.stats.rejected).toBe(1);
  });

  it('logs a message without a usable id and sends nothing', async () => {
    const h = await setup();
    for (const raw of [null, 'hello', { type: 'request', method: 'ready' }, { type: 'notification', method: 'cancel', params: { id: 'x' } }]) {
      expect(await h.send(raw)).toEqual([]);
    }
    expect(h.router.stats.rejected).toBe(4);
    expect(h.log.warn).toHaveBeenCalledTimes(4);
  });

  it('keeps working after a flood of garbage', async () => {
    const h = await setup();
    for (let i = 0; i < 200; i++) await h.send({ type: 'request', id: 10_000 + i, method: 'query', params: { text: 'x'.repeat(10_000) } });
    addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha' }]);
    const result = ok<{ total: number }>(await h.call('query', { text: 'alpha', sort: 'name', direction: 'asc', offset: 0, limit: 10 }));
    expect(result.total).toBe(1);
  });

  it('answers with an error when the engine throws something that is not a MistudioError', async () => {
    const h = await setup();
    vi.mocked(h.studio.searchHub).mockRejectedValueOnce(new TypeError('boom'));
    const error = failed(await h.call('hubSearch', { kind: 'model', text: 'x', sort: 'downloads' }));
    expect(error).toEqual({ code: 'Internal', message: 'boom' });
    expect(h.log.error).toHaveBeenCalledWith(expect.stringMatching(/hubSearch failed: boom/));
  });

  it('refuses a second request with an id that is still in flight', async () => {
    const h = await setup();
    let release: () => void = () => undefined;
    vi.mocked(h.studio.searchHub).mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve([]))));
    const first = h.router.receive({ type: 'request', id: 1, method: 'hubSearch', params: { kind: 'model', text: '', sort: 'likes' } });
    await new Promise((r) => setTimeout(r, 0));
    await h.router.receive({ type: 'request', id: 1, method: 'query', params: { text: '', sort: 'name', direction: 'asc', offset: 0, limit: 1 } });
    release();
    await first;
    const responses = h.posted.filter((m) => m.type === 'response' && m.id === 1);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ ok: true, result: { items: [] } });
    expect(h.router.stats.rejected).toBe(1);
  });
});

describe('PanelRouter: requests', () => {
  it('searches the catalog with the filter, sort and window given', async () => {
    const h = await setup();
    addEntries(h.studio, [
      { kind: 'model', repoId: 'org/gpt2-small', status: 'ready', bytesTotal: 300 },
      { kind: 'model', repoId: 'org/gpt2-medium', status: 'error', bytesTotal: 900 },
      { kind: 'dataset', repoId: 'org/gpt2-outputs', status: 'ready', bytesTotal: 500 },
      { kind: 'model', repoId: 'org/llama', status: 'ready', bytesTotal: 100 },
    ]);
    const result = ok<{ items: { repoId: string }[]; total: number; offset: number }>(
      await h.call('query', { text: 'GPT2', kind: 'model', sort: 'size', direction: 'desc', offset: 0, limit: 10 }),
    );
    expect(result.items.map((i) => i.repoId)).toEqual(['org/gpt2-medium', 'org/gpt2-small']);
    expect(result.total).toBe(2);
    const window = ok<{ items: { repoId: string }[]; total: number; offset: number }>(
      await h.call('query', { text: '', statuses: ['ready'], sort: 'name', direction: 'asc', offset: 1, limit: 1 }),
    );
    expect(window).toMatchObject({ total: 3, offset: 1 });
    expect(window.items.map((i) => i.repoId)).toEqual(['org/gpt2-small']);
  });

  it('returns an entry in detail with its files and disk use', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'downloading', bytesTotal: 300 }]);
    h.studio.catalog.setFiles(id as string, [
      { path: 'config.json', size: 100, blobId: 'b'.repeat(40), gitSha1: 'b'.repeat(40), state: 'verified', bytesDone: 100 },
      { path: 'model.safetensors', size: 200, blobId: 'c'.repeat(64), sha256: 'c'.repeat(64), gitSha1: 'd'.repeat(40), state: 'partial', bytesDone: 50, doneRanges: [[0, 50]] },
    ]);
    const detail = ok<{ files: { path: string; state: string; lfs: boolean }[]; diskBytes: number; hubUrl: string }>(await h.call('detail', { entryId: id as string }));
    expect(detail.files).toMatchObject([
      { path: 'config.json', state: 'verified', lfs: false },
      { path: 'model.safetensors', state: 'partial', lfs: true },
    ]);
    expect(detail.diskBytes).toBe(150);
    expect(detail.hubUrl).toBe(`${ENDPOINT}/org/alpha`);
  });

  it('names a missing entry', async () => {
    const h = await setup();
    expect(failed(await h.call('detail', { entryId: 'no-such-entry' })).code).toBe('EntryNotFound');
    expect(failed(await h.call('entryAction', { entryId: 'no-such-entry', action: 'cancel' })).code).toBe('EntryNotFound');
  });

  it('marks Hub results that are already in the catalog', async () => {
    const h = await setup();
    addEntries(h.studio, [{ kind: 'model', repoId: 'org/have', status: 'ready' }]);
    h.studio.hubResults = [
      { id: 'org/have', kind: 'model', downloads: 10, likes: 1, gated: false, private: false },
      { id: 'org/gated-one', kind: 'model', downloads: 5, likes: 0, gated: 'manual', private: false },
    ];
    const result = ok<{ items: { id: string; catalogStatus: string | null; gated: unknown }[] }>(await h.call('hubSearch', { kind: 'model', text: 'org', sort: 'downloads' }));
    expect(result.items).toMatchObject([
      { id: 'org/have', catalogStatus: 'ready' },
      { id: 'org/gated-one', catalogStatus: null, gated: 'manual' },
    ]);
  });

  it('plans with every file and the default include patterns, and validates the repo id first', async () => {
    const h = await setup();
    h.studio.planFiles = [
      plannedFile('config.json', 10),
      plannedFile('model.safetensors', 1000, { cached: true, lfs: true }),
    ];
    const plan = ok<{ files: unknown[]; include: string[]; inCatalog: boolean; freeBytes: number }>(await h.call('plan', { kind: 'model', repoId: 'org/alpha', revision: 'main' }));
    expect(plan.files).toEqual([
      { path: 'config.json', size: 10, cached: false },
      { path: 'model.safetensors', size: 1000, cached: true },
    ]);
    expect(plan.include).toEqual(['*.json', '*.safetensors']);
    expect(plan.inCatalog).toBe(false);
    expect(plan.freeBytes).toBe(1e12);

    for (const repoId of ['org/a/b', 'org/..', '-org/x']) {
      expect(failed(await h.call('plan', { kind: 'model', repoId, revision: 'main' })).code).toBe('InvalidInput');
    }
    expect(failed(await h.call('plan', { kind: 'model', repoId: 'org/alpha', revision: '../../etc' })).code).toBe('InvalidInput');
    expect(h.studio.calls.filter((c) => c.startsWith('plan:'))).toEqual(['plan:org/alpha@main']);
  });

  it('starts a download with the patterns the user typed (blank ones dropped)', async () => {
    const h = await setup();
    const result = ok<{ entry: { repoId: string; status: string } }>(
      await h.call('download', { kind: 'model', repoId: 'org/alpha', revision: 'main', include: [' *.json ', '*.safetensors'], exclude: ['  ', 'original/'] }),
    );
    expect(result.entry).toMatchObject({ repoId: 'org/alpha', status: 'queued' });
    expect(h.studio.calls).toEqual(['enqueue:org/alpha:*.json,*.safetensors|original/']);
  });

  it('cancels a running request on the cancel notification', async () => {
    const h = await setup();
    let seen: AbortSignal | undefined;
    vi.mocked(h.studio.plan).mockImplementationOnce(
      (_request, signal) =>
        new Promise((_resolve, reject) => {
          seen = signal;
          signal?.addEventListener('abort', () => reject(new MistudioError('Cancelled', 'Cancelled')));
        }),
    );
    const pending = h.router.receive({ type: 'request', id: 9, method: 'plan', params: { kind: 'model', repoId: 'org/alpha', revision: 'main' } });
    await new Promise((r) => setTimeout(r, 0));
    await h.router.receive({ type: 'notification', method: 'cancel', params: { id: 9 } });
    await pending;
    expect(seen?.aborted).toBe(true);
    expect(h.posted).toEqual([{ type: 'response', id: 9, ok: false, error: { code: 'Cancelled', message: 'Cancelled' } }]);
    expect(h.log.error).not.toHaveBeenCalled();
  });

  it('opens the Hub page built from the endpoint, never a URL from the page', async () => {
    const h = await setup();
    ok(await h.call('openOnHub', { kind: 'dataset', repoId: 'org/data' }));
    expect(h.ui.openExternal).toHaveBeenCalledWith(`${ENDPOINT}/datasets/org/data`);
  });

  it('stops answering once disposed', async () => {
    const h = await setup();
    h.router.dispose();
    expect(await h.send({ type: 'request', id: 1, method: 'ready', params: { protocolVersion: PROTOCOL_VERSION } })).toEqual([]);
  });
});

describe('PanelRouter: entry actions', () => {
  it('deletes only after the modal confirmation, naming the bytes it frees', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'ready', bytesTotal: 5_000_000_000 }]);
    h.ui.confirm.mockResolvedValueOnce(false);
    expect(ok(await h.call('entryAction', { entryId: id as string, action: 'delete' }))).toEqual({ done: false });
    expect(h.ui.confirm).toHaveBeenCalledWith('Delete org/alpha?', expect.stringMatching(/^Frees 5\.0 GB in /), 'Delete');
    expect(h.studio.catalog.getEntry(id as string)).toBeDefined();
    expect(h.studio.calls).not.toContain(`delete:${id}`);

    expect(ok(await h.call('entryAction', { entryId: id as string, action: 'delete' }))).toEqual({ done: true });
    expect(h.studio.calls).toContain(`delete:${id}`);
    expect(h.studio.catalog.getEntry(id as string)).toBeUndefined();
  });

  it('hands the confirmation the engine\'s whole estimate, holders of the files included', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'ready', bytesTotal: 10 }]);
    const estimate = { freedBytes: 0, heldBy: [{ catalog: '/other/catalog.sqlite', revision: 'main' }] };
    vi.mocked(h.studio.estimateDelete).mockResolvedValueOnce(estimate);
    h.ui.confirm.mockResolvedValueOnce(false);
    expect(ok(await h.call('entryAction', { entryId: id as string, action: 'delete' }))).toEqual({ done: false });
    expect(h.ui.confirm).toHaveBeenCalledWith('Delete org/alpha?', expect.stringContaining('Its files stay for 1 other catalog: /other/catalog.sqlite (main).'), 'Delete');
  });

  it('runs pause, resume, cancel and retry against the engine, each only in a state that allows it', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'downloading' }]);
    for (const action of ['pause', 'resume', 'cancel', 'retry'] as const) ok(await h.call('entryAction', { entryId: id as string, action }));
    expect(h.studio.calls).toEqual([`pause:${id}`, `resume:${id}`, `cancel:${id}`, `resume:${id}`]);
    // A ready entry cannot be paused: refused with a note, as the tree's menu would not offer it.
    const [ready] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/ready', status: 'ready' }]);
    expect(ok(await h.call('entryAction', { entryId: ready as string, action: 'pause' }))).toEqual({ done: false });
    expect(h.ui.info).toHaveBeenCalledWith('org/ready cannot be paused while it is ready.');
    expect(h.studio.calls).not.toContain(`pause:${ready}`);
  });

  it('copies the path and a Python snippet, and opens the folder', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'ready', snapshotPath: '/cache/models--org--alpha/snapshots/abc' }]);
    ok(await h.call('entryAction', { entryId: id as string, action: 'copyPath' }));
    expect(h.ui.copy).toHaveBeenLastCalledWith('/cache/models--org--alpha/snapshots/abc', 'path');
    ok(await h.call('entryAction', { entryId: id as string, action: 'copySnippet' }));
    expect(h.ui.copy).toHaveBeenLastCalledWith(expect.stringContaining('"org/alpha"'), 'Python snippet');
    ok(await h.call('entryAction', { entryId: id as string, action: 'reveal' }));
    expect(h.ui.reveal).toHaveBeenCalledWith('/cache/models--org--alpha/snapshots/abc');
    ok(await h.call('entryAction', { entryId: id as string, action: 'openOnHub' }));
    expect(h.ui.openExternal).toHaveBeenCalledWith(`${ENDPOINT}/org/alpha`);
  });

  it('says so when a ready entry has no folder', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'ready', snapshotPath: null }]);
    expect(ok(await h.call('entryAction', { entryId: id as string, action: 'reveal' }))).toEqual({ done: false });
    expect(h.ui.info).toHaveBeenCalledWith('org/alpha cannot be revealed while it is ready.');
    expect(h.ui.reveal).not.toHaveBeenCalled();
  });

  it('opens a non-main revision on the Hub at that revision', async () => {
    const h = await setup();
    const [id] = addEntries(h.studio, [{ kind: 'dataset', repoId: 'org/data', revision: 'v1.0', status: 'ready' }]);
    ok(await h.call('entryAction', { entryId: id as string, action: 'openOnHub' }));
    expect(h.ui.openExternal).toHaveBeenLastCalledWith(`${ENDPOINT}/datasets/org/data/tree/v1.0`);
  });
});
