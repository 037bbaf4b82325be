import { describe, expect, it } from 'vitest';
import type { InventoryRepo } from '../../../src/core/cacheInventory';
import { filterRepos, headerText, heldByText, partialItem, repoItem, revisionItem, sortRepos } from '../../../src/host/cacheView';

function repo(repoId: string, size: number, lastAccessed: number, kind: InventoryRepo['kind'] = 'model'): InventoryRepo {
  const commit = '1234567890'.repeat(4);
  return {
    kind,
    repoId,
    path: `/cache/${kind}s--${repoId.replace('/', '--')}`,
    sizeOnDisk: size,
    nbFiles: 2,
    lastAccessed,
    lastModified: lastAccessed,
    refs: {},
    interruptedDeletes: [],
    revisions: [{ commit, refs: [], snapshotPath: '/s', sizeOnDisk: size, nbFiles: 2, lastModified: lastAccessed, entries: [], otherCatalogs: [] }],
    partials: [],
  };
}

describe('the Cache view as data', () => {
  const a = repo('org/Alpha', 500, 3);
  const b = repo('org/beta', 2000, 1, 'dataset');
  const c = repo('zzz/gamma', 500, 2, 'space');

  it('sorts biggest first, A to Z, or most recently used first, ties by name', () => {
    expect(sortRepos([a, b, c], 'size').map((r) => r.repoId)).toEqual(['org/beta', 'org/Alpha', 'zzz/gamma']);
    expect(sortRepos([c, b, a], 'name').map((r) => r.repoId)).toEqual(['org/Alpha', 'org/beta', 'zzz/gamma']);
    expect(sortRepos([a, b, c], 'lastUsed').map((r) => r.repoId)).toEqual(['org/Alpha', 'zzz/gamma', 'org/beta']);
  });

  it('filters by every word of the filter, in the id or the kind', () => {
    expect(filterRepos([a, b, c], 'ALPHA').map((r) => r.repoId)).toEqual(['org/Alpha']);
    expect(filterRepos([a, b, c], 'org dataset').map((r) => r.repoId)).toEqual(['org/beta']);
    expect(filterRepos([a, b, c], '  ')).toHaveLength(3);
    expect(filterRepos([a, b, c], 'nothing')).toEqual([]);
  });

  it('heads the view with the total, the partial bytes and the Xet cache apart', () => {
    expect(headerText({ repos: [a, b], sizeOnDisk: 2500, partialBytes: 0, xet: null })).toBe('2.5 kB in 2 repos');
    expect(headerText({ repos: [a], sizeOnDisk: 500, partialBytes: 1000, xet: { path: '/x', bytes: 3_000_000, files: 2 } })).toBe('500 B in 1 repo · 1.0 kB partial · Xet 3.0 MB');
  });

  it('says who holds a revision: this workspace, other catalogs, or no catalog', () => {
    const rev = a.revisions[0]!;
    expect(heldByText([rev])).toBe('no catalog');
    expect(heldByText([{ ...rev, entries: [{ entryId: 'e', revision: 'main', status: 'ready' }] }])).toBe('this workspace');
    expect(heldByText([{ ...rev, otherCatalogs: [{ catalog: '/a', revision: 'main' }, { catalog: '/a', revision: 'v1' }, { catalog: '/b', revision: 'main' }] }])).toBe('2 other catalogs');
  });

  it('offers Add to Catalog only for a model or dataset revision no entry here holds, and names a detached one', () => {
    const item = revisionItem(a, a.revisions[0]!);
    expect(item.label).toBe('detached');
    expect(item.description).toBe('12345678 · 500 B · 2 files · no catalog');
    expect(item.contextValue.split(';')).toContain('canAdopt');
    expect(revisionItem(c, c.revisions[0]!).contextValue.split(';')).not.toContain('canAdopt');
    const held = { ...a.revisions[0]!, refs: ['main', 'refs/pr/1'], entries: [{ entryId: 'e', revision: 'main', status: 'ready' as const }] };
    expect(revisionItem(a, held)).toMatchObject({ label: 'main, refs/pr/1' });
    expect(revisionItem(a, held).contextValue.split(';')).toEqual(expect.arrayContaining(['heldHere', 'canDelete', 'canVerify']));
    expect(revisionItem(a, held).contextValue.split(';')).not.toContain('canAdopt');
    expect(repoItem(b).description).toBe('dataset · 2.0 kB · 1 revision · no catalog');
  });

  it('escapes names from the disk in tooltips, and tells whose a partial is', () => {
    const odd = repo('org/x', 1, 0);
    const item = repoItem({ ...odd, path: '/cache/*evil*_[x](y)' });
    expect(item.tooltip).not.toContain('*evil*');
    const p = partialItem(odd, { path: '/cache/b.incomplete', size: 2048, blobId: 'f'.repeat(64), owner: 'foreign', heldBy: null });
    expect(p.description).toBe('2.0 kB · huggingface_hub · nobody can resume it');
  });
});
