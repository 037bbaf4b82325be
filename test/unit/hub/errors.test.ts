import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMistudioError, type MistudioError } from '../../../src/core/errors';
import { HubClient } from '../../../src/core/hub';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';

const GOOD = 'hf_alice_read';
const PRIVATE: FakeRepo = { kind: 'dataset', id: 'acme/secret', private: true, commits: [{ files: [{ path: 'a.txt', content: 'a' }] }] };

let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({ repos: [...demoRepos(), PRIVATE], tokens: { [GOOD]: { user: 'alice' } } });
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
});
afterAll(async () => {
  await hub.close();
});

// Transient answers are retried (see retry.test.ts); here retries run out fast, so the final error is what shows.
const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxServerWaitMs: 5 };
const client = (token?: string, extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}): HubClient =>
  new HubClient({ endpoint: hub.url, ...(token ? { token } : {}), retry: FAST_RETRY, ...extra });
const gpt2 = { kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' } as const;
const gated = { kind: 'model', repoId: 'mistudio-demo/gated-model' } as const;

async function failure(promise: Promise<unknown>): Promise<MistudioError> {
  try {
    await promise;
  } catch (err) {
    if (isMistudioError(err)) return err;
    throw new Error(`expected a MistudioError, got ${String(err)}`);
  }
  throw new Error('expected a failure');
}

function oneLine(err: MistudioError): void {
  expect(err.message).not.toContain('\n');
}

describe('HubClient errors', () => {
  it('RepoNotFound without a token suggests signing in; with one, says the token cannot see it', async () => {
    const anon = await failure(client().repoInfo({ kind: 'model', repoId: 'acme/nope' }, 'main'));
    expect(anon.code).toBe('RepoNotFound');
    expect(anon.message).toBe(`Repository acme/nope not found on ${hub.url} (or it is private: sign in)`);
    expect(anon.details).toMatchObject({ repoId: 'acme/nope', status: 401 });
    const signed = await failure(client(GOOD).repoInfo({ kind: 'model', repoId: 'acme/nope' }, 'main'));
    expect(signed.code).toBe('RepoNotFound');
    expect(signed.details.status).toBe(404);
    oneLine(signed);
  });

  it('private repos are RepoNotFound without a token, and readable with one', async () => {
    const ref = { kind: 'dataset', repoId: 'acme/secret' } as const;
    expect((await failure(client().repoInfo(ref, 'main'))).code).toBe('RepoNotFound');
    expect((await client(GOOD).repoInfo(ref, 'main')).private).toBe(true);
  });

  it('RevisionNotFound names the revision', async () => {
    const err = await failure(client().repoInfo(gpt2, 'no-such-branch'));
    expect(err.code).toBe('RevisionNotFound');
    expect(err.message).toContain('"no-such-branch"');
    expect(err.message).toContain(gpt2.repoId);
  });

  it('EntryNotFound names the file', async () => {
    const err = await failure(client().readSmallFile(gpt2, 'main', 'missing.json'));
    expect(err.code).toBe('EntryNotFound');
    expect(err.details.path).toBe('missing.json');
    expect(err.message).toContain('"missing.json"');
  });

  it('Gated without a token asks to sign in; with a token lacking access points at the repo page', async () => {
    const anon = await failure(client().readSmallFile(gated, 'main', 'config.json'));
    expect(anon.code).toBe('Gated');
    expect(anon.message).toContain('sign in');
    const denied = await failure(client(GOOD).readSmallFile(gated, 'main', 'config.json'));
    expect(denied.code).toBe('Gated');
    expect(denied.details.url).toBe(`${hub.url}/mistudio-demo/gated-model`);
    expect(denied.message).toContain(`request access at ${hub.url}/mistudio-demo/gated-model`);
    oneLine(denied);
  });

  it('Unauthorized for a token the Hub rejects', async () => {
    const err = await failure(client('hf_revoked').repoInfo(gpt2, 'main'));
    expect(err.code).toBe('Unauthorized');
    expect(err.message).toContain(hub.url);
  });

  it('RateLimited carries Retry-After', async () => {
    hub.setFaults([{ kind: 'status', status: 429, retryAfterSeconds: 42 }]);
    const err = await failure(client().repoInfo(gpt2, 'main'));
    expect(err.code).toBe('RateLimited');
    expect(err.details.retryAfterSeconds).toBe(42);
    // Asked again until the attempts ran out (the 42 s wait capped by the policy), then reported.
    expect(hub.requests.filter((r) => r.status === 429)).toHaveLength(FAST_RETRY.maxAttempts);
  });

  it('Http for other statuses, from listings and searches too', async () => {
    hub.setFaults([{ kind: 'status', status: 500, match: { path: /\/tree\// } }]);
    const err = await failure(client().listFiles(gpt2, 'main'));
    expect(err.code).toBe('Http');
    expect(err.details.status).toBe(500);
    hub.setFaults([{ kind: 'status', status: 502 }]);
    expect((await failure(client().searchRepos('model', 'x'))).details.status).toBe(502);
  });

  it('Offline when nothing listens, naming the endpoint', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const endpoint = `http://127.0.0.1:${port}`;
    const err = await failure(new HubClient({ endpoint }).repoInfo(gpt2, 'main'));
    expect(err.code).toBe('Offline');
    expect(err.message).toBe(`Cannot reach ${endpoint}: connection refused`);
  });

  it('an answer that stalls past the request deadline is asked again, then fails naming the slow host', async () => {
    hub.setFaults([{ kind: 'stall', afterBytes: 10, ms: 60_000, match: { path: /^\/api\/models\// } }]);
    const err = await failure(client(undefined, { limits: { requestTimeoutMs: 300 }, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }).repoInfo(gpt2, 'main'));
    expect(err.code).toBe('Http');
    expect(err.message).toBe(`${hub.url} answered too slowly: the repo info of ${gpt2.repoId} was not complete after 300 ms (2 attempts)`);
    expect(hub.requests.filter((r) => r.url.includes('/revision/'))).toHaveLength(2);
  });

  it('Offline when the connection drops mid-answer', async () => {
    hub.setFaults([{ kind: 'drop-after', bytes: 10, match: { path: /^\/api\/models\// } }]);
    expect((await failure(client().repoInfo(gpt2, 'main'))).code).toBe('Offline');
  });
});

describe('cancellation', () => {
  it('a signal aborted before the call sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(client().repoInfo(gpt2, 'main', controller.signal))).code).toBe('Cancelled');
    expect((await failure(client().listFiles(gpt2, 'main', controller.signal))).code).toBe('Cancelled');
    expect((await failure(client().readMetadata(gpt2, 'main', [], await client().repoInfo(gpt2, 'main'), controller.signal))).code).toBe('Cancelled');
    expect(hub.requests.filter((r) => !r.url.includes('/revision/'))).toHaveLength(0);
  });

  it('aborting mid-request throws Cancelled', async () => {
    hub.setFaults([{ kind: 'stall', afterBytes: 5, ms: 60_000 }]);
    const controller = new AbortController();
    const pending = failure(client().searchRepos('model', 'tiny', {}, controller.signal));
    await waitFor(() => hub.requests.length > 0 && hub.bytesSent() >= 5);
    controller.abort();
    expect((await pending).code).toBe('Cancelled');
  });

  it('aborting while reading metadata throws Cancelled, not partial metadata', async () => {
    const info = await client().repoInfo(gpt2, 'main');
    const files = await client().listFiles(gpt2, info.commit);
    hub.resetStats();
    hub.setFaults([{ kind: 'stall', afterBytes: 1, ms: 60_000, match: { path: 'config.json' } }]);
    const controller = new AbortController();
    const pending = failure(client().readMetadata(gpt2, info.commit, files, info, controller.signal));
    await waitFor(() => hub.bytesSent({ path: 'config.json' }) >= 1);
    controller.abort();
    expect((await pending).code).toBe('Cancelled');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

