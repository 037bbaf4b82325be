export { resolveCacheRoot, repoFolderName, parseRepoFolderName, safeRepoPath, validateBlobId, validateCommit, isBlobId, LAYOUT } from './paths';
export type { CacheRootOptions } from './paths';
export { HfCache } from './hfCache';
export type { HfCacheOptions, LinkFs, Materialization, SnapshotFileSpec } from './hfCache';
export { scanCache } from './scan';
export type { CacheScan, CachedRepo, CachedRevision, CachedFile } from './scan';
export { planRevisionDelete, deleteRevision, finishInterruptedDeletes } from './cleanup';
export type { CleanupPlan, CleanupOptions } from './cleanup';
export { freeSpace } from './freeSpace';
