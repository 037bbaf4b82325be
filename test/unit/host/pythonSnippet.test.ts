import { describe, expect, it } from 'vitest';
import { pythonSnippet } from '../../../src/host/pythonSnippet';
import { makeEntry } from './fixtures';

describe('pythonSnippet', () => {
  it('uses AutoModel for a transformers model', () => {
    expect(pythonSnippet(makeEntry({ metadata: { model: { modelType: 'gpt2' } } }))).toBe(
      'from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("org/tiny-gpt2")\n',
    );
  });

  it('uses snapshot_download for a model repo without a transformers config (an SAE)', () => {
    expect(pythonSnippet(makeEntry({ repoId: 'org/sae', metadata: {} }))).toBe('from huggingface_hub import snapshot_download\n\npath = snapshot_download("org/sae")\n');
  });

  it('uses load_dataset for a dataset and passes a non-main revision', () => {
    expect(pythonSnippet(makeEntry({ kind: 'dataset', repoId: 'org/data', revision: 'v1.0' }))).toBe(
      'from datasets import load_dataset\n\ndataset = load_dataset("org/data", revision="v1.0")\n',
    );
  });

  it('points Python at a custom cache folder before any Hugging Face import', () => {
    const snippet = pythonSnippet(makeEntry({ metadata: { model: { modelType: 'gpt2' } } }), { cacheDir: '/data/my "hf"' });
    expect(snippet.startsWith('import os\n\nos.environ["HF_HUB_CACHE"] = "/data/my \\"hf\\""\n\nfrom transformers')).toBe(true);
  });
});
