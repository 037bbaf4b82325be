/** The Hub's status codes, X-Error-* headers and the headers Python's get_hf_file_metadata reads. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { parseFrontMatter } from '../../fake-hub/yaml';
import { GATED_TOKEN, GOOD_TOKEN, TOKENS, auth } from './helpers';

const PRIVATE: FakeRepo = { kind: 'model', id: 'acme/secret', private: true, commits: [{ files: [{ path: 'a.txt', content: 'a' }] }] };
const WITH_PR: FakeRepo = {
  kind: 'dataset',
  id: 'acme/with-pr',
  commits: [
    { refs: ['main'], files: [{ path: 'x.txt', content: 'main version' }] },
    { refs: ['refs/pr/1'], files: [{ path: 'x.txt', content: 'pr version' }] },
  ],
};

let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({ repos: [...demoRepos(), PRIVATE, WITH_PR], tokens: TOKENS });
});
afterAll(async () => {
  await hub.close();
});

function errorOf(res: Response): { status: number; code: string | null; message: string | null } {
  return { status: res.status, code: res.headers.get('x-error-code'), message: res.headers.get('x-error-message') };
}

describe('errors and auth', () => {
  it('unknown repo: 401 RepoNotFound without a token, 404 with one', async () => {
    expect(errorOf(await fetch(`${hub.url}/api/models/acme/nope`))).toMatchObject({ status: 401, code: 'RepoNotFound' });
    expect(errorOf(await fetch(`${hub.url}/api/models/acme/nope`, { headers: auth(GOOD_TOKEN) }))).toMatchObject({ status: 404, code: 'RepoNotFound' });
    expect(errorOf(await fetch(`${hub.url}/acme/nope/resolve/main/a.txt`, { method: 'HEAD' }))).toMatchObject({ status: 401, code: 'RepoNotFound' });
  });

  it('a model id is not found among datasets', async () => {
    expect(errorOf(await fetch(`${hub.url}/api/datasets/mistudio-demo/tiny-gpt2`, { headers: auth(GOOD_TOKEN) }))).toMatchObject({ status: 404, code: 'RepoNotFound' });
  });

  it('a bad token is rejected everywhere with the Hub message', async () => {
    const res = await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2`, { headers: auth('hf_bad') });
    expect(errorOf(res)).toEqual({ status: 401, code: null, message: 'Invalid credentials in Authorization header' });
    expect(await res.json()).toEqual({ error: 'Invalid credentials in Authorization header' });
  });

  it('private repos need a token', async () => {
    expect(errorOf(await fetch(`${hub.url}/api/models/acme/secret`))).toMatchObject({ status: 401, code: 'RepoNotFound' });
    expect((await fetch(`${hub.url}/api/models/acme/secret`, { headers: auth(GOOD_TOKEN) })).status).toBe(200);
    expect((await fetch(`${hub.url}/acme/secret/resolve/main/a.txt`, { headers: auth(GOOD_TOKEN) })).status).toBe(200);
    const search = (await (await fetch(`${hub.url}/api/models?search=secret`)).json()) as unknown[];
    expect(search).toEqual([]);
  });

  it('a unicode revision echoed in an error still gets its answer: header percent-encoded, body exact', async () => {
    const revision = 'branch/名前-\u0001-😀';
    const res = await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2/revision/${encodeURIComponent(revision)}`);
    expect(errorOf(res)).toEqual({ status: 404, code: 'RevisionNotFound', message: `Invalid rev id: ${encodeURIComponent(revision)}`.replace('%2F', '/') });
    expect(await res.json()).toEqual({ error: `Invalid rev id: ${revision}` });
    const resolve = await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/${encodeURIComponent('ブランチ')}/config.json`);
    expect(errorOf(resolve)).toMatchObject({ status: 404, code: 'RevisionNotFound' });
  });

  it('unknown revision: 404 RevisionNotFound; unknown file: 404 EntryNotFound', async () => {
    expect(errorOf(await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2/revision/nope`))).toMatchObject({ status: 404, code: 'RevisionNotFound' });
    expect(errorOf(await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/nope/config.json`))).toMatchObject({ status: 404, code: 'RevisionNotFound' });
    expect(errorOf(await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/nope.json`))).toMatchObject({ status: 404, code: 'EntryNotFound' });
    expect(errorOf(await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2/tree/main/nope`))).toMatchObject({ status: 404, code: 'EntryNotFound' });
  });

  it('gated: metadata is public, files need a token with access', async () => {
    const info = (await (await fetch(`${hub.url}/api/models/mistudio-demo/gated-model`)).json()) as { gated: unknown };
    expect(info.gated).toBe('manual');
    const file = `${hub.url}/mistudio-demo/gated-model/resolve/main/config.json`;
    expect(errorOf(await fetch(file))).toMatchObject({ status: 401, code: 'GatedRepo' });
    const denied = errorOf(await fetch(file, { headers: auth(GOOD_TOKEN) }));
    expect(denied).toMatchObject({ status: 403, code: 'GatedRepo' });
    expect(denied.message).toContain(`${hub.url}/mistudio-demo/gated-model`);
    expect((await fetch(file, { headers: auth(GATED_TOKEN) })).status).toBe(200);
  });

  it('rejects unknown expand keys like the Hub', async () => {
    expect((await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2?expand=bogus`)).status).toBe(400);
  });
});

describe('file metadata as Python huggingface_hub reads it', () => {
  it('HEAD on an LFS file: 302 to another origin with X-Linked-Etag/Size and X-Repo-Commit', async () => {
    const res = await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/model.safetensors`, { method: 'HEAD', redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(hub.cdnUrl);
    expect(location.origin).not.toBe(new URL(hub.url).origin);
    expect(location.searchParams.get('Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(res.headers.get('x-linked-etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(Number(res.headers.get('x-linked-size'))).toBeGreaterThan(100_000);
    expect(res.headers.get('x-repo-commit')).toBe(hub.commitSha('model', 'mistudio-demo/tiny-gpt2', 'main'));
  });

  it('HEAD on a regular file: 200 with the git blob ETag, size and Accept-Ranges', async () => {
    const res = await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/config.json`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    const body = await (await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/config.json`)).arrayBuffer();
    expect(Number(res.headers.get('content-length'))).toBe(body.byteLength);
  });

  it('serves nested paths and names with spaces (percent-encoded)', async () => {
    const res = await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/special%20tokens%20map.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ bos_token: '<|endoftext|>' });
    expect((await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/tokenizer/vocab.txt`)).status).toBe(200);
  });

  it('raw serves the LFS pointer', async () => {
    const text = await (await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/raw/main/model.safetensors`)).text();
    expect(text).toMatch(/^version https:\/\/git-lfs.github.com\/spec\/v1\noid sha256:[0-9a-f]{64}\nsize \d+\n$/);
  });

  it('accepts URL-encoded revisions with slashes (refs/pr/1)', async () => {
    const prSha = hub.commitSha('dataset', 'acme/with-pr', 'refs/pr/1');
    const info = (await (await fetch(`${hub.url}/api/datasets/acme/with-pr/revision/refs%2Fpr%2F1`)).json()) as { sha: string };
    expect(info.sha).toBe(prSha);
    const res = await fetch(`${hub.url}/datasets/acme/with-pr/resolve/refs%2Fpr%2F1/x.txt`);
    expect(await res.text()).toBe('pr version');
    expect(res.headers.get('x-repo-commit')).toBe(prSha);
    const tree = (await (await fetch(`${hub.url}/api/datasets/acme/with-pr/tree/refs%2Fpr%2F1`)).json()) as { path: string }[];
    expect(tree.map((e) => e.path)).toEqual(['x.txt']);
  });

  it('paths-info accepts form bodies (Python) as well as JSON', async () => {
    const form = new URLSearchParams([['paths', 'config.json'], ['paths', 'model.safetensors'], ['paths', 'missing'], ['expand', 'True']]);
    const res = await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2/paths-info/main`, { method: 'POST', body: form });
    const entries = (await res.json()) as { path: string; lfs?: unknown; lastCommit?: unknown }[];
    expect(entries.map((e) => e.path)).toEqual(['config.json', 'model.safetensors']);
    expect(entries[1]?.lfs).toBeDefined();
    expect(entries[0]?.lastCommit).toBeDefined();
  });

  it('info with blobs=true gives sizes and LFS hashes per sibling (model_info(files_metadata=True))', async () => {
    const info = (await (await fetch(`${hub.url}/api/models/mistudio-demo/tiny-gpt2?blobs=true`)).json()) as {
      siblings: { rfilename: string; size: number; blobId: string; lfs?: { sha256: string } }[];
      lastModified: string;
    };
    const weights = info.siblings.find((s) => s.rfilename === 'model.safetensors');
    expect(weights?.lfs?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(weights?.blobId).toMatch(/^[0-9a-f]{40}$/);
    // Python parses lastModified with "%Y-%m-%dT%H:%M:%S.%fZ".
    expect(info.lastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('demo repos', () => {
  it('are deterministic across starts', async () => {
    const other = await startFakeHub({ repos: demoRepos() });
    try {
      for (const [kind, id] of [['model', 'mistudio-demo/tiny-gpt2'], ['model', 'mistudio-demo/tiny-sae'], ['dataset', 'mistudio-demo/tiny-stories']] as const) {
        expect(other.commitSha(kind, id, 'main')).toBe(hub.commitSha(kind, id, 'main'));
      }
    } finally {
      await other.close();
    }
  });

  it('tiny-sae shares its weights blob between the tag and main', async () => {
    const lfsOid = async (rev: string): Promise<string | null> =>
      (await fetch(`${hub.url}/mistudio-demo/tiny-sae/resolve/${rev}/sae_weights.safetensors`, { method: 'HEAD', redirect: 'manual' })).headers.get('x-linked-etag');
    expect(await lfsOid('v1.0')).toBe(await lfsOid('main'));
    expect(hub.commitSha('model', 'mistudio-demo/tiny-sae', 'v1.0')).not.toBe(hub.commitSha('model', 'mistudio-demo/tiny-sae', 'main'));
  });
});

describe('front matter reader', () => {
  it('reads nested maps, sequences of maps and scalars', () => {
    const card = parseFrontMatter(
      '---\nlicense: mit\nlikes: 3\nprivate: false\ntags: [a, "b"]\nconfigs:\n- config_name: x\n  data_files:\n  - split: train\n    path:\n    - a/*.parquet\n    - b/*.parquet\n  data_dir: d\n---\nbody',
    );
    expect(card).toEqual({
      license: 'mit',
      likes: 3,
      private: false,
      tags: ['a', 'b'],
      configs: [{ config_name: 'x', data_files: [{ split: 'train', path: ['a/*.parquet', 'b/*.parquet'] }], data_dir: 'd' }],
    });
    expect(parseFrontMatter('# no front matter')).toBeUndefined();
  });
});
