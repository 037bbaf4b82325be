import { describe, expect, it } from 'vitest';
import type { InventoryRepo } from '../../../src/core/cacheInventory';
import { toCacheRepoRow } from '../../../src/host/panel/cacheRows';
import { CACHE_SORTS as TREE_SORTS, filterRepos, sortRepos } from '../../../src/host/cacheView';
import type { CacheReposBatch } from '../../../src/shared/protocol';
import { CACHE_SORTS, CacheModel, filterCacheRows, sortCacheRows } from '../../../src/webview/cacheModel';
import { Rng } from '../robustness/helpers';

const KINDS = ['model', 'dataset', 'space'] as const;
const NAMES = ['Alpha', 'alpha', 'beta', 'Gemma-2b', 'gemma-2B-it', 'pile_10k', 'x.y'];

function randomRepo(rng: Rng, i: number): InventoryRepo {
  const kind = rng.pick(KINDS);
  const repoId = `${rng.pick(['org', 'Org', 'zz'])}/${rng.pick(NAMES)}${rng.chance(0.25) ? '' : `-${i % 5}`}`;
  // Few distinct sizes and times, so ties (and their tie-breaks) are common.
  const size = rng.int(0, 3) * 1_000;
  const lastAccessed = rng.chance(0.2) ? Number.NaN : rng.int(0, 2) * 60_000;
  return { kind, repoId, path: `/c/${i}`, sizeOnDisk: size, nbFiles: 1, lastAccessed, lastModified: lastAccessed, refs: {}, interruptedDeletes: [], revisions: [], partials: [] };
}

describe('the Cache tab orders and filters its rows as the Cache tree does', () => {
  it('offers the tree\'s sorts', () => {
    expect(CACHE_SORTS).toEqual(TREE_SORTS);
  });

  it('agrees with the tree on random caches with many ties, for every sort and filter', () => {
    const rng = new Rng(20_241);
    for (let round = 0; round < 200; round++) {
      const repos = Array.from({ length: rng.int(1, 30) }, (_, i) => randomRepo(rng, i));
      const rows = repos.map(toCacheRepoRow);
      const key = (r: { kind: string; repoId: string }) => `${r.kind}:${r.repoId}`;
      for (const sort of CACHE_SORTS) expect(sortCacheRows(rows, sort).map(key)).toEqual(sortRepos(repos, sort).map(key));
      for (const text of ['', 'org', 'ALPHA', 'gemma 2b', 'dataset/', 'space zz', '  ', 'nothing']) {
        expect(filterCacheRows(rows, text).map(key)).toEqual(filterRepos(repos, text).map(key));
      }
    }
  });
});

describe('CacheModel', () => {
  const row = (repoId: string, size: number) => toCacheRepoRow({ kind: 'model', repoId, path: '/', sizeOnDisk: size, nbFiles: 1, lastAccessed: 0, lastModified: 0, refs: {}, interruptedDeletes: [], revisions: [], partials: [] });
  const batch = (scanId: number, ...repos: ReturnType<typeof row>[]): CacheReposBatch => ({ scanId, repos, progress: { reposDone: repos.length, reposTotal: 9, filesScanned: 0 } });
  const summary = { header: 'h', repoCount: 0, sizeOnDisk: 0, partialBytes: 0, xetBytes: null, warnings: 0 };
  const names = (model: CacheModel) => Array.from({ length: model.lineCount }, (_, i) => model.lineAt(i)?.repo.repoId);

  it('keeps the last scan on screen while a new one streams in, then shows exactly what the new one read', () => {
    const model = new CacheModel();
    model.beginScan(1);
    model.applyBatch(batch(1, row('org/a', 1), row('org/b', 2)));
    model.endScan(1, summary);
    expect(names(model)).toEqual(['org/b', 'org/a']);
    model.setExpanded('model:org/a', true);

    model.beginScan(2);
    expect(model.applyBatch(batch(1, row('org/stale', 9)))).toBe(false);
    model.applyBatch(batch(2, row('org/c', 3)));
    expect(names(model)).toEqual(['org/c', 'org/b', 'org/a']);
    expect(model.scanning).toBe(true);
    model.endScan(2, summary);
    expect(names(model)).toEqual(['org/c']);
    expect(model.isExpanded('model:org/a')).toBe(false);
    expect(model.scanning).toBe(false);
  });

  it('keeps what a failed scan read, and ignores the end of a superseded one', () => {
    const model = new CacheModel();
    model.beginScan(1);
    model.applyBatch(batch(1, row('org/a', 1)));
    model.beginScan(2);
    model.endScan(1, summary);
    expect(model.scanning).toBe(true);
    model.abandonScan(2);
    expect(names(model)).toEqual(['org/a']);
    expect(model.summary).toBeUndefined();
    expect(model.scanning).toBe(false);
  });
});
