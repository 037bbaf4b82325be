import { MAX_SPLIT_FILES, type DatasetConfig, type DatasetMetadata, type RepoMetadata } from '../metadata';
import { configsFromCard, inferConfigs } from './datasetLayout';
import type { ListedFile, RepoInfo } from './types';

/** What the repo's info and listing say of any repo, before a model's config or a dataset's layout is read. */
export function baseMetadata(info: RepoInfo, files: readonly ListedFile[]): RepoMetadata {
  return {
    gated: info.gated,
    private: info.private,
    downloads: info.downloads,
    likes: info.likes,
    totalSize: files.reduce((sum, f) => sum + f.size, 0),
    ...(info.license ? { license: info.license } : {}),
    ...(info.pipelineTag ? { pipelineTag: info.pipelineTag } : {}),
    ...(info.lastModified ? { lastModified: info.lastModified } : {}),
  };
}

/** A dataset's configs and splits: from its card when it declares them, else from its file layout. */
export function datasetMetadata(info: RepoInfo, files: readonly ListedFile[]): DatasetMetadata {
  const paths = files.map((f) => f.path);
  const configs = (configsFromCard(info.cardData, paths) ?? inferConfigs(paths)).map(compactConfig);
  return configs.length > 0 ? { configs } : {};
}

/** Splits with more than MAX_SPLIT_FILES files keep the first of them and their count. */
function compactConfig(config: DatasetConfig): DatasetConfig {
  if (config.splits.every((s) => s.files.length <= MAX_SPLIT_FILES)) return config;
  return {
    ...config,
    splits: config.splits.map((s) => (s.files.length <= MAX_SPLIT_FILES ? s : { name: s.name, files: s.files.slice(0, MAX_SPLIT_FILES), fileCount: s.files.length })),
  };
}
