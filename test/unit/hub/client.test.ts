import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMistudioError, type MistudioError } from '../../../src/core/errors';
import { HubClient, resolveEndpoint } from '../../../src/core/hub';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';

const GOOD = 'hf_alice_read';
const GATED_OK = 'hf_bob_gated';
const MANY_FILES: FakeRepo = {
  kind: 'model',
  id: 'acme/many-files',
  commits: [{ files: Array.from({ length: 23 }, (_, i) => ({ path: `shards/part-${String(i).padStart(3, '0')}.txt`, content: `part ${i}` })) }],
};
const WITH_PR: FakeRepo = {
  kind: 'dataset',
  id: 'acme/with-pr',
  commits: [
    { refs: ['main'], files: [{ path: 'x.txt', content: 'main' }] },
    { refs: ['refs/pr/1'], files: [{ path: 'x.txt', content: 'pr' }] },
  ],
};
const unsafeRepo = (id: string, path: string): FakeRepo => ({ kind: 'model', id, commits: [{ files: [{ path: 'ok.txt', content: 'ok' }, { path, content: 'x' }] }] });

let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({
    repos: [...demoRepos(), MANY_FILES, WITH_PR, unsafeRepo('acme/dotdot', '../evil.txt'), unsafeRepo('acme/backslash', 'a\\b.txt'), unsafeRepo('acme/empty-seg', 'a//b.txt')],
    tokens: { [GOOD]: { user: 'alice' }, [GATED_OK]: { user: 'bob', canAccessGated: true } },
    treePageSize: 5,
  });
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
});
afterAll(async () => {
  await hub.close();
});

const client = (token?: string): HubClient => new HubClient({ endpoint: hub.url, ...(token ? { token } : {}) });
const gpt2 = { kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' } as const;

async function failure(promise: Promise<unknown>): Promise<MistudioError> {
  try {
    await promise;
  } catch (err) {
    if (isMistudioError(err)) return err;
    throw new Error(`expected a MistudioError, got ${String(err)}`);
  }
  throw new Error('expected a failure');
}

describe('HubClient.repoInfo', () => {
  it('resolves main to a commit and reads the repo facts', async () => {
    const info = await client().repoInfo(gpt2, 'main');
    expect(info.commit).toBe(hub.commitSha('model', gpt2.repoId, 'main'));
    expect(info).toMatchObject({ gated: false, private: false, license: 'mit', pipelineTag: 'text-generation', downloads: 12_345, likes: 67, lastModified: '2024-06-01T09:30:00.000Z' });
    expect(info.tags).toContain('gpt2');
  });

  it('resolves tags, full shas and URL-encoded refs (refs/pr/1)', async () => {
    const sae = { kind: 'model', repoId: 'mistudio-demo/tiny-sae' } as const;
    const tagged = await client().repoInfo(sae, 'v1.0');
    expect(tagged.commit).toBe(hub.commitSha('model', sae.repoId, 'v1.0'));
    expect((await client().repoInfo(sae, tagged.commit)).commit).toBe(tagged.commit);
    const pr = await client().repoInfo({ kind: 'dataset', repoId: 'acme/with-pr' }, 'refs/pr/1');
    expect(pr.commit).toBe(hub.commitSha('dataset', 'acme/with-pr', 'refs/pr/1'));
    expect(hub.requests.some((r) => r.url.includes('refs%2Fpr%2F1'))).toBe(true);
  });

  it('reads datasets, gating and the card', async () => {
    const info = await client().repoInfo({ kind: 'dataset', repoId: 'mistudio-demo/tiny-stories' }, 'main');
    expect(info.license).toBe('cdla-sharing-1.0');
    expect(Array.isArray(info.cardData?.['configs'])).toBe(true);
    expect((await client().repoInfo({ kind: 'model', repoId: 'mistudio-demo/gated-model' }, 'main')).gated).toBe('manual');
  });

  it('refuses invalid ids and revisions before any request', async () => {
    expect((await failure(client().repoInfo({ kind: 'model', repoId: '../x' }, 'main'))).code).toBe('InvalidInput');
    expect((await failure(client().repoInfo(gpt2, '../../etc'))).code).toBe('InvalidInput');
    expect(hub.requests).toHaveLength(0);
  });
});

describe('HubClient.listFiles', () => {
  it('lists every file over all pages, files only, with sizes and hashes', async () => {
    const commit = hub.commitSha('model', 'acme/many-files', 'main');
    const files = await client().listFiles({ kind: 'model', repoId: 'acme/many-files' }, commit);
    expect(files.map((f) => f.path)).toEqual(Array.from({ length: 23 }, (_, i) => `shards/part-${String(i).padStart(3, '0')}.txt`));
    // 23 files + 1 directory at 5 per page.
    expect(hub.requests.filter((r) => r.url.includes('/tree/'))).toHaveLength(5);
    expect(files[0]).toMatchObject({ size: 'part 0'.length });
    expect(files[0]?.oid).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reports LFS sha256 and size', async () => {
    const files = await client().listFiles(gpt2, hub.commitSha('model', gpt2.repoId, 'main'));
    const weights = files.find((f) => f.path === 'model.safetensors');
    expect(weights?.lfs?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(weights?.lfs?.size).toBe(weights?.size);
    expect(files.find((f) => f.path === 'config.json')?.lfs).toBeUndefined();
    expect(files.map((f) => f.path)).toContain('tokenizer/vocab.txt');
  });

  it('refuses unsafe paths from the server, naming them', async () => {
    for (const [repoId, path] of [['acme/dotdot', '../evil.txt'], ['acme/backslash', 'a\\b.txt'], ['acme/empty-seg', 'a//b.txt']] as const) {
      const err = await failure(client().listFiles({ kind: 'model', repoId }, 'main'));
      expect(err.code).toBe('UnsafePath');
      expect(err.details.path).toBe(path);
      expect(err.message).toContain(JSON.stringify(path));
    }
  });
});

describe('HubClient.searchRepos', () => {
  it('searches models sorted by downloads, descending', async () => {
    const results = await client().searchRepos('model', 'mistudio-demo', { sort: 'downloads' });
    expect(results.map((r) => r.id)).toEqual(['mistudio-demo/tiny-gpt2', 'mistudio-demo/gated-model', 'mistudio-demo/tiny-sae']);
    expect(results[1]).toMatchObject({ kind: 'model', gated: 'manual', private: false, downloads: 999, likes: 42 });
    expect(results[0]?.lastModified).toBe('2024-06-01T09:30:00.000Z');
  });

  it('honours the limit and searches datasets', async () => {
    expect(await client().searchRepos('model', 'mistudio-demo', { sort: 'likes', limit: 2 })).toHaveLength(2);
    const datasets = await client().searchRepos('dataset', 'tiny', { sort: 'downloads' });
    expect(datasets.map((d) => [d.id, d.kind])).toEqual([
      ['mistudio-demo/tiny-stories', 'dataset'],
      ['mistudio-demo/tiny-glue', 'dataset'],
    ]);
  });

  it('refuses a nonsensical limit', async () => {
    expect((await failure(client().searchRepos('model', 'x', { limit: 0 }))).code).toBe('InvalidInput');
  });
});

describe('HubClient.whoAmI', () => {
  it('names the token owner', async () => {
    expect(await client(GOOD).whoAmI()).toMatchObject({ name: 'alice', type: 'user', tokenRole: 'read' });
  });

  it('is Unauthorized without a token or with a bad one', async () => {
    expect((await failure(client().whoAmI())).code).toBe('Unauthorized');
    expect((await failure(client('hf_wrong').whoAmI())).code).toBe('Unauthorized');
  });
});

describe('HubClient.fileUrl and readSmallFile', () => {
  it('encodes every path segment, spaces too, and the URL works', async () => {
    const commit = hub.commitSha('model', gpt2.repoId, 'main');
    const url = client().fileUrl(gpt2, commit, 'special tokens map.json');
    expect(url).toBe(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/${commit}/special%20tokens%20map.json`);
    expect((await fetch(url)).status).toBe(200);
    expect(client().fileUrl({ kind: 'dataset', repoId: 'a/b' }, commit, 'd/x#1?.txt')).toBe(`${hub.url}/datasets/a/b/resolve/${commit}/d/x%231%3F.txt`);
  });

  it('reads small files, following the CDN redirect for LFS ones', async () => {
    const commit = hub.commitSha('model', gpt2.repoId, 'main');
    expect(JSON.parse((await client().readSmallFile(gpt2, commit, 'config.json')).toString('utf8'))).toMatchObject({ model_type: 'gpt2' });
    const tokenizer = await client().readSmallFile(gpt2, commit, 'tokenizer.json');
    expect(JSON.parse(tokenizer.toString('utf8'))).toMatchObject({ model: { type: 'BPE' } });
    expect(hub.requests.some((r) => r.server === 'cdn')).toBe(true);
    expect((await failure(client().readSmallFile(gpt2, commit, 'model.safetensors', undefined, 1000))).code).toBe('InvalidInput');
  });
});

describe('mirrors and transport', () => {
  it('works with HF_ENDPOINT pointing at another host/port, through a custom fetch', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const mirror = new HubClient({ endpoint: resolveEndpoint({ env: { HF_ENDPOINT: `${hub.url}/` } }), fetch: counting, userAgent: 'mistudio-test/1.0' });
    const info = await mirror.repoInfo(gpt2, 'main');
    expect(info.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(calls).toBeGreaterThan(0);
    expect(hub.requests.at(-1)?.headers['user-agent']).toBe('mistudio-test/1.0');
  });

  it('sends the token to the endpoint but never to the CDN origin', async () => {
    const c = client(GATED_OK);
    const info = await c.repoInfo({ kind: 'model', repoId: 'mistudio-demo/gated-model' }, 'main');
    const files = await c.listFiles(info.ref, info.commit);
    const meta = await c.readMetadata(info.ref, info.commit, files, info);
    expect(meta.model?.parameters?.total).toBe(128 * 32);
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.headers['authorization'] === undefined)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'hub').every((r) => r.headers['authorization'] === `Bearer ${GATED_OK}`)).toBe(true);
  });

  it('sends tokens that do not start with hf_ (mirrors, enterprise tokens)', async () => {
    const err = await failure(client('api_old_style').repoInfo(gpt2, 'main'));
    expect(err.code).toBe('Unauthorized');
    expect(hub.requests[0]?.headers['authorization']).toBe('Bearer api_old_style');
  });
});

describe('HubClient without a fetch of its own', () => {
  it('sends metadata requests through the shared transfer Agent, so they reuse the connections downloads keep warm', async () => {
    const { sharedTransferAgent } = await import('../../../src/core/transfer/agent');
    const origin = new URL(hub.url).origin;
    const stats = (): { connected: number } | undefined => (sharedTransferAgent() as unknown as { stats: Record<string, { connected: number }> }).stats[origin];
    const info = await client().repoInfo({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' }, 'main');
    expect(info.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(stats()?.connected).toBeGreaterThanOrEqual(1);
  });
});
