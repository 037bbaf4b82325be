import { describe, expect, it } from 'vitest';
import { SearchIndex, byName, type IndexedEntry, type IndexQuery } from '../../../src/core/catalog/searchIndex';
import type { EntryStatus, SortKey } from '../../../src/core/catalog';

const STATUSES: EntryStatus[] = ['queued', 'downloading', 'ready', 'paused', 'error'];
const WORDS = ['gpt', 'pythia', 'sae', 'res', 'tiny', 'llama', 'ß', 'İx', 'a'];

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** What search must return, computed the slow obvious way over a plain list. */
function reference(items: readonly IndexedEntry[], q: IndexQuery): { ids: string[]; total: number } {
  const compare = (a: IndexedEntry, b: IndexedEntry): number =>
    q.sort === 'size' ? a.bytesTotal - b.bytesTotal || byName(a, b) : q.sort === 'updated' ? a.updatedAt - b.updatedAt || byName(a, b) : byName(a, b);
  const matching = items
    .filter((i) => (q.kind === undefined || i.kind === q.kind) && (q.statuses === undefined || q.statuses.has(i.status)) && i.haystack.includes(q.needle))
    .sort(compare);
  if (q.direction === 'desc') matching.reverse();
  const end = q.limit < 0 ? undefined : q.offset + q.limit;
  return { ids: matching.slice(q.offset, end).map((i) => i.id), total: matching.length };
}

describe('SearchIndex against a brute-force model', () => {
  it('agrees after random inserts, status changes, renames and removals, for every sort, filter and page', () => {
    const random = seeded(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const entry = (id: string): IndexedEntry => {
      const nameKey = `${pick(WORDS)}-${pick(WORDS)}-${Math.floor(random() * 50)}`;
      const repoKey = `org${Math.floor(random() * 5)}/${pick(WORDS)}`;
      return {
        id,
        kind: random() < 0.5 ? 'model' : 'dataset',
        status: pick(STATUSES),
        nameKey,
        haystack: `${nameKey}\u0000${repoKey}`,
        bytesTotal: Math.floor(random() * 20),
        updatedAt: Math.floor(random() * 20),
      };
    };
    const live = new Map<string, IndexedEntry>();
    for (let i = 0; i < 200; i++) live.set(`id-${i}`, entry(`id-${i}`));
    const index = new SearchIndex(live.values());
    let nextId = 200;
    for (let step = 0; step < 400; step++) {
      const roll = random();
      const ids = [...live.keys()];
      if (roll < 0.25 || ids.length === 0) {
        const id = `id-${nextId++}`;
        live.set(id, entry(id));
        index.put(id, live.get(id));
      } else if (roll < 0.55) {
        // A download's progress: same text, new status, size and time.
        const old = live.get(pick(ids)) as IndexedEntry;
        const changed = { ...old, status: pick(STATUSES), bytesTotal: Math.floor(random() * 20), updatedAt: Math.floor(random() * 20) };
        live.set(old.id, changed);
        index.put(old.id, changed);
      } else if (roll < 0.75) {
        const id = pick(ids);
        const renamed = entry(id);
        live.set(id, renamed);
        index.put(id, renamed);
      } else {
        const id = pick(ids);
        live.delete(id);
        index.put(id, undefined);
      }
      const query: IndexQuery = {
        needle: random() < 0.2 ? '' : pick(['gp', 'a', 's', '-1', 'org3/', 'zz', 'ss', 'i', 'res']),
        sort: pick<SortKey>(['name', 'size', 'updated']),
        direction: random() < 0.5 ? 'asc' : 'desc',
        offset: Math.floor(random() * 30),
        limit: random() < 0.1 ? -1 : Math.floor(random() * 40),
        ...(random() < 0.3 ? { kind: random() < 0.5 ? ('model' as const) : ('dataset' as const) } : {}),
        ...(random() < 0.3 ? { statuses: new Set([pick(STATUSES), pick(STATUSES)]) } : {}),
      };
      expect(index.search(query), `step ${step}: ${JSON.stringify({ ...query, statuses: query.statuses && [...query.statuses] })}`).toEqual(reference([...live.values()], query));
      expect(index.size).toBe(live.size);
    }
  });
});
