import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog, CatalogChange } from '../../../src/core/catalog';
import { isMistudioError } from '../../../src/core/errors';
import { SHA1, openInMemory } from './helpers';

describe('catalog entries', () => {
  let catalog: Catalog;
  let changes: CatalogChange[];

  beforeEach(async () => {
    catalog = await openInMemory();
    changes = [];
    catalog.onDidChange((c) => changes.push(c));
  });
  afterEach(async () => {
    await catalog.close();
  });

  it('adds an entry with defaults and reads it back', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'openai-community/gpt2' });
    expect(entry.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry).toMatchObject({
      kind: 'model',
      repoId: 'openai-community/gpt2',
      displayName: 'openai-community/gpt2',
      revision: 'main',
      commit: null,
      status: 'queued',
      bytesDone: 0,
      bytesTotal: 0,
      fileCount: 0,
      snapshotPath: null,
      errorCode: null,
      errorMessage: null,
      includePatterns: [],
      excludePatterns: [],
      metadata: {},
    });
    expect(entry.createdAt).toBe(entry.updatedAt);
    expect(catalog.getEntry(entry.id)).toEqual(entry);
    expect(changes).toEqual([{ kind: 'entry-added', entryId: entry.id }]);
  });

  it('stores every field of a full entry, models and datasets alike', () => {
    for (const kind of ['model', 'dataset'] as const) {
      const entry = catalog.addEntry({
        kind,
        repoId: 'org/thing',
        revision: 'v1.0',
        displayName: 'Thing',
        commit: SHA1(7),
        status: 'error',
        bytesDone: 10,
        bytesTotal: 100,
        fileCount: 3,
        snapshotPath: '/cache/snap',
        errorCode: 'NoSpace',
        errorMessage: 'disk full',
        includePatterns: ['*.json'],
        excludePatterns: ['*.bin'],
        metadata: { license: 'mit', model: { numLayers: 12, parameters: { total: 5, byDtype: { F32: 5 } } } },
      });
      expect(catalog.getEntry(entry.id)).toEqual(entry);
      expect(entry).toMatchObject({ kind, revision: 'v1.0', commit: SHA1(7), errorCode: 'NoSpace', metadata: { model: { numLayers: 12 } } });
    }
  });

  it('takes a commit revision as the resolved commit', () => {
    const entry = catalog.addEntry({ kind: 'dataset', repoId: 'org/data', revision: SHA1(1) });
    expect(entry.commit).toBe(SHA1(1));
  });

  it('allows one entry per (kind, repoId, revision)', () => {
    catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    expect(() => catalog.addEntry({ kind: 'model', repoId: 'org/a' })).toThrow(/already in the catalog/);
    expect(catalog.addEntry({ kind: 'model', repoId: 'org/a', revision: 'dev' }).revision).toBe('dev');
    expect(catalog.addEntry({ kind: 'dataset', repoId: 'org/a' }).kind).toBe('dataset');
    expect(catalog.search().total).toBe(3);
  });

  it('finds entries by repo, with or without a revision', () => {
    const main = catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    const dev = catalog.addEntry({ kind: 'model', repoId: 'org/a', revision: 'dev' });
    expect(catalog.findEntry('model', 'org/a', 'main')?.id).toBe(main.id);
    expect(catalog.findEntry('model', 'org/a', 'dev')?.id).toBe(dev.id);
    expect(catalog.findEntry('dataset', 'org/a')).toBeUndefined();
    expect(catalog.findEntry('model', 'org/a', 'v2')).toBeUndefined();
    catalog.updateEntry(main.id, { status: 'ready' });
    expect(catalog.findEntry('model', 'org/a')?.id).toBe(main.id);
  });

  it('updates fields, bumps updatedAt and fires one event', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    changes.length = 0;
    const updated = catalog.updateEntry(entry.id, { status: 'downloading', bytesDone: 5, bytesTotal: 10, metadata: { likes: 3 } });
    expect(updated).toMatchObject({ status: 'downloading', bytesDone: 5, bytesTotal: 10, metadata: { likes: 3 }, createdAt: entry.createdAt });
    expect(updated.updatedAt).toBeGreaterThanOrEqual(entry.updatedAt);
    expect(catalog.getEntry(entry.id)).toEqual(updated);
    expect(changes).toEqual([{ kind: 'entry-updated', entryId: entry.id }]);
  });

  it('treats undefined patch fields as "leave it" and null as "clear it"', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/a', commit: SHA1(2), errorMessage: 'x' });
    expect(catalog.updateEntry(entry.id, { commit: undefined }).commit).toBe(SHA1(2));
    expect(catalog.updateEntry(entry.id, { errorMessage: null }).errorMessage).toBeNull();
  });

  it('writes nothing and fires nothing for a patch that changes nothing', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/a', bytesTotal: 4 });
    changes.length = 0;
    expect(catalog.updateEntry(entry.id, { bytesTotal: 4, status: 'queued' })).toEqual(entry);
    expect(changes).toEqual([]);
  });

  it('refuses to patch identity fields or unknown entries', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    expect(() => catalog.updateEntry(entry.id, { kind: 'dataset' } as never)).toThrow(/Cannot change "kind"/);
    expect(() => catalog.updateEntry(entry.id, { revision: 'x' } as never)).toThrow(/Cannot change "revision"/);
    let error: unknown;
    try {
      catalog.updateEntry('nope', { status: 'ready' });
    } catch (err) {
      error = err;
    }
    expect(isMistudioError(error, 'EntryNotFound')).toBe(true);
  });

  it('validates values at the boundary', () => {
    const bad: Array<[string, () => unknown]> = [
      ['kind', () => catalog.addEntry({ kind: 'space' as never, repoId: 'org/a' })],
      ['repo id', () => catalog.addEntry({ kind: 'model', repoId: '../etc' })],
      ['revision', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', revision: 'a..b' })],
      ['status', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', status: 'done' as never })],
      ['negative bytes', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', bytesDone: -1 })],
      ['fractional count', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', fileCount: 1.5 })],
      ['NaN', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', bytesTotal: Number.NaN })],
      ['commit', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', commit: 'abc' })],
      ['error code', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', errorCode: 'Oops' as never })],
      ['patterns', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', includePatterns: [''] })],
      ['metadata', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', metadata: [] as never })],
      ['display name', () => catalog.addEntry({ kind: 'model', repoId: 'org/a', displayName: '  ' })],
    ];
    for (const [what, attempt] of bad) {
      let error: unknown;
      try {
        attempt();
      } catch (err) {
        error = err;
      }
      expect(isMistudioError(error, 'InvalidInput'), what).toBe(true);
    }
    expect(catalog.search().total).toBe(0);
    expect(changes).toEqual([]);
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    expect(() => catalog.updateEntry(entry.id, { bytesDone: -5 })).toThrow(/whole number/);
    expect(() => catalog.updateEntry(entry.id, { status: 'bogus' as never })).toThrow(/Invalid status/);
    expect(catalog.getEntry(entry.id)?.bytesDone).toBe(0);
  });

  it('removes an entry with its files and reports whether it existed', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    catalog.setFiles(entry.id, [{ path: 'config.json', size: 3, blobId: SHA1(1), gitSha1: SHA1(1) }]);
    changes.length = 0;
    expect(catalog.removeEntry(entry.id)).toBe(true);
    expect(catalog.getEntry(entry.id)).toBeUndefined();
    expect(catalog.getFiles(entry.id)).toEqual([]);
    expect(changes).toEqual([{ kind: 'entry-removed', entryId: entry.id }]);
    expect(catalog.removeEntry(entry.id)).toBe(false);
    expect(changes).toHaveLength(1);
    // The slot is free again: the same repo revision gets the same id (so two processes adding it make one entry),
    // and starts without the old files.
    const again = catalog.addEntry({ kind: 'model', repoId: 'org/a' });
    expect(again.id).toBe(entry.id);
    expect(catalog.getFiles(again.id)).toEqual([]);
  });

  it('counts entries per kind and status', () => {
    catalog.addEntry({ kind: 'model', repoId: 'org/a', status: 'ready' });
    catalog.addEntry({ kind: 'model', repoId: 'org/b', status: 'ready' });
    catalog.addEntry({ kind: 'model', repoId: 'org/c', status: 'error' });
    const d = catalog.addEntry({ kind: 'dataset', repoId: 'org/d', status: 'downloading' });
    catalog.updateEntry(d.id, { status: 'paused' });
    const counts = catalog.counts();
    expect(counts.model.total).toBe(3);
    expect(counts.model.byStatus).toMatchObject({ ready: 2, error: 1, queued: 0 });
    expect(counts.dataset.total).toBe(1);
    expect(counts.dataset.byStatus).toMatchObject({ paused: 1, downloading: 0 });
  });

  describe('transactions', () => {
    it('commits all changes and delivers events after the commit', () => {
      const seenDuringEvent: number[] = [];
      catalog.onDidChange(() => seenDuringEvent.push(catalog.search().total));
      catalog.transaction(() => {
        catalog.addEntry({ kind: 'model', repoId: 'org/a' });
        catalog.addEntry({ kind: 'model', repoId: 'org/b' });
        expect(changes).toEqual([]);
      });
      expect(changes.map((c) => c.kind)).toEqual(['entry-added', 'entry-added']);
      expect(seenDuringEvent).toEqual([2, 2]);
    });

    it('undoes everything and fires nothing when the function throws', () => {
      const kept = catalog.addEntry({ kind: 'model', repoId: 'org/kept' });
      changes.length = 0;
      expect(() =>
        catalog.transaction(() => {
          catalog.addEntry({ kind: 'model', repoId: 'org/a' });
          catalog.updateEntry(kept.id, { status: 'ready' });
          catalog.addJob({ type: 'download', entryId: kept.id });
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(catalog.search().items.map((e) => e.repoId)).toEqual(['org/kept']);
      expect(catalog.getEntry(kept.id)?.status).toBe('queued');
      expect(catalog.listJobs()).toEqual([]);
      expect(changes).toEqual([]);
    });

    it('nests as savepoints: an inner failure undoes only the inner part', () => {
      catalog.transaction(() => {
        catalog.addEntry({ kind: 'model', repoId: 'org/outer' });
        expect(() =>
          catalog.transaction(() => {
            catalog.addEntry({ kind: 'model', repoId: 'org/inner' });
            throw new Error('inner');
          }),
        ).toThrow('inner');
        catalog.transaction(() => catalog.addEntry({ kind: 'model', repoId: 'org/inner2' }));
      });
      expect(catalog.search().items.map((e) => e.repoId)).toEqual(['org/inner2', 'org/outer']);
      expect(changes).toHaveLength(2);
    });

    it('returns the function result and refuses async functions', async () => {
      expect(catalog.transaction(() => 42)).toBe(42);
      expect(() => catalog.transaction(async () => catalog.addEntry({ kind: 'model', repoId: 'org/a' }))).toThrow(/synchronous/);
      // The synchronous part of the async function ran inside the transaction and was undone.
      await Promise.resolve();
      expect(catalog.search().total).toBe(0);
    });
  });

  it('refuses use after close', async () => {
    await catalog.close();
    expect(() => catalog.search()).toThrow(/closed/);
    await catalog.close();
  });
});
