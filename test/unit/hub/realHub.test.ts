/**
 * The client against a Hub that behaves as huggingface.co does (issue 12, item 5): each behaviour of the fake hub
 * (test/unit/fake-hub/realHub.test.ts) met by the metadata client, the transfer engine and a whole download.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../../src/core/hub';
import type { ServerWaitNotice } from '../../../src/core/net/retry';
import { openStudio } from '../../../src/core/studio';
import { downloadFile } from '../../../src/core/transfer';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { GATED_TOKEN, GOOD_TOKEN, TOKENS } from '../fake-hub/helpers';
import { wasmPath } from '../robustness/helpers';

const GPT2: FakeRepo = {
  kind: 'model',
  id: 'openai-community/gpt2',
  aliases: ['gpt2'],
  commits: [{ files: [{ path: 'config.json', content: '{"model_type":"gpt2","n_layer":12}' }, { path: 'model.safetensors', content: Buffer.alloc(2048, 7) }] }],
};
const PRIVATE: FakeRepo = { kind: 'model', id: 'acme/secret', private: true, commits: [{ files: [{ path: 'config.json', content: '{"model_type":"secret"}' }] }] };

let hub: FakeHub;
let tmp: string;
beforeAll(async () => {
  hub = await startFakeHub({ repos: [...demoRepos(), GPT2, PRIVATE], tokens: TOKENS });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-realhub-'));
});
afterEach(() => {
  hub.setFaults([]);
  hub.setRateLimits({});
  hub.resetStats();
});
afterAll(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const client = (token?: string, extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}): HubClient =>
  new HubClient({ endpoint: hub.url, ...(token ? { token } : {}), ...extra });

describe('the relative 307 of regular files', () => {
  it('readSmallFile follows it, keeping the token on the same host (a private repo’s file arrives)', async () => {
    const commit = hub.commitSha('model', PRIVATE.id, 'main');
    const bytes = await client(GOOD_TOKEN).readSmallFile({ kind: 'model', repoId: PRIVATE.id }, commit, 'config.json');
    expect(bytes.toString()).toBe('{"model_type":"secret"}');
    expect(hub.requests.map((r) => [r.status, r.headers['authorization']])).toEqual([
      [307, `Bearer ${GOOD_TOKEN}`],
      [200, `Bearer ${GOOD_TOKEN}`],
    ]);
  });

  it('the transfer engine follows it too, with the token, and verifies the file', async () => {
    const commit = hub.commitSha('model', PRIVATE.id, 'main');
    const url = client().fileUrl({ kind: 'model', repoId: PRIVATE.id }, commit, 'config.json');
    const finalPath = path.join(tmp, 'private-config.json');
    await downloadFile({ url, token: GOOD_TOKEN, partialPath: `${finalPath}.part`, finalPath, size: 23 });
    expect(fs.readFileSync(finalPath, 'utf8')).toBe('{"model_type":"secret"}');
    expect(hub.requests.every((r) => r.headers['authorization'] === `Bearer ${GOOD_TOKEN}`)).toBe(true);
  });
});

describe('renamed repos and legacy ids', () => {
  it('repo info, the listing and files under "gpt2" reach openai-community/gpt2', async () => {
    const ref = { kind: 'model', repoId: 'gpt2' } as const;
    const info = await client(GOOD_TOKEN).repoInfo(ref, 'main');
    expect(info.commit).toBe(hub.commitSha('model', 'openai-community/gpt2', 'main'));
    expect((await client().listFiles(ref, info.commit)).map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
    expect(JSON.parse((await client().readSmallFile(ref, info.commit, 'config.json')).toString())).toMatchObject({ n_layer: 12 });
    expect(hub.requests.filter((r) => r.status === 307).length).toBeGreaterThanOrEqual(3);
    // Repo info: the 307 under the old id and the answer under the new one, both with the token (same host).
    expect(hub.requests.slice(0, 2).map((r) => [r.status, r.url.split('?')[0], r.headers['authorization']])).toEqual([
      [307, '/api/models/gpt2/revision/main', `Bearer ${GOOD_TOKEN}`],
      [200, '/api/models/openai-community/gpt2/revision/main', `Bearer ${GOOD_TOKEN}`],
    ]);
  });

  it('a download under the old id lands in the cache under that id, as huggingface_hub stores it', async () => {
    const home = fs.mkdtempSync(path.join(tmp, 'dl-'));
    const studio = await openStudio({ catalogFile: null, wasmPath, cacheRoot: path.join(home, 'hub'), endpoint: hub.url });
    try {
      const entry = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: 'gpt2' })).id);
      expect(entry.status).toBe('ready');
      expect(fs.readFileSync(path.join(entry.snapshotPath ?? '', 'config.json'), 'utf8')).toContain('gpt2');
      expect(entry.snapshotPath).toContain(`${path.sep}models--gpt2${path.sep}`);
    } finally {
      await studio.close();
    }
  });
});

describe('Xet-era fields', () => {
  it('a gated repo’s redacted xetHash is ignored: the listing and a download with access work', async () => {
    const ref = { kind: 'model', repoId: 'mistudio-demo/gated-model' } as const;
    const files = await client(GATED_TOKEN).listFiles(ref, hub.commitSha('model', ref.repoId, 'main'));
    const lfs = files.filter((f) => f.lfs !== undefined);
    expect(lfs.length).toBeGreaterThan(0);
    expect(lfs.every((f) => /^[0-9a-f]{64}$/.test(f.lfs?.sha256 ?? ''))).toBe(true);
    expect(JSON.stringify(files)).not.toContain('*'.repeat(64));
  });
});

describe('expand per repo type', () => {
  it('repo info of a dataset never asks for pipeline_tag (the Hub refuses it), of a model it does', async () => {
    await client().repoInfo({ kind: 'dataset', repoId: 'mistudio-demo/tiny-stories' }, 'main');
    await client().repoInfo({ kind: 'model', repoId: 'openai-community/gpt2' }, 'main');
    await client().searchRepos('dataset', 'tiny');
    const [dataset, model, search] = hub.requests.map((r) => r.url);
    expect(dataset).not.toContain('pipeline_tag');
    expect(search).not.toContain('pipeline_tag');
    expect(model).toContain('expand=pipeline_tag');
    expect(hub.requests.every((r) => r.status === 200)).toBe(true);
  });
});

describe('429 with RateLimit headers', () => {
  it('metadata: waits until the window resets (t + 1 s, as huggingface_hub), telling the listener, then continues', async () => {
    hub.setFaults([{ kind: 'rate-limit', resetSeconds: 0, match: { path: /\/revision\// }, times: 1 }]);
    const waits: ServerWaitNotice[] = [];
    let ended = 0;
    const started = Date.now();
    const info = await client(undefined, {
      onServerWait: (wait) => {
        waits.push(wait);
        return () => ended++;
      },
    }).repoInfo({ kind: 'model', repoId: 'openai-community/gpt2' }, 'main');
    expect(info.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(waits).toEqual([{ ms: 1000, rateLimited: true, host: new URL(hub.url).origin }]);
    expect(ended).toBe(1);
    expect(hub.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('transfers: the same wait, announced, then the file arrives', async () => {
    hub.setFaults([{ kind: 'rate-limit', resetSeconds: 0, resource: 'resolvers', match: { path: 'config.json' }, times: 1 }]);
    const commit = hub.commitSha('model', 'openai-community/gpt2', 'main');
    const url = client().fileUrl({ kind: 'model', repoId: 'openai-community/gpt2' }, commit, 'config.json');
    const finalPath = path.join(tmp, 'gpt2-config.json');
    const waits: ServerWaitNotice[] = [];
    await downloadFile({ url, partialPath: `${finalPath}.part`, finalPath, size: 34, onServerWait: (w) => (waits.push(w), () => undefined) });
    expect(fs.readFileSync(finalPath, 'utf8')).toContain('gpt2');
    expect(waits).toEqual([{ ms: 1000, rateLimited: true, host: new URL(hub.url).origin }]);
  });
});
