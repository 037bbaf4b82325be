export { HubClient, offlineError } from './client';
export { resolveEndpoint, DEFAULT_HUB_ENDPOINT } from './endpoint';
export { resolveToken, tokenFilePath } from './token';
export type { TokenOptions } from './token';
export { validateRepoFilePath } from './repoPath';
export type { Gating, HubClientOptions, ListedFile, HubSearchResult, HubUser, RepoFile, RepoInfo, SearchOptions } from './types';
export { isOfflineEnv } from './offline';
export { readCachedMetadata } from './cachedMetadata';
export { snapshotSource, type FileSource } from './modelFacts';
