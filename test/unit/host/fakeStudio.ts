import type { CatalogChange, CatalogEntry, EntryFilter } from '../../../src/core/catalog';
import { Emitter } from '../../../src/core/events';
import type { ProgressSnapshot } from '../../../src/core/progress';
import type { EntryProgress, StudioApi } from '../../../src/core/studioTypes';
import { makeEntry } from './fixtures';

/**
 * Just enough of StudioApi for host tests: an in-memory entry table whose changes fire like the catalog's, and
 * recorded calls. Methods a test does not expect throw, so an unexpected call fails loudly.
 */
export class FakeStudio {
  readonly entries = new Map<string, CatalogEntry>();
  readonly calls: string[] = [];
  readonly entryEvents = new Emitter<CatalogChange>();
  readonly progressEvents = new Emitter<EntryProgress>();
  readonly cleanupEvents = new Emitter<{ running: number }>();
  readonly progress = new Map<string, ProgressSnapshot>();
  settingsUpdates: unknown[] = [];
  reconciles: unknown[] = [];
  closed = false;
  cancelImpl: (id: string) => Promise<void> = async (id) => {
    this.set(id, { status: 'cancelled' });
  };

  constructor(readonly cacheRoot = '/cache') {}

  add(overrides: Partial<CatalogEntry>): CatalogEntry {
    const entry = makeEntry(overrides);
    this.entries.set(entry.id, entry);
    this.entryEvents.fire({ kind: 'entry-added', entryId: entry.id });
    return entry;
  }

  set(id: string, patch: Partial<CatalogEntry>): void {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`no entry ${id}`);
    this.entries.set(id, { ...entry, ...patch });
    this.entryEvents.fire({ kind: 'entry-updated', entryId: id });
  }

  remove(id: string): void {
    this.entries.delete(id);
    this.entryEvents.fire({ kind: 'entry-removed', entryId: id });
  }

  asApi(): StudioApi {
    const unexpected = (name: string) => () => {
      throw new Error(`unexpected call: ${name}`);
    };
    const api = {
      cacheRoot: this.cacheRoot,
      catalog: {
        getEntry: (id: string) => this.entries.get(id),
        listEntries: (filter: EntryFilter = {}) => [...this.entries.values()].filter((e) => !filter.statuses || filter.statuses.includes(e.status)),
      },
      onDidChangeEntry: this.entryEvents.event,
      onDidProgress: this.progressEvents.event,
      onDidChangeCleanup: this.cleanupEvents.event,
      updateSettings: (s: unknown) => void this.settingsUpdates.push(s),
      cancel: (id: string) => {
        this.calls.push(`cancel ${id}`);
        return this.cancelImpl(id);
      },
      progressOf: (id: string) => this.progress.get(id),
      reconcile: async (options: unknown) => void this.reconciles.push(options),
      close: async () => {
        this.closed = true;
      },
      plan: unexpected('plan'),
      enqueue: unexpected('enqueue'),
      whenSettled: unexpected('whenSettled'),
      pause: unexpected('pause'),
      resume: unexpected('resume'),
      delete: unexpected('delete'),
      estimateDelete: unexpected('estimateDelete'),
      files: () => [],
      searchHub: unexpected('searchHub'),
      whoAmI: unexpected('whoAmI'),
      adopt: unexpected('adopt'),
      estimateCacheDelete: unexpected('estimateCacheDelete'),
      deleteFromCache: unexpected('deleteFromCache'),
      planPrune: unexpected('planPrune'),
      prune: unexpected('prune'),
      verifyRevision: unexpected('verifyRevision'),
      repairRevision: unexpected('repairRevision'),
      scanCache: unexpected('scanCache'),
      inventory: unexpected('inventory'),
      whenIdle: async () => undefined,
    };
    // Only the members above exist; the cast is the point of a fake.
    return api as unknown as StudioApi;
  }
}
