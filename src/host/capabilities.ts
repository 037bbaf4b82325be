import type { CatalogEntry, EntryFile } from '../core/catalog';

/**
 * What a user can do with a catalog entry, derived from its status alone. The same set drives the tree's
 * `contextValue` (menus match it with regex `when` clauses), the palette's entry pickers (Cancel Download lists only
 * what can be cancelled) and the commands' own checks, so a menu never offers what the command would refuse.
 */
export type Capability =
  | 'canCancel'
  | 'canPause'
  | 'canResume'
  | 'canRetry'
  | 'canRedownload'
  | 'canDelete'
  | 'canReveal'
  | 'canOpenFolder'
  | 'canCopyPath'
  | 'canCopyId'
  | 'canCopySnippet'
  | 'canOpenOnHub'
  | 'canSignIn'
  | 'canRequestAccess';

export const ALL_CAPABILITIES: readonly Capability[] = [
  'canCancel',
  'canPause',
  'canResume',
  'canRetry',
  'canRedownload',
  'canDelete',
  'canReveal',
  'canOpenFolder',
  'canCopyPath',
  'canCopyId',
  'canCopySnippet',
  'canOpenOnHub',
  'canSignIn',
  'canRequestAccess',
];

type EntryFacts = Pick<CatalogEntry, 'status' | 'snapshotPath' | 'errorCode'>;

export function entryCapabilities(entry: EntryFacts): ReadonlySet<Capability> {
  const caps = new Set<Capability>(['canCopyId', 'canCopySnippet', 'canOpenOnHub']);
  const onDisk = entry.snapshotPath !== null;
  switch (entry.status) {
    case 'queued':
    case 'downloading':
      caps.add('canCancel').add('canPause');
      break;
    case 'paused':
      caps.add('canResume').add('canCancel').add('canDelete');
      break;
    case 'ready':
      caps.add('canDelete');
      if (onDisk) caps.add('canReveal').add('canOpenFolder').add('canCopyPath');
      break;
    case 'error':
      caps.add('canRetry').add('canDelete');
      if (entry.errorCode === 'Gated') caps.add('canSignIn').add('canRequestAccess');
      if (entry.errorCode === 'Unauthorized' || entry.errorCode === 'RepoNotFound') caps.add('canSignIn');
      break;
    case 'cancelled':
      caps.add('canRetry').add('canDelete');
      break;
    case 'missing':
      caps.add('canRedownload').add('canDelete');
      break;
  }
  return caps;
}

/** "mistudio.entry;kind:model;status:ready;canDelete;…": the `viewItem` that menus match. */
export function entryContextValue(entry: EntryFacts & Pick<CatalogEntry, 'kind'>): string {
  const caps = entryCapabilities(entry);
  return ['mistudio.entry', `kind:${entry.kind}`, `status:${entry.status}`, ...ALL_CAPABILITIES.filter((c) => caps.has(c))].join(';');
}

/** A file can be revealed or copied only once it is verified and its entry has a snapshot folder. */
export function fileContextValue(entry: Pick<CatalogEntry, 'snapshotPath'>, file: Pick<EntryFile, 'state'>): string {
  const tokens = ['mistudio.file', `state:${file.state}`];
  if (file.state === 'verified' && entry.snapshotPath !== null) tokens.push('canReveal', 'canCopyPath');
  return tokens.join(';');
}

/** The `when` clause that matches one capability token in a `viewItem`. */
export function whenCapability(capability: Capability | 'canReveal' | 'canCopyPath', itemType: 'entry' | 'file' = 'entry'): string {
  return `viewItem =~ /^mistudio[.]${itemType};(.*;)?${capability}(;|$)/`;
}
