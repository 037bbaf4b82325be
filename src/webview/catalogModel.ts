import type { EntryStatus, SortDirection, SortKey } from '../core/catalog/types';
import type { RepoKind } from '../core/repo';
import type { EntryRow, ProgressRow, UpdateBatch } from '../shared/protocol';
import { isCancelledError, type HostClient } from './client';

export interface CatalogFilter {
  readonly text: string;
  readonly kind: RepoKind | 'all';
  /** Empty: every status. */
  readonly statuses: readonly EntryStatus[];
  readonly sort: SortKey;
  readonly direction: SortDirection;
}

export const DEFAULT_FILTER: CatalogFilter = { text: '', kind: 'all', statuses: [], sort: 'name', direction: 'asc' };

const ACTIVE: ReadonlySet<EntryStatus> = new Set(['downloading', 'queued']);

/**
 * The catalog as the list sees it: the host holds every entry and searches them; this model keeps only a window of
 * rows around what is on screen, asks for another window when the list scrolls past it, and re-asks when live
 * updates say the catalog changed. Responses to a superseded filter are dropped, so typing fast never shows stale
 * results.
 */
export class CatalogModel {
  private filterValue: CatalogFilter;
  private generation = 0;
  private windowOffset = 0;
  private windowItems: EntryRow[] = [];
  private totalCount = 0;
  private loadedGeneration = -1;
  private wantedFirst = 0;
  private wantedLast = 0;
  private inFlight: AbortController | undefined;
  private again = false;
  private stale = false;
  /** No query goes out before the ready handshake has been answered. */
  private started = false;
  private readonly progressById = new Map<string, ProgressRow>();
  private readonly listeners = new Set<() => void>();
  private readonly errorListeners = new Set<(message: string) => void>();
  private readonly overscan: number;

  constructor(
    private readonly client: HostClient,
    filter: CatalogFilter = DEFAULT_FILTER,
    options: { overscan?: number } = {},
  ) {
    this.filterValue = filter;
    this.overscan = options.overscan ?? 40;
  }

  get filter(): CatalogFilter {
    return this.filterValue;
  }

  /** Matches of the current filter, as last reported by the host. */
  get total(): number {
    return this.totalCount;
  }

  /** True once the host has answered for the current filter. */
  get loaded(): boolean {
    return this.loadedGeneration === this.generation;
  }

  rowAt(index: number): EntryRow | undefined {
    return this.windowItems[index - this.windowOffset];
  }

  indexOf(entryId: string): number {
    const i = this.windowItems.findIndex((r) => r.id === entryId);
    return i < 0 ? -1 : i + this.windowOffset;
  }

  progressOf(entryId: string): ProgressRow | undefined {
    return this.progressById.get(entryId);
  }

  /** Bytes a second over everything downloading now. */
  totalRate(): number {
    let rate = 0;
    for (const p of this.progressById.values()) if (p.fraction < 1) rate += p.bytesPerSecond;
    return rate;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onError(listener: (message: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  setFilter(patch: Partial<CatalogFilter>): void {
    const next = { ...this.filterValue, ...patch };
    if (sameFilter(next, this.filterValue)) return;
    this.filterValue = next;
    this.generation++;
    this.inFlight?.abort();
    this.inFlight = undefined;
    // A new filter starts at the top, showing as many rows as before.
    const span = this.wantedLast - this.wantedFirst;
    this.wantedFirst = 0;
    this.wantedLast = Math.max(0, span);
    this.fetch();
  }

  /** The rows on screen now (inclusive); fetches a window around them if they are not loaded. */
  setVisibleRange(first: number, last: number): void {
    this.wantedFirst = Math.max(0, first);
    this.wantedLast = Math.max(this.wantedFirst, last);
    if (!this.covers()) this.fetch();
  }

  /** Progress of everything downloading, from the snapshot. */
  resetProgress(rows: readonly ProgressRow[]): void {
    this.progressById.clear();
    for (const p of rows) this.progressById.set(p.entryId, p);
    this.emit();
  }

  /** Starts asking the host (after the ready handshake), or asks again. */
  reload(): void {
    this.started = true;
    this.stale = true;
    this.fetch();
  }

  applyUpdate(batch: UpdateBatch): void {
    for (const p of batch.progress) this.progressById.set(p.entryId, p);
    for (const row of batch.changed) {
      if (!ACTIVE.has(row.status)) this.progressById.delete(row.id);
      const i = this.windowItems.findIndex((r) => r.id === row.id);
      if (i >= 0) this.windowItems[i] = row;
    }
    for (const id of batch.removed) this.progressById.delete(id);
    // A change can move an entry in or out of the filter or change its place in the order: ask for the window again.
    if (batch.changed.length > 0 || batch.removed.length > 0) {
      this.stale = true;
      this.fetch();
    }
    this.emit();
  }

  dispose(): void {
    this.inFlight?.abort();
    this.listeners.clear();
    this.errorListeners.clear();
  }

  private covers(): boolean {
    if (!this.loaded || this.stale) return false;
    const last = Math.min(this.wantedLast, this.totalCount - 1);
    if (last < this.wantedFirst) return true; // nothing on screen to load
    return this.wantedFirst >= this.windowOffset && last < this.windowOffset + this.windowItems.length;
  }

  private fetch(): void {
    if (!this.started) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const generation = this.generation;
    const offset = Math.max(0, this.wantedFirst - this.overscan);
    const limit = Math.min(500, this.wantedLast - this.wantedFirst + 1 + 2 * this.overscan);
    const f = this.filterValue;
    const controller = new AbortController();
    this.inFlight = controller;
    this.again = false;
    this.stale = false;
    let succeeded = false;
    this.client
      .request(
        'query',
        {
          text: f.text,
          sort: f.sort,
          direction: f.direction,
          offset,
          limit,
          ...(f.kind !== 'all' ? { kind: f.kind } : {}),
          ...(f.statuses.length > 0 ? { statuses: [...f.statuses] } : {}),
        },
        { signal: controller.signal },
      )
      .then(
        (result) => {
          if (generation !== this.generation) return;
          succeeded = true;
          this.windowOffset = result.offset;
          this.windowItems = [...result.items];
          this.totalCount = result.total;
          this.loadedGeneration = generation;
          this.emit();
        },
        (err: unknown) => {
          if (isCancelledError(err) || generation !== this.generation) return;
          const message = err instanceof Error ? err.message : String(err);
          for (const listener of [...this.errorListeners]) listener(message);
        },
      )
      .finally(() => {
        // A newer filter already started its own request.
        if (this.inFlight !== controller) return;
        this.inFlight = undefined;
        // More changes arrived, or the list scrolled past the new window, while this request ran. A failure is not
        // retried in a loop: the next change, scroll or filter asks again.
        if (this.again || (succeeded && !this.covers())) this.fetch();
      });
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function sameFilter(a: CatalogFilter, b: CatalogFilter): boolean {
  return (
    a.text === b.text &&
    a.kind === b.kind &&
    a.sort === b.sort &&
    a.direction === b.direction &&
    a.statuses.length === b.statuses.length &&
    a.statuses.every((s) => b.statuses.includes(s))
  );
}
