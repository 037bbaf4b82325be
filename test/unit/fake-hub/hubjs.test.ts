/** Fidelity: @huggingface/hub's own client functions work against the fake exactly as against the Hub. */
import {
  datasetInfo,
  fileDownloadInfo,
  listDatasets,
  listFiles,
  listModels,
  modelInfo,
  parseSafetensorsMetadata,
  pathsInfo,
  scanCacheDir,
  snapshotDownload,
  whoAmI,
  type ListFileEntry,
} from '@huggingface/hub';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { GATED_TOKEN, GOOD_TOKEN, TOKENS, tempDir } from './helpers';

let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({ repos: demoRepos(), tokens: TOKENS, treePageSize: 3 });
  // snapshotDownload narrates each file on console.debug; keep the test output readable.
  vi.spyOn(console, 'debug').mockImplementation(() => undefined);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await hub.close();
});

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

describe('@huggingface/hub against the fake hub', () => {
  it('modelInfo reads id, sha, gating, counters and extra fields', async () => {
    const info = await modelInfo({ name: 'mistudio-demo/tiny-gpt2', hubUrl: hub.url, additionalFields: ['sha', 'cardData', 'tags', 'filePaths'] });
    expect(info.name).toBe('mistudio-demo/tiny-gpt2');
    expect(info.id).toMatch(/^[0-9a-f]{24}$/);
    expect(info.sha).toBe(hub.commitSha('model', 'mistudio-demo/tiny-gpt2', 'main'));
    expect(info.gated).toBe(false);
    expect(info.private).toBe(false);
    expect(info.downloads).toBe(12_345);
    expect(info.likes).toBe(67);
    expect(info.task).toBe('text-generation');
    expect(info.updatedAt.toISOString()).toBe('2024-06-01T09:30:00.000Z');
    expect(info.cardData?.license).toBe('mit');
    expect(info.filePaths).toContain('tokenizer/vocab.txt');
    expect(info.filePaths).toContain('special tokens map.json');
  });

  it('modelInfo at a tag resolves to that commit', async () => {
    const atTag = await modelInfo({ name: 'mistudio-demo/tiny-sae', hubUrl: hub.url, revision: 'v1.0', additionalFields: ['sha'] });
    const atMain = await modelInfo({ name: 'mistudio-demo/tiny-sae', hubUrl: hub.url, additionalFields: ['sha'] });
    expect(atTag.sha).toBe(hub.commitSha('model', 'mistudio-demo/tiny-sae', 'v1.0'));
    expect(atTag.sha).not.toBe(atMain.sha);
    const atSha = await modelInfo({ name: 'mistudio-demo/tiny-sae', hubUrl: hub.url, revision: atTag.sha, additionalFields: ['sha'] });
    expect(atSha.sha).toBe(atTag.sha);
  });

  it('datasetInfo reads the card configs', async () => {
    const info = await datasetInfo({ name: 'mistudio-demo/tiny-stories', hubUrl: hub.url, additionalFields: ['sha', 'cardData'] });
    expect(info.name).toBe('mistudio-demo/tiny-stories');
    expect(info.downloads).toBe(4_321);
    expect(info.cardData?.configs).toEqual([
      { config_name: 'default', data_files: [{ split: 'train', path: 'data/train-*' }, { split: 'test', path: 'data/test-*' }] },
    ]);
  });

  it('listFiles follows the Link cursor through every page', async () => {
    hub.resetStats();
    const entries = await collect(listFiles({ repo: 'mistudio-demo/tiny-gpt2', hubUrl: hub.url, recursive: true }));
    const files = entries.filter((e) => e.type === 'file').map((e) => e.path);
    expect(files.sort()).toEqual(
      ['.gitattributes', 'README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'special tokens map.json', 'tokenizer.json', 'tokenizer/vocab.txt'].sort(),
    );
    expect(entries.find((e) => e.path === 'tokenizer')?.type).toBe('directory');
    const treeCalls = hub.requests.filter((r) => r.url.includes('/tree/'));
    expect(treeCalls.length).toBe(Math.ceil(entries.length / 3));
  });

  it('listFiles reports LFS oids and pointer sizes, and git blob sha1 for regular files', async () => {
    const entries = await collect(listFiles({ repo: 'mistudio-demo/tiny-gpt2', hubUrl: hub.url, recursive: true }));
    const weights = entries.find((e) => e.path === 'model.safetensors') as ListFileEntry;
    const config = entries.find((e) => e.path === 'config.json') as ListFileEntry;
    const weightBytes = Buffer.from(await (await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/model.safetensors`)).arrayBuffer());
    expect(weights.lfs?.oid).toBe(createHash('sha256').update(weightBytes).digest('hex'));
    expect(weights.lfs?.size).toBe(weightBytes.length);
    expect(weights.size).toBe(weightBytes.length);
    expect(weights.lfs?.pointerSize).toBeGreaterThan(100);
    const configBytes = Buffer.from(await (await fetch(`${hub.url}/mistudio-demo/tiny-gpt2/resolve/main/config.json`)).arrayBuffer());
    const gitSha1 = createHash('sha1').update(`blob ${configBytes.length}\0`).update(configBytes).digest('hex');
    expect(config.oid).toBe(gitSha1);
    expect(config.lfs).toBeUndefined();
  });

  it('listFiles of a sub folder, not recursive', async () => {
    const entries = await collect(listFiles({ repo: 'mistudio-demo/tiny-gpt2', hubUrl: hub.url, path: 'tokenizer' }));
    expect(entries.map((e) => e.path)).toEqual(['tokenizer/vocab.txt']);
  });

  it('pathsInfo with expand returns lastCommit', async () => {
    const [info] = await pathsInfo({ repo: 'mistudio-demo/tiny-sae', hubUrl: hub.url, paths: ['sae_weights.safetensors'], expand: true, revision: 'main' });
    expect(info?.lfs?.size).toBeGreaterThan(0);
    // The weights did not change between v1.0 and main: the last commit touching them is v1.0's.
    expect(info?.lastCommit.id).toBe(hub.commitSha('model', 'mistudio-demo/tiny-sae', 'v1.0'));
  });

  it('whoAmI reads the user behind a token', async () => {
    const me = await whoAmI({ hubUrl: hub.url, accessToken: GOOD_TOKEN });
    expect(me.type).toBe('user');
    expect(me.name).toBe('alice');
    expect(me.auth.accessToken?.role).toBe('read');
    await expect(whoAmI({ hubUrl: hub.url, accessToken: 'hf_not_a_known_token' })).rejects.toMatchObject({ statusCode: 401 });
  });

  it('listModels and listDatasets search, sort and limit', async () => {
    const models = await collect(listModels({ hubUrl: hub.url, search: { query: 'mistudio-demo' }, sort: 'downloads', limit: 10 }));
    expect(models.map((m) => m.name)).toEqual(['mistudio-demo/tiny-gpt2', 'mistudio-demo/gated-model', 'mistudio-demo/tiny-sae']);
    expect(models[1]?.gated).toBe('manual');
    const limited = await collect(listModels({ hubUrl: hub.url, search: { owner: 'mistudio-demo' }, sort: 'likes', limit: 2 }));
    expect(limited.map((m) => m.likes)).toEqual([67, 42]);
    const datasets = await collect(listDatasets({ hubUrl: hub.url, search: { query: 'tiny' }, sort: 'downloads' }));
    expect(datasets.map((d) => d.name)).toEqual(['mistudio-demo/tiny-stories', 'mistudio-demo/tiny-glue']);
  });

  it('fileDownloadInfo follows the redirect to the CDN for LFS files', async () => {
    const info = await fileDownloadInfo({ repo: 'mistudio-demo/tiny-gpt2', path: 'model.safetensors', hubUrl: hub.url });
    expect(info?.size).toBeGreaterThan(100_000);
    expect(await fileDownloadInfo({ repo: 'mistudio-demo/tiny-gpt2', path: 'nope.bin', hubUrl: hub.url })).toBeNull();
  });

  it('parseSafetensorsMetadata reads the demo header', async () => {
    const parsed = await parseSafetensorsMetadata({ repo: 'mistudio-demo/tiny-gpt2', hubUrl: hub.url, computeParametersCount: true });
    expect(parsed.sharded).toBe(false);
    expect(parsed.parameterCount).toEqual({ F32: 42_752, BF16: 98_304 });
  });

  it('snapshotDownload fills a cache that scanCacheDir reads without warnings', async () => {
    const { dir, cleanup } = tempDir('mistudio-fakehub-');
    try {
      const snapshot = await snapshotDownload({ repo: 'mistudio-demo/tiny-gpt2', hubUrl: hub.url, cacheDir: dir });
      const sha = hub.commitSha('model', 'mistudio-demo/tiny-gpt2', 'main');
      expect(snapshot).toBe(path.join(dir, 'models--mistudio-demo--tiny-gpt2', 'snapshots', sha));
      expect(fs.readFileSync(path.join(snapshot, 'tokenizer', 'vocab.txt'), 'utf8')).toContain('tok63');
      expect(fs.existsSync(path.join(snapshot, 'special tokens map.json'))).toBe(true);
      await snapshotDownload({ repo: 'datasets/mistudio-demo/tiny-stories', hubUrl: hub.url, cacheDir: dir });
      const scan = await scanCacheDir(dir);
      expect(scan.warnings).toEqual([]);
      const model = scan.repos.find((r) => r.id.name === 'mistudio-demo/tiny-gpt2');
      expect(model?.revisions[0]?.refs).toEqual(['main']);
      expect(model?.revisions[0]?.commitOid).toBe(sha);
      expect(scan.repos.find((r) => r.id.type === 'dataset')?.id.name).toBe('mistudio-demo/tiny-stories');
    } finally {
      cleanup();
    }
  });

  it('a gated download with an authorised token never sends the token to the CDN origin', async () => {
    const { dir, cleanup } = tempDir('mistudio-fakehub-');
    try {
      hub.resetStats();
      await snapshotDownload({ repo: 'mistudio-demo/gated-model', hubUrl: hub.url, cacheDir: dir, accessToken: GATED_TOKEN });
      const cdn = hub.requests.filter((r) => r.server === 'cdn');
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((r) => r.headers['authorization'] === undefined)).toBe(true);
      expect(hub.requests.some((r) => r.server === 'hub' && r.headers['authorization'] === `Bearer ${GATED_TOKEN}`)).toBe(true);
    } finally {
      cleanup();
    }
  });
});
