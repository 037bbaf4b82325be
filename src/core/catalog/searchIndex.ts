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

/** An entry's place in the index: the entry and the number of its text in the concatenated search text. */
interface Slot {
  readonly item: IndexedEntry;
  /** Index into SearchText's starts; -1 until the search text is rebuilt with it. */
  text: number;
}

/**
 * Every entry's haystack in one string, NUL-separated (neither haystacks nor queries hold NUL, so no match spans
 * two entries). One native indexOf scan over it finds the matching entries far faster than 100,000 `includes`
 * calls, each paying a call and a string header per entry.
 */
interface SearchText {
  readonly text: string;
  /** starts[i] is where text i begins; one extra final element marks the end. */
  readonly starts: Int32Array;
}

/**
 * An in-memory search index over the catalog's entries, kept sorted in every order the UI offers. A filtered, paged
 * search marks the entries whose text matches, then walks an array already in the wanted order — a few
 * milliseconds for 100,000 entries, where SQLite (in WebAssembly, without case folding) would scan rows and sort.
 */
export class SearchIndex {
  private readonly byId = new Map<string, Slot>();
  private readonly orders = new Map<SortKey, Slot[]>();
  /** Rebuilt lazily after a haystack was added, removed or changed (status and size changes keep it). */
  private searchText: SearchText | undefined;
  private marks = new Uint8Array(0);

  constructor(items: Iterable<IndexedEntry> = []) {
    this.reset(items);
  }

  get size(): number {
    return this.byId.size;
  }

  reset(items: Iterable<IndexedEntry>): void {
    this.byId.clear();
    this.searchText = undefined;
    for (const item of items) this.byId.set(item.id, { item, text: -1 });
    this.orders.clear();
    // The panel opens sorted by name; the other orders are built when first asked for (50 ms each for 100,000
    // entries, which the catalog's open would otherwise pay for a sort nobody may choose).
    this.orders.set('name', [...this.byId.values()].sort(bySlotName));
  }

  /** Inserts, replaces or (with undefined) removes one entry. */
  put(id: string, item: IndexedEntry | undefined): void {
    const old = this.byId.get(id);
    if (old) {
      // Only the orders built so far; a lazy one is sorted from the current entries when first asked for.
      for (const [key, order] of this.orders) {
        const at = lowerBound(order, old.item, COMPARE[key]);
        if (order[at] === old) order.splice(at, 1);
      }
      this.byId.delete(id);
    }
    if (!item) {
      if (old) this.searchText = undefined;
      return;
    }
    // A download changes status and bytes many times, its text never: keep the search text then.
    const keepsText = old !== undefined && old.text >= 0 && old.item.haystack === item.haystack;
    if (!keepsText) this.searchText = undefined;
    const slot: Slot = { item, text: keepsText ? old.text : -1 };
    this.byId.set(id, slot);
    for (const [key, order] of this.orders) {
      order.splice(lowerBound(order, item, COMPARE[key]), 0, slot);
    }
  }

  search(query: IndexQuery): { ids: string[]; total: number } {
    const order = this.order(query.sort);
    const end = query.limit < 0 ? Infinity : query.offset + query.limit;
    if (query.needle.length === 0 && query.kind === undefined && query.statuses === undefined) {
      // Nothing to filter (the panel's first window): the page is a slice of the order.
      const total = order.length;
      const from = Math.min(query.offset, total);
      const to = Math.min(end, total);
      const ids: string[] = [];
      if (query.direction === 'asc') for (let i = from; i < to; i++) ids.push((order[i] as Slot).item.id);
      else for (let i = from; i < to; i++) ids.push((order[total - 1 - i] as Slot).item.id);
      return { ids, total };
    }
    const marks = query.needle.length > 0 ? this.markMatches(query.needle) : undefined;
    const ids: string[] = [];
    let total = 0;
    const visit = (slot: Slot): void => {
      if (marks !== undefined && marks[slot.text] !== 1) return;
      const item = slot.item;
      if (query.kind !== undefined && item.kind !== query.kind) return;
      if (query.statuses !== undefined && !query.statuses.has(item.status)) return;
      if (total >= query.offset && total < end) ids.push(item.id);
      total += 1;
    };
    if (query.direction === 'asc') for (let i = 0; i < order.length; i++) visit(order[i] as Slot);
    else for (let i = order.length - 1; i >= 0; i--) visit(order[i] as Slot);
    return { ids, total };
  }

  get(id: string): IndexedEntry | undefined {
    return this.byId.get(id)?.item;
  }

  *values(): IterableIterator<IndexedEntry> {
    for (const slot of this.byId.values()) yield slot.item;
  }

  /** Marks (with 1, by text number) every entry whose haystack contains the needle. */
  private markMatches(needle: string): Uint8Array {
    const { text, starts } = this.currentSearchText();
    const marks = this.marks;
    marks.fill(0);
    let from = 0;
    for (;;) {
      const at = text.indexOf(needle, from);
      if (at < 0) break;
      const n = textAt(starts, at);
      marks[n] = 1;
      // The rest of this entry's text cannot add anything: continue with the next entry.
      from = starts[n + 1] as number;
    }
    return marks;
  }

  private currentSearchText(): SearchText {
    if (this.searchText) return this.searchText;
    const parts: string[] = [];
    const starts = new Int32Array(this.byId.size + 1);
    let offset = 0;
    let n = 0;
    for (const slot of this.byId.values()) {
      slot.text = n;
      starts[n] = offset;
      parts.push(slot.item.haystack);
      offset += slot.item.haystack.length + 1;
      n += 1;
    }
    starts[n] = offset;
    // join() yields one flat string; indexOf on a rope would flatten it on every search.
    this.searchText = { text: parts.join('\u0000'), starts };
    if (this.marks.length < n) this.marks = new Uint8Array(n);
    return this.searchText;
  }

  private order(key: SortKey): Slot[] {
    let order = this.orders.get(key);
    if (!order) {
      // Array.prototype.sort is stable, so sorting the name order by a number keeps the name tiebreak.
      const named = key === 'name' ? [] : this.order('name');
      order = key === 'size' ? [...named].sort((a, b) => a.item.bytesTotal - b.item.bytesTotal) : key === 'updated' ? [...named].sort((a, b) => a.item.updatedAt - b.item.updatedAt) : named;
      this.orders.set(key, order);
    }
    return order;
  }
}

function bySlotName(a: Slot, b: Slot): number {
  const x = a.item;
  const y = b.item;
  return x.nameKey < y.nameKey ? -1 : x.nameKey > y.nameKey ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

/** The number of the text that holds position `at` (the last start at or before it). */
function textAt(starts: Int32Array, at: number): number {
  let lo = 0;
  let hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((starts[mid] as number) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function lowerBound(order: readonly Slot[], item: IndexedEntry, compare: Compare): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare((order[mid] as Slot).item, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
