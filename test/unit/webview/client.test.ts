import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestMethod, WebviewMessage } from '../../../src/shared/protocol';
import { HostClient, RequestError, type HostPort } from '../../../src/webview/client';

function fakePort() {
  const sent: WebviewMessage[] = [];
  let listener: ((data: unknown) => void) | undefined;
  const port: HostPort = {
    post: (m) => sent.push(m),
    listen: (l) => {
      listener = l;
      return () => (listener = undefined);
    },
  };
  return { port, sent, deliver: (data: unknown) => listener?.(data), listening: () => listener !== undefined };
}

const TIMEOUTS: Record<RequestMethod, number> = { ready: 1000, query: 1000, detail: 1000, entryAction: 0, hubSearch: 1000, plan: 1000, download: 1000, openOnHub: 1000, cacheScan: 0, cacheAction: 0, cachePrune: 0 };

afterEach(() => vi.useRealTimers());

describe('HostClient', () => {
  it('sends requests with increasing ids and resolves each with its own response', async () => {
    const { port, sent, deliver } = fakePort();
    const client = new HostClient(port, TIMEOUTS);
    const a = client.request('detail', { entryId: 'a' });
    const b = client.request('detail', { entryId: 'b' });
    expect(sent.map((m) => m.type === 'request' && m.id)).toEqual([1, 2]);
    deliver({ type: 'response', id: 2, ok: true, result: { which: 'b' } });
    deliver({ type: 'response', id: 1, ok: true, result: { which: 'a' } });
    await expect(a).resolves.toEqual({ which: 'a' });
    await expect(b).resolves.toEqual({ which: 'b' });
    expect(client.pendingCount).toBe(0);
  });

  it('rejects with the host error code and message', async () => {
    const { port, deliver } = fakePort();
    const client = new HostClient(port, TIMEOUTS);
    const p = client.request('plan', { kind: 'model', repoId: 'org/x', revision: 'main' });
    deliver({ type: 'response', id: 1, ok: false, error: { code: 'Gated', message: 'Request access first' } });
    await expect(p).rejects.toMatchObject({ name: 'RequestError', code: 'Gated', message: 'Request access first' });
  });

  it('tells the host when a request is aborted and ignores its late answer', async () => {
    const { port, sent, deliver } = fakePort();
    const client = new HostClient(port, TIMEOUTS);
    const controller = new AbortController();
    const p = client.request('hubSearch', { kind: 'model', text: 'x', sort: 'likes' }, { signal: controller.signal });
    controller.abort();
    await expect(p).rejects.toMatchObject({ code: 'Cancelled' });
    expect(sent.at(-1)).toEqual({ type: 'notification', method: 'cancel', params: { id: 1 } });
    deliver({ type: 'response', id: 1, ok: true, result: {} });
    expect(client.pendingCount).toBe(0);
  });

  it('gives up after the method timeout and cancels on the host; never for entry actions', async () => {
    vi.useFakeTimers();
    const { port, sent } = fakePort();
    const client = new HostClient(port, TIMEOUTS);
    const p = client.request('query', { text: '', sort: 'name', direction: 'asc', offset: 0, limit: 1 });
    const action = client.request('entryAction', { entryId: 'a', action: 'delete' });
    const settled = expect(p).rejects.toMatchObject({ code: 'Timeout' });
    await vi.advanceTimersByTimeAsync(1001);
    await settled;
    expect(sent.at(-1)).toEqual({ type: 'notification', method: 'cancel', params: { id: 1 } });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(client.pendingCount).toBe(1);
    client.dispose();
    await expect(action).rejects.toBeInstanceOf(RequestError);
  });

  it('delivers update notifications and ignores stray messages', () => {
    const { port, deliver, listening } = fakePort();
    const client = new HostClient(port, TIMEOUTS);
    const updates: unknown[] = [];
    client.onUpdate((u) => updates.push(u));
    for (const stray of [null, 'x', { type: 'response', id: 99, ok: true, result: 1 }, { type: 'notification', method: 'evil', params: {} }, { source: 'react-devtools' }]) {
      deliver(stray);
    }
    deliver({ type: 'notification', method: 'update', params: { changed: [], removed: [], progress: [] } });
    expect(updates).toEqual([{ changed: [], removed: [], progress: [] }]);
    client.dispose();
    expect(listening()).toBe(false);
  });

  it('delivers a cache scan\'s repos to their own listeners, not as catalog updates', () => {
    const { port, deliver } = fakePort();
    const client = new HostClient(port, TIMEOUTS);
    const updates: unknown[] = [];
    const batches: unknown[] = [];
    client.onUpdate((u) => updates.push(u));
    const stop = client.onCacheRepos((b) => batches.push(b));
    const batch = { scanId: 4, repos: [], progress: { reposDone: 1, reposTotal: 2, filesScanned: 3 } };
    deliver({ type: 'notification', method: 'cacheRepos', params: batch });
    expect(batches).toEqual([batch]);
    expect(updates).toEqual([]);
    stop();
    deliver({ type: 'notification', method: 'cacheRepos', params: batch });
    expect(batches).toHaveLength(1);
  });
});
