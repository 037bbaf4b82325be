import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog, CatalogEntry, EntryStatus, SearchQuery } from '../../../src/core/catalog';
import { foldForSearch } from '../../../src/core/catalog';
import type { RepoKind } from '../../../src/core/repo';
import { openInMemory } from './helpers';

describe('catalog search', () => {
  let catalog: Catalog;

  beforeEach(async () => {
    catalog = await openInMemory();
  });
  afterEach(async () => {
    await catalog.close();
  });

  const add = (repoId: string, displayName: string, extra: { kind?: RepoKind; status?: EntryStatus; bytesTotal?: number } = {}): CatalogEntry =>
    catalog.addEntry({ kind: extra.kind ?? 'model', repoId, displayName, status: extra.status, bytesTotal: extra.bytesTotal });
  const names = (query: SearchQuery): string[] => catalog.search(query).items.map((e) => e.displayName);

  it('matches a case-insensitive substring of the display name or the repo id', () => {
    add('EleutherAI/pythia-70m', 'Pythia 70M');
    add('google/gemma-2b', 'Gemma Two');
    add('openai-community/gpt2', 'GPT-2 small');
    expect(names({ text: 'PYTHIA' })).toEqual(['Pythia 70M']);
    expect(names({ text: 'eleuther' })).toEqual(['Pythia 70M']);
    expect(names({ text: 'gpt-2 S' })).toEqual(['GPT-2 small']);
    expect(names({ text: 'GOOGLE/' })).toEqual(['Gemma Two']);
    expect(names({ text: '  two  ' })).toEqual(['Gemma Two']);
    expect(names({ text: 'A' })).toEqual(['Gemma Two', 'GPT-2 small', 'Pythia 70M']);
    expect(catalog.search({ text: 'llama' })).toEqual({ items: [], total: 0 });
    expect(catalog.search({ text: '' }).total).toBe(3);
  });

  it('folds Unicode case, not only ASCII', () => {
    add('org/a', 'Straße Modell');
    add('org/b', 'ΣΊΣΥΦΟΣ');
    add('org/c', 'Ｆｕｌｌｗｉｄｔｈ');
    add('org/d', 'Émile Zola');
    add('org/e', 'İstanbul');
    expect(names({ text: 'STRASSE' })).toEqual(['Straße Modell']);
    expect(names({ text: 'straße' })).toEqual(['Straße Modell']);
    expect(names({ text: 'σίσυφος' })).toEqual(['ΣΊΣΥΦΟΣ']);
    expect(names({ text: 'fullwidth' })).toEqual(['Ｆｕｌｌｗｉｄｔｈ']);
    expect(names({ text: 'émile' })).toEqual(['Émile Zola']);
    expect(names({ text: 'istanbul' })).toEqual(['İstanbul']);
    // Accents are not case: they still count.
    expect(names({ text: 'emile' })).toEqual([]);
  });

  it('takes %, _ and \\ literally', () => {
    add('org/a', '100% real');
    add('org/b', '100 percent');
    add('org/c', 'snake_case');
    add('org/d', 'snakeXcase');
    add('org/e', 'back\\slash');
    add('org/f', 'backslash');
    expect(names({ text: '%' })).toEqual(['100% real']);
    expect(names({ text: '100%' })).toEqual(['100% real']);
    expect(names({ text: 'e_c' })).toEqual(['snake_case']);
    expect(names({ text: '_' })).toEqual(['snake_case']);
    expect(names({ text: '\\' })).toEqual(['back\\slash']);
    expect(names({ text: 'k\\s' })).toEqual(['back\\slash']);
  });

  it('does not match across the boundary between name and repo id', () => {
    add('xyz/model', 'abc');
    expect(names({ text: 'abcxyz' })).toEqual([]);
    expect(names({ text: 'cxy' })).toEqual([]);
    expect(() => catalog.search({ text: 'c\u0000x' })).toThrow(/search text/);
  });

  it('filters by kind and statuses', () => {
    add('org/m1', 'm1', { status: 'ready' });
    add('org/m2', 'm2', { status: 'error' });
    add('org/m3', 'm3', { status: 'downloading' });
    add('org/d1', 'd1', { kind: 'dataset', status: 'ready' });
    expect(names({ kind: 'model' })).toEqual(['m1', 'm2', 'm3']);
    expect(names({ kind: 'dataset' })).toEqual(['d1']);
    expect(names({ statuses: ['ready'] })).toEqual(['d1', 'm1']);
    expect(names({ kind: 'model', statuses: ['ready', 'error'] })).toEqual(['m1', 'm2']);
    expect(names({ statuses: [] })).toEqual([]);
    expect(names({ kind: 'dataset', text: 'm' })).toEqual([]);
  });

  it('sorts by name, size and updated, both ways, with a stable tiebreak', () => {
    const a = add('org/a', 'alpha', { bytesTotal: 30 });
    const b = add('org/b', 'Bravo', { bytesTotal: 10 });
    const c = add('org/c', 'charlie', { bytesTotal: 20 });
    const twin1 = add('org/t1', 'twin', { bytesTotal: 20 });
    const twin2 = add('org/t2', 'twin', { bytesTotal: 20 });
    const [first, second] = [twin1, twin2].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(names({ sort: 'name' })).toEqual(['alpha', 'Bravo', 'charlie', 'twin', 'twin']);
    expect(catalog.search({ sort: 'name' }).items.slice(3).map((e) => e.id)).toEqual([first?.id, second?.id]);
    expect(catalog.search({ sort: 'name', direction: 'desc' }).items.map((e) => e.id)).toEqual([second?.id, first?.id, c.id, b.id, a.id]);
    expect(names({ sort: 'size' })).toEqual(['Bravo', 'charlie', 'twin', 'twin', 'alpha']);
    expect(names({ sort: 'size', direction: 'desc' })).toEqual(['alpha', 'twin', 'twin', 'charlie', 'Bravo']);

    catalog.updateEntry(b.id, { status: 'ready' });
    catalog.updateEntry(a.id, { status: 'ready' });
    const updated = catalog.search({ sort: 'updated', direction: 'desc' }).items;
    expect(updated.map((e) => e.updatedAt)).toEqual([...updated.map((e) => e.updatedAt)].sort((x, y) => y - x));
    // Re-sorting picks up changes to the sort key.
    catalog.updateEntry(b.id, { bytesTotal: 99 });
    expect(names({ sort: 'size', direction: 'desc' })[0]).toBe('Bravo');
    catalog.updateEntry(c.id, { displayName: 'Aardvark' });
    expect(names({ sort: 'name' })[0]).toBe('Aardvark');
  });

  it('pages with offset and limit; total counts every match', () => {
    for (let i = 0; i < 25; i++) add(`org/m${i}`, `model ${String(i).padStart(2, '0')}`);
    add('org/other', 'other');
    const all = names({ text: 'model' });
    expect(all).toHaveLength(25);
    const pages: string[] = [];
    for (let offset = 0; offset < 25; offset += 10) {
      const page = catalog.search({ text: 'model', offset, limit: 10 });
      expect(page.total).toBe(25);
      pages.push(...page.items.map((e) => e.displayName));
    }
    expect(pages).toEqual(all);
    expect(catalog.search({ text: 'model', offset: 30, limit: 10 })).toEqual({ items: [], total: 25 });
    expect(catalog.search({ text: 'model', limit: 0 })).toEqual({ items: [], total: 25 });
    expect(names({ text: 'model', direction: 'desc', limit: 2 })).toEqual(['model 24', 'model 23']);
  });

  it('keeps the index in step with additions, updates, removals and rollbacks', () => {
    const a = add('org/a', 'alpha', { status: 'queued' });
    expect(catalog.search({ statuses: ['ready'] }).total).toBe(0);
    catalog.updateEntry(a.id, { status: 'ready' });
    expect(catalog.search({ statuses: ['ready'] }).total).toBe(1);
    expect(() =>
      catalog.transaction(() => {
        catalog.updateEntry(a.id, { displayName: 'renamed' });
        add('org/b', 'beta');
        throw new Error('undo');
      }),
    ).toThrow('undo');
    expect(names({})).toEqual(['alpha']);
    expect(names({ text: 'renamed' })).toEqual([]);
    catalog.removeEntry(a.id);
    expect(catalog.search()).toEqual({ items: [], total: 0 });
  });

  it('rebuilds after a bulk change and agrees with listEntries', () => {
    catalog.transaction(() => {
      for (let i = 0; i < 1500; i++) add(`org/r${i}`, `repo ${i % 7}`, { kind: i % 2 ? 'model' : 'dataset', bytesTotal: i % 10 });
    });
    expect(catalog.search().total).toBe(1500);
    const byKey = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
    const expected = catalog
      .listEntries()
      .sort((a, b) => a.bytesTotal - b.bytesTotal || byKey(foldForSearch(a.displayName), foldForSearch(b.displayName)) || byKey(a.id, b.id))
      .map((e) => e.id);
    expect(catalog.search({ sort: 'size' }).items.map((e) => e.id)).toEqual(expected);
    expect(catalog.search({ sort: 'size', direction: 'desc' }).items.map((e) => e.id)).toEqual([...expected].reverse());
    expect(catalog.search({ kind: 'dataset', text: 'REPO 3' }).total).toBe(107);
    expect(catalog.search().items.map((e) => e.id)).toEqual(catalog.listEntries().map((e) => e.id));
    expect(catalog.listEntries({ kind: 'model' })).toHaveLength(750);
  });

  it('lists entries with filters, including all revisions of one repo', () => {
    add('org/a', 'A');
    catalog.addEntry({ kind: 'model', repoId: 'org/a', revision: 'dev', displayName: 'A dev', status: 'ready' });
    add('org/b', 'B', { kind: 'dataset' });
    expect(catalog.listEntries({ repoId: 'org/a' }).map((e) => e.revision)).toEqual(['main', 'dev']);
    expect(catalog.listEntries({ statuses: ['ready'] }).map((e) => e.displayName)).toEqual(['A dev']);
    expect(catalog.listEntries({ kind: 'dataset' }).map((e) => e.displayName)).toEqual(['B']);
  });

  it('validates the query', () => {
    expect(() => catalog.search({ sort: 'stars' as never })).toThrow(/Invalid sort/);
    expect(() => catalog.search({ direction: 'up' as never })).toThrow(/direction/);
    expect(() => catalog.search({ offset: -1 })).toThrow(/offset/);
    expect(() => catalog.search({ limit: 1.5 })).toThrow(/limit/);
    expect(() => catalog.search({ kind: 'space' as never })).toThrow(/kind/);
    expect(() => catalog.search({ statuses: ['nope' as never] })).toThrow(/status/);
  });

  it('folds the same way for keys and queries', () => {
    expect(foldForSearch('ǄEMAL')).toBe(foldForSearch('džemal'));
    expect(foldForSearch('ﬁne')).toBe('fine');
  });
});
