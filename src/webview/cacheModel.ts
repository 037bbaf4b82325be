import type { CachePartialRow, CacheReposBatch, CacheRepoRow, CacheRevisionRow, CacheScanProgress, CacheSummary } from '../shared/protocol';

export const CACHE_SORTS = ['size', 'name', 'lastUsed'] as const;
export type CacheSort = (typeof CACHE_SORTS)[number];

export interface CacheQuery {
  readonly sort: CacheSort;
  /** Words of the repo id or kind, as typed. */
  readonly filter: string;
}

export const DEFAULT_CACHE_QUERY: CacheQuery = { sort: 'size', filter: '' };

/** One line of the flattened tree: a repo, or (expanded) one of its revisions or partial downloads. */
export type CacheLine =
  | { readonly type: 'repo'; readonly key: string; readonly repo: CacheRepoRow; readonly position: number; readonly setSize: number }
  | { readonly type: 'revision'; readonly key: string; readonly repo: CacheRepoRow; readonly revision: CacheRevisionRow; readonly position: number; readonly setSize: number }
  | { readonly type: 'partial'; readonly key: string; readonly repo: CacheRepoRow; readonly partial: CachePartialRow; readonly position: number; readonly setSize: number };

export function cacheRepoKey(repo: Pick<CacheRepoRow, 'kind' | 'repoId'>): string {
  return `${repo.kind}:${repo.repoId}`;
}

/** What each sort orders by, biggest first; none: by name alone. */
const SORT_KEYS: Readonly<Record<CacheSort, ((row: CacheRepoRow) => number) | undefined>> = {
  size: (row) => row.sizeOnDisk,
  name: undefined,
  lastUsed: (row) => row.lastAccessed,
};

/** Biggest first, A→Z, or most recently used first, ties by name then kind: the Cache tree's order. */
export function sortCacheRows(rows: readonly CacheRepoRow[], sort: CacheSort): CacheRepoRow[] {
  const descending = SORT_KEYS[sort];
  const byName = (a: CacheRepoRow, b: CacheRepoRow): number => codeUnitOrder(a.repoId.toLowerCase(), b.repoId.toLowerCase()) || codeUnitOrder(a.kind, b.kind);
  return [...rows].sort((a, b) => (descending ? descending(b) - descending(a) : 0) || byName(a, b));
}

/** Rows whose `kind/repoId` contains every word typed, case-insensitively: the Cache tree's filter. */
export function filterCacheRows(rows: readonly CacheRepoRow[], text: string): CacheRepoRow[] {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w !== '');
  return rows.filter((row) => {
    const name = `${row.kind}/${row.repoId}`.toLowerCase();
    return words.every((w) => name.includes(w));
  });
}

/**
 * The Cache tab's data: every repo the host has read, the scan in progress, the sort and filter, and which repos are
 * expanded, flattened into the lines the virtual list shows. A new scan keeps the last one's repos on screen until it
 * ends, then shows exactly what it read (repos gone from disk drop out).
 */
export class CacheModel {
  private rows = new Map<string, CacheRepoRow>();
  private scanRows: Map<string, CacheRepoRow> | undefined;
  private scanId: number | undefined;
  private readonly expanded = new Set<string>();
  private flattened: CacheLine[] = [];
  private shownRepos = 0;
  private queryValue: CacheQuery;
  private summaryValue: CacheSummary | undefined;
  private progressValue: CacheScanProgress | undefined;

  constructor(query: CacheQuery = DEFAULT_CACHE_QUERY) {
    this.queryValue = query;
  }

  get query(): CacheQuery {
    return this.queryValue;
  }

  /** The last finished scan's totals, until the next one finishes. */
  get summary(): CacheSummary | undefined {
    return this.summaryValue;
  }

  /** How far the running scan got; undefined when none runs. */
  get progress(): CacheScanProgress | undefined {
    return this.progressValue;
  }

  get scanning(): boolean {
    return this.scanRows !== undefined;
  }

  get repoCount(): number {
    return this.rows.size;
  }

  /** Repos that pass the filter. */
  get matchCount(): number {
    return this.shownRepos;
  }

  get lineCount(): number {
    return this.flattened.length;
  }

  lineAt(index: number): CacheLine | undefined {
    return this.flattened[index];
  }

  indexOfKey(key: string): number {
    return this.flattened.findIndex((line) => line.key === key);
  }

  isExpanded(repoKey: string): boolean {
    return this.expanded.has(repoKey);
  }

  setQuery(patch: Partial<CacheQuery>): void {
    this.queryValue = { ...this.queryValue, ...patch };
    this.rebuild();
  }

  setExpanded(repoKey: string, expanded: boolean): void {
    if (expanded) this.expanded.add(repoKey);
    else this.expanded.delete(repoKey);
    this.rebuild();
  }

  beginScan(scanId: number): void {
    this.scanId = scanId;
    this.scanRows = new Map();
    this.progressValue = { reposDone: 0, reposTotal: 0, filesScanned: 0 };
  }

  /** Repos of the running scan; false when the batch belongs to another scan (a superseded one). */
  applyBatch(batch: CacheReposBatch): boolean {
    if (batch.scanId !== this.scanId || !this.scanRows) return false;
    for (const repo of batch.repos) {
      const key = cacheRepoKey(repo);
      this.scanRows.set(key, repo);
      this.rows.set(key, repo);
    }
    this.progressValue = batch.progress;
    this.rebuild();
    return true;
  }

  endScan(scanId: number, summary: CacheSummary): void {
    if (scanId !== this.scanId || !this.scanRows) return;
    this.rows = this.scanRows;
    this.scanRows = undefined;
    this.progressValue = undefined;
    this.summaryValue = summary;
    for (const key of [...this.expanded]) if (!this.rows.has(key)) this.expanded.delete(key);
    this.rebuild();
  }

  /** The scan failed or was superseded: what was read so far stays on screen. */
  abandonScan(scanId: number): void {
    if (scanId !== this.scanId) return;
    this.scanRows = undefined;
    this.progressValue = undefined;
  }

  private rebuild(): void {
    const repos = sortCacheRows(filterCacheRows([...this.rows.values()], this.queryValue.filter), this.queryValue.sort);
    const lines: CacheLine[] = [];
    for (const [i, repo] of repos.entries()) {
      const key = cacheRepoKey(repo);
      lines.push({ type: 'repo', key, repo, position: i + 1, setSize: repos.length });
      if (!this.expanded.has(key)) continue;
      const children = repo.revisions.length + repo.partials.length;
      for (const [j, revision] of repo.revisions.entries()) {
        lines.push({ type: 'revision', key: `${key}@${revision.commit}`, repo, revision, position: j + 1, setSize: children });
      }
      for (const [j, partial] of repo.partials.entries()) {
        lines.push({ type: 'partial', key: `${key}#${partial.blobId}`, repo, partial, position: repo.revisions.length + j + 1, setSize: children });
      }
    }
    this.flattened = lines;
    this.shownRepos = repos.length;
  }
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
