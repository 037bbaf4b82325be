import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog, CatalogChange, NewEntryFile } from '../../../src/core/catalog';
import { isMistudioError } from '../../../src/core/errors';
import { SHA1, SHA256, openInMemory } from './helpers';

describe('catalog files', () => {
  let catalog: Catalog;
  let entryId: string;

  const lfsFile: NewEntryFile = { path: 'model.safetensors', size: 1000, blobId: SHA256(1), sha256: SHA256(1), gitSha1: SHA1(1) };
  const gitFile: NewEntryFile = { path: 'sub/config.json', size: 20, blobId: SHA1(2), gitSha1: SHA1(2) };

  beforeEach(async () => {
    catalog = await openInMemory();
    entryId = catalog.addEntry({ kind: 'model', repoId: 'org/a' }).id;
  });
  afterEach(async () => {
    await catalog.close();
  });

  it('round-trips files with defaults, sorted by path', () => {
    catalog.setFiles(entryId, [lfsFile, gitFile]);
    expect(catalog.getFiles(entryId)).toEqual([
      { entryId, path: 'model.safetensors', size: 1000, blobId: SHA256(1), sha256: SHA256(1), gitSha1: SHA1(1), state: 'pending', bytesDone: 0, doneRanges: [] },
      { entryId, path: 'sub/config.json', size: 20, blobId: SHA1(2), sha256: null, gitSha1: SHA1(2), state: 'pending', bytesDone: 0, doneRanges: [] },
    ]);
  });

  it('replaces the whole list on setFiles', () => {
    catalog.setFiles(entryId, [lfsFile, gitFile]);
    catalog.setFiles(entryId, [gitFile]);
    expect(catalog.getFiles(entryId).map((f) => f.path)).toEqual(['sub/config.json']);
  });

  it('round-trips done ranges exactly, sorted and merged', () => {
    catalog.setFiles(entryId, [{ ...lfsFile, state: 'partial', bytesDone: 300, doneRanges: [[500, 600], [0, 100], [100, 200]] }]);
    expect(catalog.getFile(entryId, lfsFile.path)?.doneRanges).toEqual([[0, 200], [500, 600]]);
    const updated = catalog.updateFile(entryId, lfsFile.path, { doneRanges: [[0, 200], [250, 400], [500, 600], [300, 450]], bytesDone: 450 });
    expect(updated).toMatchObject({ state: 'partial', bytesDone: 450, doneRanges: [[0, 200], [250, 450], [500, 600]] });
    expect(catalog.getFiles(entryId)[0]).toEqual(updated);
    expect(catalog.updateFile(entryId, lfsFile.path, { state: 'verified', bytesDone: 1000, doneRanges: [[0, 1000]] }).state).toBe('verified');
  });

  it('does not fire entry events for file progress', () => {
    const changes: CatalogChange[] = [];
    catalog.onDidChange((c) => changes.push(c));
    catalog.setFiles(entryId, [lfsFile]);
    catalog.updateFile(entryId, lfsFile.path, { bytesDone: 5, doneRanges: [[0, 5]] });
    expect(changes).toEqual([]);
  });

  it('validates files and patches', () => {
    const bad: Array<[string, string, () => unknown]> = [
      ['traversal', 'UnsafePath', () => catalog.setFiles(entryId, [{ ...gitFile, path: '../x' }])],
      ['absolute', 'UnsafePath', () => catalog.setFiles(entryId, [{ ...gitFile, path: '/etc/passwd' }])],
      ['backslash', 'UnsafePath', () => catalog.setFiles(entryId, [{ ...gitFile, path: 'a\\b' }])],
      ['duplicate', 'InvalidInput', () => catalog.setFiles(entryId, [gitFile, gitFile])],
      ['negative size', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, size: -1 }])],
      ['blob id', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, blobId: 'xyz' }])],
      ['sha256', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, sha256: SHA1(1) }])],
      ['git sha1', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, gitSha1: SHA256(1) }])],
      ['state', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, state: 'done' as never }])],
      ['range past the end', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, doneRanges: [[0, 21]] }])],
      ['empty range', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, doneRanges: [[5, 5]] }])],
      ['bytes past the end', 'InvalidInput', () => catalog.setFiles(entryId, [{ ...gitFile, bytesDone: 21 }])],
      ['unknown entry', 'EntryNotFound', () => catalog.setFiles('nope', [gitFile])],
    ];
    for (const [what, code, attempt] of bad) {
      let error: unknown;
      try {
        attempt();
      } catch (err) {
        error = err;
      }
      expect(isMistudioError(error) && error.code, what).toBe(code);
    }
    expect(catalog.getFiles(entryId)).toEqual([]);

    catalog.setFiles(entryId, [gitFile]);
    expect(() => catalog.updateFile(entryId, gitFile.path, { doneRanges: [[-1, 3]] })).toThrow(/range start/);
    expect(() => catalog.updateFile(entryId, gitFile.path, { size: 5 } as never)).toThrow(/Cannot change "size"/);
    expect(() => catalog.updateFile(entryId, 'missing.json', { bytesDone: 1 })).toThrow(/not part of catalog entry/);
    expect(catalog.getFile(entryId, gitFile.path)?.bytesDone).toBe(0);
  });

  it('keeps setFiles all-or-nothing', () => {
    catalog.setFiles(entryId, [gitFile]);
    expect(() => catalog.setFiles(entryId, [lfsFile, { ...gitFile, size: -2 }])).toThrow();
    expect(catalog.getFiles(entryId).map((f) => f.path)).toEqual(['sub/config.json']);
  });
});

describe('catalog jobs', () => {
  let catalog: Catalog;

  beforeEach(async () => {
    catalog = await openInMemory();
  });
  afterEach(async () => {
    await catalog.close();
  });

  it('adds, reads, updates and removes jobs with JSON payloads', () => {
    const entry = catalog.addEntry({ kind: 'dataset', repoId: 'org/d' });
    const job = catalog.addJob({ type: 'download', entryId: entry.id, payload: { files: ['a', 'b'], resume: true, n: 1.5, nested: { x: null } } });
    expect(job).toMatchObject({ type: 'download', entryId: entry.id, state: 'pending', attempts: 0, lastError: null, payload: { files: ['a', 'b'], resume: true } });
    expect(catalog.getJob(job.id)).toEqual(job);
    const running = catalog.updateJob(job.id, { state: 'running', attempts: 1 });
    expect(running).toMatchObject({ state: 'running', attempts: 1, payload: job.payload });
    const failed = catalog.updateJob(job.id, { state: 'failed', lastError: 'Offline', payload: [1, 2] });
    expect(failed).toMatchObject({ state: 'failed', lastError: 'Offline', payload: [1, 2], attempts: 1 });
    expect(catalog.removeJob(job.id)).toBe(true);
    expect(catalog.getJob(job.id)).toBeUndefined();
    expect(catalog.removeJob(job.id)).toBe(false);
  });

  it('lists jobs in the order added, filtered by type, state and entry', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    const j1 = catalog.addJob({ type: 'download', entryId: entry.id });
    const j2 = catalog.addJob({ type: 'cleanup', payload: { path: '/x' } });
    const j3 = catalog.addJob({ type: 'download', entryId: entry.id, state: 'failed' });
    expect(catalog.listJobs().map((j) => j.id)).toEqual([j1.id, j2.id, j3.id]);
    expect(catalog.listJobs({ type: 'download' }).map((j) => j.id)).toEqual([j1.id, j3.id]);
    expect(catalog.listJobs({ state: 'failed' }).map((j) => j.id)).toEqual([j3.id]);
    expect(catalog.listJobs({ entryId: entry.id }).map((j) => j.id)).toEqual([j1.id, j3.id]);
    expect(catalog.listJobs({ entryId: null }).map((j) => j.id)).toEqual([j2.id]);
  });

  it('keeps a job when its entry is removed (cleanup outlives the entry)', () => {
    const entry = catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    const job = catalog.addJob({ type: 'cleanup', entryId: entry.id });
    catalog.removeEntry(entry.id);
    expect(catalog.getJob(job.id)?.entryId).toBe(entry.id);
  });

  it('validates jobs', () => {
    expect(() => catalog.addJob({ type: 'upload' as never })).toThrow(/job type/);
    expect(() => catalog.addJob({ type: 'download', state: 'done' as never })).toThrow(/job state/);
    expect(() => catalog.addJob({ type: 'download', payload: { f: () => 1 } as never })).toThrow(/payload/);
    expect(() => catalog.addJob({ type: 'download', payload: Number.POSITIVE_INFINITY })).toThrow(/payload/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => catalog.addJob({ type: 'download', payload: cyclic as never })).toThrow(/payload/);
    const job = catalog.addJob({ type: 'download' });
    expect(() => catalog.updateJob(job.id, { attempts: -1 })).toThrow(/attempts/);
    expect(() => catalog.updateJob(job.id, { type: 'cleanup' } as never)).toThrow(/Cannot change "type"/);
    expect(() => catalog.updateJob('nope', { attempts: 1 })).toThrow(/No job/);
    expect(catalog.listJobs()).toHaveLength(1);
  });
});
