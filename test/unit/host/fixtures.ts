import type { CatalogEntry, EntryFile, EntryStatus } from '../../../src/core/catalog';

/** A catalog entry as the engine would hold it; override what a test cares about. */
export function makeEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id: 'e1',
    kind: 'model',
    repoId: 'org/tiny-gpt2',
    displayName: 'org/tiny-gpt2',
    revision: 'main',
    commit: 'a'.repeat(40),
    status: 'ready',
    bytesDone: 1_200_000,
    bytesTotal: 1_200_000,
    fileCount: 3,
    snapshotPath: '/cache/models--org--tiny-gpt2/snapshots/' + 'a'.repeat(40),
    errorCode: null,
    errorMessage: null,
    includePatterns: [],
    excludePatterns: [],
    metadata: {},
    createdAt: 1,
    updatedAt: 2,
    owner: null,
    stopRequest: null,
    ...overrides,
  };
}

export function makeFile(overrides: Partial<EntryFile> = {}): EntryFile {
  return {
    entryId: 'e1',
    path: 'model.safetensors',
    size: 1_000_000,
    blobId: 'b'.repeat(64),
    sha256: 'b'.repeat(64),
    gitSha1: 'c'.repeat(40),
    state: 'verified',
    bytesDone: 1_000_000,
    doneRanges: [],
    ...overrides,
  };
}

export const STATUSES: readonly EntryStatus[] = ['queued', 'downloading', 'paused', 'ready', 'error', 'cancelled', 'missing'];
