import { describe, expect, it } from 'vitest';
import { configsFromCard, inferConfigs } from '../../../src/core/hub/datasetLayout';
import { configFacts, memoryEstimate, parameterCount, pickSafetensorsPath } from '../../../src/core/hub/modelMetadata';
import { datasetMetadata } from '../../../src/core/hub/repoMetadata';
import type { RepoFile } from '../../../src/core/hub';

const file = (path: string): RepoFile => ({ path, size: 1, oid: 'x' });

describe('configFacts', () => {
  it('reads the common key spellings', () => {
    expect(configFacts({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 12, n_embd: 768 })).toEqual({
      modelType: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      numLayers: 12,
      hiddenSize: 768,
    });
    expect(configFacts({ model_type: 't5', num_layers: 6, d_model: 512 })).toMatchObject({ numLayers: 6, hiddenSize: 512 });
    expect(configFacts({ model_type: 'llama', num_hidden_layers: 32, hidden_size: 4096 })).toMatchObject({ numLayers: 32, hiddenSize: 4096 });
    expect(configFacts({ model_type: 'llava', text_config: { num_hidden_layers: 40, hidden_size: 5120 } })).toMatchObject({ numLayers: 40, hiddenSize: 5120 });
    expect(configFacts('nonsense')).toEqual({});
    expect(configFacts({ n_layer: 'twelve' })).toEqual({});
  });
});

describe('pickSafetensorsPath', () => {
  it('prefers the root index, then the root file, then any index, then a lone file', () => {
    expect(pickSafetensorsPath([file('model-00001-of-00002.safetensors'), file('model.safetensors.index.json')])).toBe('model.safetensors.index.json');
    expect(pickSafetensorsPath([file('model.safetensors'), file('x/model.safetensors.index.json')])).toBe('model.safetensors');
    expect(pickSafetensorsPath([file('a/b/m.safetensors.index.json'), file('a/m.safetensors.index.json')])).toBe('a/m.safetensors.index.json');
    expect(pickSafetensorsPath([file('sae/weights.safetensors')])).toBe('sae/weights.safetensors');
    expect(pickSafetensorsPath([file('a.safetensors'), file('b.safetensors')])).toBeUndefined();
    expect(pickSafetensorsPath([file('pytorch_model.bin')])).toBeUndefined();
  });
});

describe('parameter counts and memory', () => {
  it('sums dtypes and estimates weights memory per precision', () => {
    expect(parameterCount({ F32: 10, BF16: 30, I8: undefined })).toEqual({ total: 40, byDtype: { F32: 10, BF16: 30 } });
    expect(parameterCount({})).toBeUndefined();
    expect(memoryEstimate(41)).toEqual({ fp32: 164, bf16: 82, int8: 41, int4: 21 });
  });
});

describe('dataset configs from the card', () => {
  const files = ['README.md', 'data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet', 'data/test-00000-of-00001.parquet', 'extra/x.csv'];

  it('resolves data_files globs per split', () => {
    const card = { configs: [{ config_name: 'default', data_files: [{ split: 'train', path: 'data/train-*' }, { split: 'test', path: ['data/test-*'] }] }] };
    expect(configsFromCard(card, files)).toEqual([
      {
        name: 'default',
        splits: [
          { name: 'train', files: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'] },
          { name: 'test', files: ['data/test-00000-of-00001.parquet'] },
        ],
      },
    ]);
  });

  it('accepts a plain string or list (one train split), a split map and data_dir', () => {
    expect(configsFromCard({ configs: [{ config_name: 'x', data_files: 'extra/*.csv' }] }, files)).toEqual([{ name: 'x', splits: [{ name: 'train', files: ['extra/x.csv'] }] }]);
    expect(configsFromCard({ configs: [{ config_name: 'y', data_files: { test: 'data/test-*' } }] }, files)).toEqual([
      { name: 'y', splits: [{ name: 'test', files: ['data/test-00000-of-00001.parquet'] }] },
    ]);
    expect(configsFromCard({ configs: [{ config_name: 'z', data_dir: 'data' }] }, files)?.[0]?.splits.map((s) => s.name)).toEqual(['train', 'test']);
    expect(configsFromCard({ configs: [{ config_name: 'w', data_dir: 'data', data_files: [{ split: 'train', path: 'train-*' }] }] }, files)?.[0]?.splits[0]?.files).toHaveLength(2);
  });

  it('data_files globs: `*` stays in its folder, `**` crosses folders', () => {
    const nested = [...files, 'data/more/train-00002-of-00002.parquet'];
    const split = (path: string): readonly string[] | undefined => configsFromCard({ configs: [{ config_name: 'n', data_files: path }] }, nested)?.[0]?.splits[0]?.files;
    expect(split('data/train-*')).toEqual(['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet']);
    expect(split('data/**/train-*')).toEqual(['data/more/train-00002-of-00002.parquet', 'data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet']);
  });

  it('is undefined when the card declares no configs', () => {
    expect(configsFromCard({ license: 'mit' }, files)).toBeUndefined();
    expect(configsFromCard(undefined, files)).toBeUndefined();
  });
});

describe('dataset configs inferred from file names', () => {
  it('finds {split}-xxxxx-of-xxxxx files, data/{split}/ folders and {config}/{split}- files', () => {
    expect(inferConfigs(['README.md', 'data/train-00000-of-00001.parquet', 'data/validation-00000-of-00001.parquet'])).toEqual([
      { name: 'default', splits: [{ name: 'train', files: ['data/train-00000-of-00001.parquet'] }, { name: 'validation', files: ['data/validation-00000-of-00001.parquet'] }] },
    ]);
    expect(inferConfigs(['data/train/0000.parquet', 'data/test/0000.parquet', 'data/dev/0000.parquet'])[0]?.splits.map((s) => s.name)).toEqual(['train', 'validation', 'test']);
    expect(inferConfigs(['sst2/train-00000-of-00001.parquet', 'cola/test-00000-of-00001.parquet', 'cola/train-00000-of-00001.parquet']).map((c) => [c.name, c.splits.map((s) => s.name)])).toEqual([
      ['cola', ['train', 'test']],
      ['sst2', ['train']],
    ]);
  });

  it('puts everything in train when no file names a split, and ignores non-data files', () => {
    expect(inferConfigs(['README.md', '.gitattributes', 'stories.jsonl', 'more/stories2.jsonl', 'loader.py'])).toEqual([
      { name: 'default', splits: [{ name: 'train', files: ['more/stories2.jsonl', 'stories.jsonl'] }] },
    ]);
    expect(inferConfigs(['README.md'])).toEqual([]);
  });

  it('a 100k-file dataset is laid out in linear time (copying the split list per file took minutes)', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `d${i % 100}/part-${i}.txt`);
    const started = performance.now();
    const configs = inferConfigs(names);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(configs.flatMap((c) => c.splits.map((s) => s.files.length)).reduce((a, b) => a + b, 0)).toBe(100_000);
  });

  it('an entry keeps the first 1000 files of a split and its count, not every name of a 100k-file dataset', () => {
    const files = Array.from({ length: 2_500 }, (_, i) => file(`data/train-${String(i).padStart(5, '0')}.parquet`)).concat([file('data/test-0.parquet')]);
    const info = { ref: { kind: 'dataset', repoId: 'a/b' }, commit: 'c'.repeat(40), gated: false, private: false, downloads: 0, likes: 0, tags: [] } as const;
    const splits = datasetMetadata(info, files).configs?.[0]?.splits;
    expect(splits?.map((s) => [s.name, s.files.length, s.fileCount])).toEqual([
      ['train', 1000, 2500],
      ['test', 1, undefined],
    ]);
    expect(splits?.[0]?.files[999]).toBe('data/train-00999.parquet');
  });
});
