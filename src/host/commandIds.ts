/** Every command the extension registers; package.json contributes each one (a unit test keeps them in step). */
export const COMMANDS = {
  downloadModel: 'mistudio.downloadModel',
  downloadDataset: 'mistudio.downloadDataset',
  cancelDownload: 'mistudio.cancelDownload',
  pauseDownload: 'mistudio.pauseDownload',
  resumeDownload: 'mistudio.resumeDownload',
  retry: 'mistudio.retry',
  redownload: 'mistudio.redownload',
  delete: 'mistudio.delete',
  revealInExplorer: 'mistudio.revealInExplorer',
  openFolderInNewWindow: 'mistudio.openFolderInNewWindow',
  copyRepoId: 'mistudio.copyRepoId',
  copyLocalPath: 'mistudio.copyLocalPath',
  copyPythonSnippet: 'mistudio.copyPythonSnippet',
  openOnHub: 'mistudio.openOnHub',
  requestAccess: 'mistudio.requestAccess',
  refresh: 'mistudio.refresh',
  searchCatalog: 'mistudio.searchCatalog',
  signIn: 'mistudio.signIn',
  signOut: 'mistudio.signOut',
  showLog: 'mistudio.showLog',
  openPanel: 'mistudio.openPanel',
  refreshCache: 'mistudio.cache.refresh',
  filterCache: 'mistudio.cache.filter',
  clearCacheFilter: 'mistudio.cache.clearFilter',
  sortCache: 'mistudio.cache.sort',
  addToCatalog: 'mistudio.cache.addToCatalog',
  deleteRevisionFromDisk: 'mistudio.cache.deleteRevision',
  deleteRepoFromDisk: 'mistudio.cache.deleteRepo',
  pruneCache: 'mistudio.cache.prune',
  verifyRevision: 'mistudio.cache.verify',
  revealCachedRevision: 'mistudio.cache.reveal',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEW_IDS = { models: 'mistudio.models', datasets: 'mistudio.datasets', cache: 'mistudio.cache' } as const;

/** Not contributed (absent from the palette): integration tests read the views' rows through it. */
export const TREE_PROBE_COMMAND = 'mistudio.views.probe';
