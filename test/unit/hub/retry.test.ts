import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { HubClient } from '../../../src/core/hub';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';

const TOKEN = 'hf_retry_token';
const gpt2 = { kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' } as const;
const FAST = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 20, maxServerWaitMs: 20 };

let hub: FakeHub;
beforeAll(async () => {
  // Small tree pages, so a listing takes several requests of one call.
  hub = await startFakeHub({ repos: demoRepos(), tokens: { [TOKEN]: { user: 'retrier' } }, treePageSize: 2 });
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
});
afterAll(async () => hub.close());

const client = (extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}): HubClient =>
  new HubClient({ endpoint: hub.url, token: TOKEN, retry: FAST, ...extra });
const statuses = (path: RegExp): number[] => hub.requests.filter((r) => path.test(r.url)).map((r) => r.status);

describe('HubClient retries of metadata requests', () => {
  it('repo info survives two 503s: asked three times, answered', async () => {
    hub.setFaults([{ kind: 'status', status: 503, match: { server: 'hub', path: /\/api\/models\// }, times: 2 }]);
    const info = await client().repoInfo(gpt2, 'main');
    expect(info.commit).toBe(hub.commitSha('model', gpt2.repoId, 'main'));
    expect(statuses(/\/api\/models\/mistudio-demo\/tiny-gpt2\/revision\//)).toEqual([503, 503, 200]);
  });

  it('file listing, search and whoami retry 5xx and 429 too', async () => {
    hub.setFaults([
      { kind: 'status', status: 502, match: { path: /\/tree\// }, times: 1 },
      { kind: 'status', status: 429, retryAfterSeconds: 3600, match: { path: /^\/api\/models$/ }, times: 1 },
      { kind: 'status', status: 500, match: { path: /whoami/ }, times: 2 },
    ]);
    const commit = hub.commitSha('model', gpt2.repoId, 'main');
    expect((await client().listFiles(gpt2, commit)).length).toBeGreaterThan(0);
    expect(statuses(/\/tree\//)[0]).toBe(502);
    // Retry-After: 3600 is honoured only up to the policy's cap on server waits; the search still completes.
    expect(Array.isArray(await client().searchRepos('model', 'gpt2'))).toBe(true);
    expect(statuses(/\/api\/models\?/)).toEqual([429, 200]);
    expect((await client().whoAmI()).name).toBe('retrier');
    expect(statuses(/whoami/)).toEqual([500, 500, 200]);
  });

  it('a permanent 503 still fails with the Http error once the attempts run out', async () => {
    hub.setFaults([{ kind: 'status', status: 503, match: { server: 'hub', path: /\/api\/models\// } }]);
    const err = await client().repoInfo(gpt2, 'main').catch((e: unknown) => e);
    expect(isMistudioError(err, 'Http'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/answered HTTP 503/);
    expect(statuses(/\/api\/models\//)).toEqual([503, 503, 503, 503]);
  });

  it('a permanent 429 ends RateLimited, with the server’s Retry-After', async () => {
    hub.setFaults([{ kind: 'status', status: 429, retryAfterSeconds: 7, match: { path: /\/api\/models\// } }]);
    const err = await client().repoInfo(gpt2, 'main').catch((e: unknown) => e);
    expect(isMistudioError(err, 'RateLimited'), String(err)).toBe(true);
    expect((err as { details: { retryAfterSeconds?: number } }).details.retryAfterSeconds).toBe(7);
    expect(statuses(/\/api\/models\//)).toHaveLength(FAST.maxAttempts);
  });

  it('4xx answers are not retried', async () => {
    await client().repoInfo(gpt2, 'no-such-branch').catch(() => undefined);
    expect(statuses(/\/revision\//)).toEqual([404]);
  });

  it('a connection reset is retried; a refused first connection is not (Offline at once)', async () => {
    let resets = 1;
    const calls: string[] = [];
    const flaky: typeof fetch = (input, init) => {
      calls.push(String(input));
      if (resets-- > 0) return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }));
      return fetch(input, init);
    };
    const info = await client({ fetch: flaky }).repoInfo(gpt2, 'main');
    expect(info.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(calls).toHaveLength(2);

    const refused: typeof fetch = (input) => {
      calls.push(String(input));
      return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    };
    calls.length = 0;
    const err = await client({ fetch: refused }).repoInfo(gpt2, 'main').catch((e: unknown) => e);
    expect(isMistudioError(err, 'Offline'), String(err)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('once the host has answered in a call, a refused connection is a drop-out: the next page is asked again', async () => {
    const commit = hub.commitSha('model', gpt2.repoId, 'main');
    const pages: string[] = [];
    let refuseNext = false;
    const dropOut: typeof fetch = (input, init) => {
      pages.push(String(input));
      if (refuseNext) {
        refuseNext = false;
        return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
      }
      refuseNext = pages.length === 1; // the request after the first page
      return fetch(input, init);
    };
    const files = await client({ fetch: dropOut }).listFiles(gpt2, commit);
    expect(files.length).toBeGreaterThan(2); // several pages
    expect(pages[1]).toBe(pages[2]); // the refused page, asked again
  });

  it('a cancel during the wait between attempts ends the call as Cancelled, with no further request', async () => {
    hub.setFaults([{ kind: 'status', status: 503, match: { path: /\/api\/models\// } }]);
    const controller = new AbortController();
    const slow = client({ retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    const pending = slow.repoInfo(gpt2, 'main', controller.signal).catch((e: unknown) => e);
    while (hub.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const err = await pending;
    expect(isMistudioError(err, 'Cancelled'), String(err)).toBe(true);
    expect(statuses(/\/api\/models\//)).toEqual([503]);
  });

  it('a wait the server asks for beyond the cap is cut to it, and the request tried again', async () => {
    hub.setFaults([{ kind: 'status', status: 503, retryAfterSeconds: 3600, match: { path: /\/api\/models\// }, times: 1 }]);
    const started = Date.now();
    await client({ retry: { ...FAST, maxServerWaitMs: 300 } }).repoInfo(gpt2, 'main');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(statuses(/\/api\/models\//)).toEqual([503, 200]);
  });
});
