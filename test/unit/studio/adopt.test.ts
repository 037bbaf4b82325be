import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { DEMO_ORG, demoRepos } from '../../fake-hub/demo';
import type { FakeRepo } from '../../fake-hub/index';
import { buildSafetensors } from '../../fake-hub/safetensors';
import { repoFolder, startEnv, wasmPath, type StudioEnv } from './helpers';

const GPT2 = `${DEMO_ORG}/tiny-gpt2`;
const SHARDED: FakeRepo = {
  kind: 'model',
  id: 'test/sharded-model',
  commits: [
    {
      files: [
        { path: 'config.json', content: '{"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 16}\n' },
        {
          path: 'model.safetensors.index.json',
          content: JSON.stringify({ metadata: {}, weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' } }),
        },
        { path: 'model-00001-of-00002.safetensors', content: buildSafetensors([{ name: 'a.weight', dtype: 'BF16', shape: [16, 16] }], {}, 3) },
        { path: 'model-00002-of-00002.safetensors', content: buildSafetensors([{ name: 'b.weight', dtype: 'F32', shape: [16, 4] }], {}, 4) },
      ],
    },
  ],
};
const DATASET: FakeRepo = {
  kind: 'dataset',
  id: 'test/adopted-data',
  commits: [{ files: [{ path: 'data/train-00000-of-00001.parquet', content: 'PAR1 train' }, { path: 'data/test-00000-of-00001.parquet', content: 'PAR1 test' }] }],
};

/**
 * Add to Catalog: a revision another tool downloaded becomes a ready entry with no request, its metadata read from
 * its files — the same facts a download from the Hub records.
 */
describe('adopting what the cache already holds', () => {
  let env: StudioEnv;
  let downloader: StudioApi | undefined;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [...demoRepos(), SHARDED, DATASET] } });
  });
  afterEach(async () => {
    await downloader?.close();
    downloader = undefined;
    await env.dispose();
  });

  /** Another tool's download: a Studio on its own catalog, as huggingface_hub would leave the cache. */
  async function downloadElsewhere(kind: 'model' | 'dataset', repoId: string, revision = 'main'): Promise<StudioApi> {
    downloader ??= await openStudio({ catalogFile: path.join(env.dir, 'elsewhere', 'catalog.sqlite'), wasmPath, cacheRoot: env.cacheRoot, endpoint: env.hub.url });
    const entry = await downloader.whenSettled((await downloader.enqueue({ kind, repoId, revision })).id);
    expect(entry.status).toBe('ready');
    return downloader;
  }

  for (const repoId of [GPT2, SHARDED.id]) {
    it(`makes ${repoId} a ready entry without a request, with the metadata a Hub download records`, async () => {
      const other = await downloadElsewhere('model', repoId);
      const theirs = other.catalog.findEntry('model', repoId)!;
      env.hub.resetStats();

      const entry = await env.studio.adopt({ kind: 'model', repoId });
      expect(env.hub.requests).toEqual([]);
      expect(entry).toMatchObject({ status: 'ready', commit: theirs.commit, fileCount: theirs.fileCount, bytesTotal: theirs.bytesTotal, snapshotPath: theirs.snapshotPath });
      expect(env.studio.files(entry.id).map((f) => [f.path, f.blobId, f.state])).toEqual(other.files(theirs.id).map((f) => [f.path, f.blobId, 'verified']));
      expect(entry.metadata.model).toEqual(theirs.metadata.model);
      expect(entry.metadata.model?.parameters?.total).toBeGreaterThan(0);
      expect(entry.metadata.totalSize).toBe(theirs.metadata.totalSize);
    });
  }

  it('adopts a dataset and a detached revision named by its commit', async () => {
    await downloadElsewhere('dataset', DATASET.id);
    const commit = env.hub.commitSha('dataset', DATASET.id, 'main');
    fs.rmSync(path.join(repoFolder(env.cacheRoot, 'dataset', DATASET.id), 'refs'), { recursive: true });
    env.hub.resetStats();
    const entry = await env.studio.adopt({ kind: 'dataset', repoId: DATASET.id, revision: commit });
    expect(env.hub.requests).toEqual([]);
    expect(entry).toMatchObject({ status: 'ready', revision: commit, commit, fileCount: 2 });
    expect(entry.metadata.dataset?.configs?.[0]?.splits?.map((s) => s.name).sort()).toEqual(['test', 'train']);
  });

  it('refuses what the cache does not hold, before any entry is made', async () => {
    await expect(env.studio.adopt({ kind: 'model', repoId: SHARDED.id })).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringMatching(/not in the cache/) });
    expect(env.studio.catalog.listEntries()).toEqual([]);
    expect(env.hub.requests).toEqual([]);
  });

  it('a damaged file ends the adoption in an error naming it, never ready, and still without a request', async () => {
    await downloadElsewhere('model', SHARDED.id);
    const blobs = path.join(repoFolder(env.cacheRoot, 'model', SHARDED.id), 'blobs');
    const biggest = fs.readdirSync(blobs).map((n) => path.join(blobs, n)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
    fs.truncateSync(biggest, 100);
    env.hub.resetStats();
    const entry = await env.studio.adopt({ kind: 'model', repoId: SHARDED.id });
    expect(entry.status).toBe('error');
    expect(entry.errorCode).toBe('ChecksumMismatch');
    expect(entry.errorMessage).toMatch(/^model-0000[12]-of-00002\.safetensors of test\/sharded-model is damaged in the cache/);
    expect(env.hub.requests).toEqual([]);
  });
});
