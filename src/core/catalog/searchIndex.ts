import type { RepoKind } from '../repo';
import type { EntryStatus, SortDirection, SortKey } from './types';

/** The fields search filters and sorts on, for one entry. Replaced, never mutated, so it can be found by its keys. */
export interface IndexedEntry {
  readonly id: string;
  readonly kind: RepoKind;
  readonly status: EntryStatus;
  /** Folded display name and folded repo id, NUL-separated (NUL cannot occur in either, nor in a query). */
  readonly haystack: string;
  readonly nameKey: string;
  readonly bytesTotal: number;
  readonly updatedAt: number;
}

export interface IndexQuery {
  kind?: RepoKind;
  /** An empty set matches nothing. */
  statuses?: ReadonlySet<EntryStatus>;
  /** Already folded; empty matches everything. */
  needle: string;
  sort: SortKey;
  direction: SortDirection;
  offset: number;
  /** -1: no limit. */
  limit: number;
}

type Compare = (a: IndexedEntry, b: IndexedEntry) => number;

// Code-unit order, like SQLite's BINARY collation, ending in the unique id: a total order, so paging is stable.
export const byName: Compare = (a, b) => (a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const COMPARE: Readonly<Record<SortKey, Compare>> = {
  name: byName,
  size: (a, b) => a.bytesTotal - b.bytesTotal || byName(a, b),
  updated: (a, b) => a.updatedAt - b.updatedAt || byName(a, b),
};
const SORT_KEYS = Object.keys(COMPARE) as SortKey[];

/**
 * An in-memory search index over the catalog's entries, kept sorted in every order the UI offers. A filtered, paged
 * search is one linear pass over an array already in the wanted order — a few milliseconds for 100,000 entries,
 * where SQLite (in WebAssembly, without case folding) would scan rows and sort.
 */
export class SearchIndex {
  private readonly byId = new Map<string, IndexedEntry>();
  private readonly orders = new Map<SortKey, IndexedEntry[]>();

  constructor(items: Iterable<IndexedEntry> = []) {
    this.reset(items);
  }

  get size(): number {
    return this.byId.size;
  }

  reset(items: Iterable<IndexedEntry>): void {
    this.byId.clear();
    for (const item of items) this.byId.set(item.id, item);
    // Sort by name once; Array.prototype.sort is stable, so the number sorts can skip the name tiebreak.
    const named = [...this.byId.values()].sort(byName);
    this.orders.set('name', named);
    this.orders.set('size', [...named].sort((a, b) => a.bytesTotal - b.bytesTotal));
    this.orders.set('updated', [...named].sort((a, b) => a.updatedAt - b.updatedAt));
  }

  /** Inserts, replaces or (with undefined) removes one entry. */
  put(id: string, item: IndexedEntry | undefined): void {
    const old = this.byId.get(id);
    if (old) {
      for (const key of SORT_KEYS) {
        const order = this.order(key);
        const at = lowerBound(order, old, COMPARE[key]);
        if (order[at] === old) order.splice(at, 1);
      }
      this.byId.delete(id);
    }
    if (!item) return;
    this.byId.set(id, item);
    for (const key of SORT_KEYS) {
      const order = this.order(key);
      order.splice(lowerBound(order, item, COMPARE[key]), 0, item);
    }
  }

  search(query: IndexQuery): { ids: string[]; total: number } {
    const order = this.order(query.sort);
    const end = query.limit < 0 ? Infinity : query.offset + query.limit;
    const ids: string[] = [];
    let total = 0;
    const visit = (item: IndexedEntry): void => {
      if (query.kind !== undefined && item.kind !== query.kind) return;
      if (query.statuses !== undefined && !query.statuses.has(item.status)) return;
      if (query.needle.length > 0 && !item.haystack.includes(query.needle)) return;
      if (total >= query.offset && total < end) ids.push(item.id);
      total += 1;
    };
    if (query.direction === 'asc') for (let i = 0; i < order.length; i++) visit(order[i] as IndexedEntry);
    else for (let i = order.length - 1; i >= 0; i--) visit(order[i] as IndexedEntry);
    return { ids, total };
  }

  get(id: string): IndexedEntry | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<IndexedEntry> {
    return this.byId.values();
  }

  private order(key: SortKey): IndexedEntry[] {
    let order = this.orders.get(key);
    if (!order) {
      order = [];
      this.orders.set(key, order);
    }
    return order;
  }
}

function lowerBound(order: readonly IndexedEntry[], item: IndexedEntry, compare: Compare): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(order[mid] as IndexedEntry, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
