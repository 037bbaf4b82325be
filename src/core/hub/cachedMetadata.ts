import type { HfCache } from '../cache';
import type { RepoMetadata } from '../metadata';
import type { RepoRef } from '../repo';
import { readModelFacts, snapshotSource } from './modelFacts';
import { datasetMetadata } from './repoMetadata';
import type { ListedFile, RepoInfo } from './types';

/**
 * What `HubClient.readMetadata` reads from the Hub, read from the cached snapshot instead (offline, or a repo adopted
 * from the cache): the model's config.json and its safetensors headers (the shards an index names), the dataset's
 * layout. Only what the files tell: the Hub's own facts (license, likes, gating) are not in the cache and stay as the
 * entry last had them. Best effort: a file that is missing or malformed leaves its facts unknown.
 */
export async function readCachedMetadata(cache: HfCache, ref: RepoRef, commit: string, files: readonly ListedFile[], info: RepoInfo, signal?: AbortSignal): Promise<RepoMetadata> {
  const base: RepoMetadata = { totalSize: files.reduce((sum, f) => sum + f.size, 0) };
  if (ref.kind === 'dataset') return { ...base, dataset: datasetMetadata(info, files) };
  return { ...base, model: await readModelFacts(snapshotSource(cache.snapshotDir(ref, commit)), files, signal) };
}
