import { createRequire } from 'node:module';
import { vi } from 'vitest';
import { openCatalog, type Catalog, type CatalogChange, type NewEntry } from '../../../src/core/catalog';
import { MistudioError } from '../../../src/core/errors';
import { Emitter } from '../../../src/core/events';
import type { HubSearchResult } from '../../../src/core/hub';
import type { ProgressSnapshot } from '../../../src/core/progress';
import type { DownloadPlan, DownloadRequest, EntryProgress, PlannedFile, StudioApi } from '../../../src/core/studioTypes';
import { fakeCache, type FakeCacheState } from './fakeCache';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

export interface FakeStudio extends StudioApi {
  readonly progressEmitter: Emitter<EntryProgress>;
  readonly cleanupEmitter: Emitter<{ readonly running: number }>;
  readonly progress: Map<string, ProgressSnapshot>;
  hubResults: HubSearchResult[];
  planFiles: PlannedFile[];
  freeBytes: number;
  /** Calls in order, e.g. "cancel:<id>", "enqueue:org/name". */
  readonly calls: string[];
  /** The Hugging Face cache the whole-cache methods read and change (see fakeCache.ts). */
  readonly cache: FakeCacheState;
}

const COMMIT = 'a'.repeat(40);

/**
 * A StudioApi over a real in-memory catalog (so search, counts and change events are the real ones) with the network
 * parts (plan, Hub search, transfers) scripted by the test.
 */
export async function createFakeStudio(): Promise<FakeStudio> {
  const catalog: Catalog = await openCatalog({ file: null, wasmPath });
  const entryEmitter = new Emitter<CatalogChange>();
  catalog.onDidChange((c) => entryEmitter.fire(c));
  const progressEmitter = new Emitter<EntryProgress>();
  const cleanupEmitter = new Emitter<{ readonly running: number }>();
  const calls: string[] = [];
  const progress = new Map<string, ProgressSnapshot>();
  const cacheRoot = '/tmp/fake-hf-cache';
  const cache = fakeCache(catalog, calls, cacheRoot);

  const require = (id: string) => {
    const entry = catalog.getEntry(id);
    if (!entry) throw new MistudioError('EntryNotFound', `No entry ${id}`);
    return entry;
  };

  const fake: FakeStudio = {
    catalog,
    cacheRoot,
    onDidChangeEntry: entryEmitter.event,
    onDidProgress: progressEmitter.event,
    onDidChangeCleanup: cleanupEmitter.event,
    progressEmitter,
    cleanupEmitter,
    progress,
    hubResults: [],
    planFiles: [],
    freeBytes: 1e12,
    calls,
    cache: cache.state,
    updateSettings: vi.fn(),
    plan: vi.fn(async (request: DownloadRequest, signal?: AbortSignal): Promise<DownloadPlan> => {
      calls.push(`plan:${request.repoId}@${request.revision ?? 'main'}`);
      if (signal?.aborted) throw new MistudioError('Cancelled', 'Cancelled');
      const allFiles = fake.planFiles;
      return {
        request,
        ref: { kind: request.kind, repoId: request.repoId },
        revision: request.revision ?? 'main',
        commit: COMMIT,
        info: { ref: { kind: request.kind, repoId: request.repoId }, commit: COMMIT, gated: false, private: false, downloads: 1, likes: 2, tags: [] },
        files: allFiles,
        allFiles,
        totalBytes: allFiles.reduce((s, f) => s + f.size, 0),
        bytesToDownload: allFiles.filter((f) => !f.cached).reduce((s, f) => s + f.size, 0),
        freeBytes: fake.freeBytes,
        cacheRoot: fake.cacheRoot,
      };
    }),
    enqueue: vi.fn(async (request: DownloadRequest | DownloadPlan) => {
      const r = 'request' in request ? request.request : request;
      calls.push(`enqueue:${r.repoId}:${(r.include ?? []).join(',')}|${(r.exclude ?? []).join(',')}`);
      return catalog.addEntry({ kind: r.kind, repoId: r.repoId, revision: r.revision ?? 'main', status: 'queued' });
    }),
    whenSettled: vi.fn(async (id: string) => require(id)),
    cancel: vi.fn(async (id: string) => {
      calls.push(`cancel:${id}`);
      catalog.updateEntry(require(id).id, { status: 'cancelled' });
    }),
    pause: vi.fn(async (id: string) => {
      calls.push(`pause:${id}`);
      catalog.updateEntry(require(id).id, { status: 'paused' });
    }),
    resume: vi.fn(async (id: string) => {
      calls.push(`resume:${id}`);
      return catalog.updateEntry(require(id).id, { status: 'queued' });
    }),
    delete: vi.fn(async (id: string) => {
      calls.push(`delete:${id}`);
      require(id);
      catalog.removeEntry(id);
      return { freedBytesEstimate: 123, heldBy: [], cleanupJobId: 'job-1' };
    }),
    estimateDelete: vi.fn(async (id: string) => ({ freedBytes: require(id).bytesTotal, heldBy: [] })),
    progressOf: (id: string) => progress.get(id),
    files: (id: string) => catalog.getFiles(id),
    searchHub: vi.fn(async (kind, query, _options, signal) => {
      calls.push(`searchHub:${kind}:${query}`);
      if (signal?.aborted) throw new MistudioError('Cancelled', 'Cancelled');
      return fake.hubResults.filter((r) => r.kind === kind && r.id.includes(query));
    }),
    whoAmI: vi.fn(async () => ({ name: 'tester', type: 'user' as const, orgs: [] })),
    ...cache.methods,
    scanCache: vi.fn(async () => ({ root: fake.cacheRoot, repos: [], sizeOnDisk: 0, filesScanned: 0, warnings: [] })),
    reconcile: vi.fn(async () => undefined),
    whenIdle: vi.fn(async () => undefined),
    close: vi.fn(async () => {
      await catalog.close();
    }),
  };
  return fake;
}

export function addEntries(studio: FakeStudio, entries: NewEntry[]): string[] {
  return entries.map((e) => studio.catalog.addEntry(e).id);
}

export function snapshotOf(bytesDone: number, bytesTotal: number, bytesPerSecond = 1_000_000): ProgressSnapshot {
  return { bytesDone, bytesTotal, fraction: bytesTotal > 0 ? bytesDone / bytesTotal : 0, bytesPerSecond, etaSeconds: (bytesTotal - bytesDone) / bytesPerSecond, waitingFiles: 0 };
}

export function plannedFile(path: string, size: number, options: { cached?: boolean; lfs?: boolean } = {}): PlannedFile {
  const id = path.replace(/[^a-z0-9]/gi, '').padEnd(40, '0').slice(0, 40);
  return { path, size, blobId: id, gitOid: id, lfs: options.lfs ?? false, cached: options.cached ?? false };
}
