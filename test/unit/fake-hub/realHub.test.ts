/**
 * The fake hub behaves as huggingface.co does in 2026 (issue 12, item 5): relative 307s to /api/resolve-cache for
 * regular files, renamed repos and legacy ids redirected relatively, Xet-era headers and tree fields (redacted on
 * gated repos), `expand` checked per repo type, and rate limits with the RateLimit headers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { GATED_TOKEN, GOOD_TOKEN, TOKENS, auth } from './helpers';

const GPT2: FakeRepo = {
  kind: 'model',
  id: 'openai-community/gpt2',
  aliases: ['gpt2', 'old-org/gpt-2'],
  commits: [{ files: [{ path: 'config.json', content: '{"model_type":"gpt2"}' }, { path: 'model.safetensors', content: Buffer.alloc(2048, 7) }] }],
};
const PRIVATE: FakeRepo = { kind: 'dataset', id: 'acme/secret', private: true, commits: [{ files: [{ path: 'a.txt', content: 'secret a' }] }] };

let hub: FakeHub;
beforeAll(async () => {
  hub = await startFakeHub({ repos: [...demoRepos(), GPT2, PRIVATE], tokens: TOKENS });
});
afterEach(() => {
  hub.setFaults([]);
  hub.setRateLimits({});
  hub.resetStats();
});
afterAll(async () => {
  await hub.close();
});

describe('regular files: a relative 307 to /api/resolve-cache/…', () => {
  it('answers the resolve URL with 307 and a relative Location on the same host, which serves the file', async () => {
    const commit = hub.commitSha('model', 'openai-community/gpt2', 'main');
    const res = await fetch(`${hub.url}/openai-community/gpt2/resolve/main/config.json`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`/api/resolve-cache/models/openai-community/gpt2/${commit}/config.json?`)).toBe(true);
    expect(res.headers.get('x-repo-commit')).toBe(commit);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    const file = await fetch(new URL(location, hub.url), { headers: { range: 'bytes=2-5' } });
    expect(file.status).toBe(206);
    expect(await file.text()).toBe('mode');
    expect(file.headers.get('x-repo-commit')).toBe(commit);
  });

  it('/api/resolve-cache checks access like resolve: a private repo needs the token there too', async () => {
    const commit = hub.commitSha('dataset', 'acme/secret', 'main');
    const cacheUrl = `${hub.url}/api/resolve-cache/datasets/acme/secret/${commit}/a.txt`;
    expect((await fetch(cacheUrl)).status).toBe(401);
    expect(await (await fetch(cacheUrl, { headers: auth(GOOD_TOKEN) })).text()).toBe('secret a');
    const gated = `${hub.url}/api/resolve-cache/models/mistudio-demo/gated-model/${hub.commitSha('model', 'mistudio-demo/gated-model', 'main')}/config.json`;
    expect((await fetch(gated, { headers: auth(GOOD_TOKEN) })).headers.get('x-error-code')).toBe('GatedRepo');
    expect((await fetch(gated, { headers: auth(GATED_TOKEN) })).status).toBe(200);
  });
});

describe('renamed repos and legacy ids redirect relatively', () => {
  it('API, tree and file URLs under an old name answer 307 to the same path under the id now', async () => {
    const cases: Array<[string, string]> = [
      ['/api/models/gpt2/revision/main?expand=sha', '/api/models/openai-community/gpt2/revision/main?expand=sha'],
      ['/api/models/gpt2', '/api/models/openai-community/gpt2'],
      ['/api/models/old-org/gpt-2/tree/main?recursive=true', '/api/models/openai-community/gpt2/tree/main?recursive=true'],
      ['/gpt2/resolve/main/config.json', '/openai-community/gpt2/resolve/main/config.json'],
      ['/old-org/gpt-2/resolve/main/model.safetensors', '/openai-community/gpt2/resolve/main/model.safetensors'],
    ];
    for (const [from, to] of cases) {
      const res = await fetch(`${hub.url}${from}`, { redirect: 'manual' });
      expect([res.status, res.headers.get('location')], from).toEqual([307, to]);
    }
    expect(((await (await fetch(`${hub.url}/api/models/gpt2`)).json()) as { id: string }).id).toBe('openai-community/gpt2');
  });
});

describe('Xet-era headers and fields', () => {
  it('an LFS resolve carries X-Xet-Hash; the tree lists xetHash for LFS files, none for regular ones', async () => {
    const res = await fetch(`${hub.url}/openai-community/gpt2/resolve/main/model.safetensors`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const xet = res.headers.get('x-xet-hash');
    expect(xet).toMatch(/^[0-9a-f]{64}$/);
    const tree = (await (await fetch(`${hub.url}/api/models/openai-community/gpt2/tree/main`)).json()) as Array<{ path: string; xetHash?: string }>;
    expect(tree.find((e) => e.path === 'model.safetensors')?.xetHash).toBe(xet);
    expect(tree.find((e) => e.path === 'config.json')?.xetHash).toBeUndefined();
  });

  it('a gated repo’s tree redacts xetHash as 64 "*"', async () => {
    const tree = (await (await fetch(`${hub.url}/api/models/mistudio-demo/gated-model/tree/main`)).json()) as Array<{ lfs?: unknown; xetHash?: string }>;
    const lfs = tree.filter((e) => e.lfs !== undefined);
    expect(lfs.length).toBeGreaterThan(0);
    expect(lfs.every((e) => e.xetHash === '*'.repeat(64))).toBe(true);
  });
});

describe('expand is checked per repo type', () => {
  const status = async (path: string): Promise<number> => (await fetch(`${hub.url}${path}`)).status;
  it('models accept evalResults and pipeline_tag, datasets mainSize; datasets refuse pipeline_tag, models mainSize', async () => {
    expect(await status('/api/models/openai-community/gpt2?expand=evalResults&expand=pipeline_tag')).toBe(200);
    expect(await status('/api/datasets/mistudio-demo/tiny-stories?expand=mainSize')).toBe(200);
    expect(await status('/api/datasets/mistudio-demo/tiny-stories?expand=pipeline_tag')).toBe(400);
    expect(await status('/api/models/openai-community/gpt2?expand=mainSize')).toBe(400);
    expect(await status('/api/datasets?expand=pipeline_tag')).toBe(400);
    const info = (await (await fetch(`${hub.url}/api/datasets/mistudio-demo/tiny-stories?expand=mainSize`)).json()) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(['_id', 'id', 'mainSize']);
  });
});

describe('rate limits with RateLimit headers', () => {
  it('a rate-limit fault answers 429 with RateLimit, RateLimit-Policy and the Hub’s words', async () => {
    hub.setFaults([{ kind: 'rate-limit', resetSeconds: 55, times: 1 }]);
    const res = await fetch(`${hub.url}/api/models/openai-community/gpt2`);
    expect(res.status).toBe(429);
    expect(res.headers.get('ratelimit')).toBe('"api";r=0;t=55');
    expect(res.headers.get('ratelimit-policy')).toBe('"fixed window";"api";q=500;w=300');
    expect(((await res.json()) as { error: string }).error).toMatch(/rate-limited/);
  });

  it('a fixed window per resource: answers carry what is left; past the quota, 429 until the window resets', async () => {
    hub.setRateLimits({ api: { requests: 3, windowMs: 1500 } });
    const url = `${hub.url}/api/models/openai-community/gpt2`;
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(url);
      seen.push([res.status, res.headers.get('ratelimit')]);
    }
    expect(seen.map(([s]) => s)).toEqual([200, 200, 200, 429]);
    expect(seen[0]?.[1]).toMatch(/^"api";r=2;t=[12]$/);
    expect(seen[3]?.[1]).toMatch(/^"api";r=0;t=[12]$/);
    // Files are another resource ("resolvers"): not limited by the api window.
    expect((await fetch(`${hub.url}/openai-community/gpt2/resolve/main/config.json`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await fetch(url)).status).toBe(200);
  });

  it('a trickle fault sends the body a few bytes at a time (slow-loris)', async () => {
    hub.setFaults([{ kind: 'trickle', bytes: 4, everyMs: 30, match: { path: 'config.json' } }]);
    const started = Date.now();
    const text = await (await fetch(`${hub.url}/openai-community/gpt2/resolve/main/config.json`)).text();
    expect(text).toBe('{"model_type":"gpt2"}');
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 30 - 10);
  });
});
