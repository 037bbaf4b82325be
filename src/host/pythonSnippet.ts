import type { CatalogEntry } from '../core/catalog';

export interface SnippetOptions {
  /** Set when the cache is not where huggingface_hub looks by default, so Python is told where it is. */
  readonly cacheDir?: string;
}

/**
 * Python that loads the entry from the shared cache: transformers' AutoModel for models with a transformers config,
 * huggingface_hub's snapshot_download for other model repos (SAEs, raw checkpoints), datasets' load_dataset for
 * datasets. A non-main revision is passed along; a custom cache folder goes into HF_HUB_CACHE before any Hugging Face
 * import, the one place every library (transformers, datasets, SAELens, TransformerLens) reads it from.
 */
export function pythonSnippet(entry: Pick<CatalogEntry, 'kind' | 'repoId' | 'revision' | 'metadata'>, options: SnippetOptions = {}): string {
  const args = [pyString(entry.repoId)];
  if (entry.revision !== 'main') args.push(`revision=${pyString(entry.revision)}`);
  const call = args.join(', ');
  const prelude = options.cacheDir ? `import os\n\nos.environ["HF_HUB_CACHE"] = ${pyString(options.cacheDir)}\n\n` : '';
  if (entry.kind === 'dataset') {
    return `${prelude}from datasets import load_dataset\n\ndataset = load_dataset(${call})\n`;
  }
  if (entry.metadata.model?.modelType || entry.metadata.model?.architectures?.length) {
    return `${prelude}from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained(${call})\n`;
  }
  return `${prelude}from huggingface_hub import snapshot_download\n\npath = snapshot_download(${call})\n`;
}

/** A Python string literal (JSON's escaping is valid Python for any text). */
function pyString(text: string): string {
  return JSON.stringify(text);
}
