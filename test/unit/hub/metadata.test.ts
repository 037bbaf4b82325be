import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../../src/core/hub';
import type { RepoRef } from '../../../src/core/repo';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { buildSafetensors } from '../../fake-hub/safetensors';

const SHARDED: FakeRepo = {
  kind: 'model',
  id: 'acme/sharded',
  commits: [
    {
      files: [
        { path: 'config.json', content: JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], num_hidden_layers: 4, hidden_size: 16 }) },
        {
          path: 'model.safetensors.index.json',
          content: JSON.stringify({
            metadata: { total_size: 0 },
            weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors', 'c.weight': 'model-00002-of-00002.safetensors' },
          }),
        },
        { path: 'model-00001-of-00002.safetensors', content: buildSafetensors([{ name: 'a.weight', dtype: 'BF16', shape: [16, 16] }], {}, 1) },
        {
          path: 'model-00002-of-00002.safetensors',
          content: buildSafetensors([{ name: 'b.weight', dtype: 'BF16', shape: [16, 8] }, { name: 'c.weight', dtype: 'F32', shape: [10] }], {}, 2),
        },
      ],
    },
  ],
};
const BROKEN: FakeRepo = {
  kind: 'model',
  id: 'acme/broken',
  commits: [{ files: [{ path: 'config.json', content: '{ not json' }, { path: 'model.safetensors', content: Buffer.from('definitely not safetensors') }] }],
};

let hub: FakeHub;
beforeAll(async () => {
  hub = await startFakeHub({ repos: [...demoRepos(), SHARDED, BROKEN] });
});
afterEach(() => {
  hub.setFaults([]);
});
afterAll(async () => {
  await hub.close();
});

async function metadataOf(ref: RepoRef) {
  const c = new HubClient({ endpoint: hub.url });
  const info = await c.repoInfo(ref, 'main');
  const files = await c.listFiles(ref, info.commit);
  return { meta: await c.readMetadata(ref, info.commit, files, info), files };
}

describe('readMetadata', () => {
  it('tiny-gpt2: config facts, exact parameter counts per dtype, memory, card facts', async () => {
    const { meta, files } = await metadataOf({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
    // 512x64 + 128x64 embeddings, per layer 6 F32 vectors (64+64+192+64+64+64+256+64 = 832) and 4 BF16 matrices, final norm.
    const f32 = 512 * 64 + 128 * 64 + 2 * (64 + 64 + 192 + 64 + 64 + 64 + 256 + 64) + 64 + 64;
    const bf16 = 2 * (64 * 192 + 64 * 64 + 64 * 256 + 256 * 64);
    expect(meta.model).toEqual({
      modelType: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      numLayers: 2,
      hiddenSize: 64,
      parameters: { total: f32 + bf16, byDtype: { F32: f32, BF16: bf16 } },
      memory: { fp32: (f32 + bf16) * 4, bf16: (f32 + bf16) * 2, int8: f32 + bf16, int4: (f32 + bf16) / 2 },
    });
    expect(meta).toMatchObject({ license: 'mit', gated: false, private: false, pipelineTag: 'text-generation', downloads: 12_345, likes: 67, lastModified: '2024-06-01T09:30:00.000Z' });
    expect(meta.totalSize).toBe(files.reduce((s, f) => s + f.size, 0));
    expect(meta.dataset).toBeUndefined();
  });

  it('sharded checkpoints: counts summed over the shards of the index', async () => {
    const { meta } = await metadataOf({ kind: 'model', repoId: 'acme/sharded' });
    expect(meta.model?.parameters).toEqual({ total: 256 + 128 + 10, byDtype: { BF16: 256 + 128, F32: 10 } });
    expect(meta.model).toMatchObject({ modelType: 'llama', numLayers: 4, hiddenSize: 16 });
  });

  it('tiny-stories: configs and splits from the card', async () => {
    const { meta } = await metadataOf({ kind: 'dataset', repoId: 'mistudio-demo/tiny-stories' });
    expect(meta.dataset?.configs).toEqual([
      {
        name: 'default',
        splits: [
          { name: 'train', files: ['data/train-00000-of-00001.parquet'] },
          { name: 'test', files: ['data/test-00000-of-00001.parquet'] },
        ],
      },
    ]);
    expect(meta.license).toBe('cdla-sharing-1.0');
    expect(meta.model).toBeUndefined();
  });

  it('tiny-glue: two configs inferred from {config}/{split}-… names', async () => {
    const { meta } = await metadataOf({ kind: 'dataset', repoId: 'mistudio-demo/tiny-glue' });
    expect(meta.dataset?.configs?.map((c) => [c.name, c.splits.map((s) => s.name)])).toEqual([
      ['cola', ['train', 'validation', 'test']],
      ['sst2', ['train', 'validation']],
    ]);
    expect(meta.license).toBe('cc-by-4.0');
  });

  it('gated without access: what is public, no failure', async () => {
    const { meta } = await metadataOf({ kind: 'model', repoId: 'mistudio-demo/gated-model' });
    expect(meta).toMatchObject({ gated: 'manual', license: 'llama3.1', likes: 42 });
    expect(meta.model?.parameters).toBeUndefined();
    expect(meta.model?.modelType).toBeUndefined();
  });

  it('tiny-sae: several safetensors files give no parameter count', async () => {
    const { meta } = await metadataOf({ kind: 'model', repoId: 'mistudio-demo/tiny-sae' });
    expect(meta.model?.parameters).toBeUndefined();
    expect(meta.license).toBe('apache-2.0');
  });

  it('broken files and server errors leave fields out instead of failing', async () => {
    const { meta } = await metadataOf({ kind: 'model', repoId: 'acme/broken' });
    expect(meta.model).toEqual({});
    expect(meta.totalSize).toBeGreaterThan(0);
    hub.setFaults([{ kind: 'status', status: 500, match: { path: 'config.json' } }]);
    const { meta: partial } = await metadataOf({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
    expect(partial.model?.modelType).toBeUndefined();
    expect(partial.model?.parameters?.total).toBe(141_056);
  });
});
