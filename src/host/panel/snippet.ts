import type { CatalogEntry } from '../../core/catalog/types';

/**
 * Python that loads the entry from the shared cache, offline, at the exact commit the catalog recorded. Repo ids and
 * revisions are validated (letters, digits, `-_./`), and every literal goes through JSON string quoting, which Python
 * reads the same way for these characters, so nothing in the entry can break out of a string.
 */
export function pythonSnippet(entry: Pick<CatalogEntry, 'kind' | 'repoId' | 'revision' | 'commit'>, cacheRoot: string): string {
  const repo = JSON.stringify(entry.repoId);
  const revision = JSON.stringify(entry.commit ?? entry.revision);
  const cache = JSON.stringify(cacheRoot);
  const header = `# ${entry.repoId} @ ${entry.revision}${entry.commit ? ` (${entry.commit.slice(0, 8)})` : ''}, from the shared Hugging Face cache`;
  if (entry.kind === 'model') {
    return [
      header,
      'from transformers import AutoModel, AutoTokenizer',
      '',
      `model = AutoModel.from_pretrained(${repo}, revision=${revision}, cache_dir=${cache}, local_files_only=True)`,
      `tokenizer = AutoTokenizer.from_pretrained(${repo}, revision=${revision}, cache_dir=${cache}, local_files_only=True)`,
      '',
    ].join('\n');
  }
  return [
    header,
    'from datasets import load_dataset',
    'from huggingface_hub import snapshot_download',
    '',
    `path = snapshot_download(${repo}, repo_type="dataset", revision=${revision}, cache_dir=${cache}, local_files_only=True)`,
    'dataset = load_dataset(path)',
    '',
  ].join('\n');
}
