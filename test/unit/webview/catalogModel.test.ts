import { describe, expect, it } from 'vitest';
import type { CatalogCounts } from '../../../src/core/catalog/types';
import type { CatalogQuery, EntryRow, QueryResult, WebviewMessage } from '../../../src/shared/protocol';
import { CatalogModel } from '../../../src/webview/catalogModel';
import { HostClient, type HostPort } from '../../../src/webview/client';

function row(id: string, status: EntryRow['status'] = 'ready'): EntryRow {
  return {
    id, kind: 'model', repoId: `org/${id}`, displayName: `org/${id}`, revision: 'main', commit: null, status, bytesDone: 0, bytesTotal: 0,
    fileCount: 0, snapshotPath: null, errorCode: null, errorMessage: null, include: [], exclude: [], facts: {}, updatedAt: 0, actions: [],
  };
}

const noCounts = { model: { total: 0, byStatus: {} }, dataset: { total: 0, byStatus: {} } } as unknown as CatalogCounts;

/** A host whose query answers the test releases by hand, in any order. */
function manualHost() {
  let listener: ((d: unknown) => void) | undefined;
  const queries: { id: number; params: CatalogQuery }[] = [];
  const cancels: number[] = [];
  const port: HostPort = {
    post: (m: WebviewMessage) => {
      if (m.type === 'request' && m.method === 'query') queries.push({ id: m.id, params: m.params });
      if (m.type === 'notification') cancels.push(m.params.id);
    },
    listen: (l) => {
      listener = l;
      return () => undefined;
    },
  };
  const answer = async (id: number, result: QueryResult) => {
    listener?.({ type: 'response', id, ok: true, result });
    await new Promise((r) => setTimeout(r, 0));
  };
  return { client: new HostClient(port), queries, cancels, answer };
}

describe('CatalogModel', () => {
  it('asks nothing before it is started', () => {
    const host = manualHost();
    const model = new CatalogModel(host.client);
    model.setVisibleRange(0, 10);
    model.setFilter({ text: 'x' });
    expect(host.queries).toEqual([]);
    model.reload();
    expect(host.queries).toHaveLength(1);
    expect(host.queries[0]?.params).toMatchObject({ text: 'x', offset: 0 });
  });

  it('drops the answer to a superseded filter, so fast typing never shows stale rows', async () => {
    const host = manualHost();
    const model = new CatalogModel(host.client);
    model.reload();
    await host.answer(1, { items: [row('a'), row('ab'), row('abc')], total: 3, offset: 0 });
    model.setFilter({ text: 'ab' });
    model.setFilter({ text: 'abc' });
    expect(host.cancels).toEqual([2]);
    await host.answer(3, { items: [row('abc')], total: 1, offset: 0 });
    await host.answer(2, { items: [row('ab'), row('abc')], total: 2, offset: 0 });
    expect(model.total).toBe(1);
    expect(model.rowAt(0)?.id).toBe('abc');
    expect(model.filter.text).toBe('abc');
  });

  it('fetches a window around the rows on screen, with overscan, and only when they are not loaded', async () => {
    const host = manualHost();
    const model = new CatalogModel(host.client, undefined, { overscan: 10 });
    model.setVisibleRange(0, 9);
    model.reload();
    expect(host.queries[0]?.params).toMatchObject({ offset: 0, limit: 30 });
    await host.answer(1, { items: Array.from({ length: 30 }, (_, i) => row(`r${i}`)), total: 5000, offset: 0 });
    model.setVisibleRange(5, 14);
    expect(host.queries).toHaveLength(1);
    model.setVisibleRange(2500, 2509);
    expect(host.queries[1]?.params).toMatchObject({ offset: 2490, limit: 30 });
    expect(model.rowAt(2500)).toBeUndefined();
    await host.answer(2, { items: Array.from({ length: 30 }, (_, i) => row(`s${2490 + i}`)), total: 5000, offset: 2490 });
    expect(model.rowAt(2500)?.id).toBe('s2500');
  });

  it('patches changed rows at once and asks again for the window, keeping progress only for active entries', async () => {
    const host = manualHost();
    const model = new CatalogModel(host.client);
    model.reload();
    await host.answer(1, { items: [row('a', 'downloading'), row('b', 'downloading')], total: 2, offset: 0 });
    const progress = (id: string) => ({ entryId: id, bytesDone: 1, bytesTotal: 2, fraction: 0.5, bytesPerSecond: 10, etaSeconds: 1, waitingFiles: 0, rateLimitResumeSeconds: null });
    model.applyUpdate({ changed: [], removed: [], progress: [progress('a'), progress('b')], counts: noCounts, cleanupRunning: 0 });
    expect(host.queries).toHaveLength(1);
    expect(model.totalRate()).toBe(20);
    model.applyUpdate({ changed: [row('a', 'ready')], removed: ['b'], progress: [], counts: noCounts, cleanupRunning: 0 });
    expect(model.rowAt(0)?.status).toBe('ready');
    expect(model.progressOf('a')).toBeUndefined();
    expect(model.progressOf('b')).toBeUndefined();
    expect(host.queries).toHaveLength(2);
    // More changes while that query runs are folded into one more query afterwards.
    model.applyUpdate({ changed: [row('a', 'ready')], removed: [], progress: [], counts: noCounts, cleanupRunning: 0 });
    model.applyUpdate({ changed: [row('a', 'ready')], removed: [], progress: [], counts: noCounts, cleanupRunning: 0 });
    expect(host.queries).toHaveLength(2);
    await host.answer(2, { items: [row('a', 'ready')], total: 1, offset: 0 });
    expect(host.queries).toHaveLength(3);
  });

  it('reports a failed query once instead of retrying in a loop', async () => {
    let listener: ((d: unknown) => void) | undefined;
    let posted = 0;
    const client = new HostClient({
      post: (m) => {
        if (m.type !== 'request') return;
        posted++;
        queueMicrotask(() => listener?.({ type: 'response', id: m.id, ok: false, error: { code: 'Internal', message: 'db gone' } }));
      },
      listen: (l) => ((listener = l), () => undefined),
    });
    const model = new CatalogModel(client);
    const errors: string[] = [];
    model.onError((m) => errors.push(m));
    model.reload();
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual(['db gone']);
    expect(posted).toBe(1);
  });
});
