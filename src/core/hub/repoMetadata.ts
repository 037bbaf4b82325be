import type { DatasetMetadata, RepoMetadata } from '../metadata';
import { configsFromCard, inferConfigs } from './datasetLayout';
import type { RepoFile, RepoInfo } from './types';

/** What the repo's info and listing say of any repo, before a model's config or a dataset's layout is read. */
export function baseMetadata(info: RepoInfo, files: readonly RepoFile[]): RepoMetadata {
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
export function datasetMetadata(info: RepoInfo, files: readonly RepoFile[]): DatasetMetadata {
  const paths = files.map((f) => f.path);
  const configs = configsFromCard(info.cardData, paths) ?? inferConfigs(paths);
  return configs.length > 0 ? { configs } : {};
}
