import type { EntryStatus, SortDirection, SortKey } from '../core/catalog/types';
import type { RepoKind } from '../core/repo';
import { HUB_SORTS } from '../shared/protocol';
import { CACHE_SORTS, DEFAULT_CACHE_QUERY, type CacheQuery } from './cacheModel';
import { DEFAULT_FILTER, type CatalogFilter } from './catalogModel';
import { DEFAULT_HUB_QUERY, type HubQuery } from './hubView';

export const TAB_IDS = ['catalog', 'hub', 'cache'] as const;
export type Tab = (typeof TAB_IDS)[number];
export type Page =
  | { readonly type: 'detail'; readonly entryId: string }
  | { readonly type: 'plan'; readonly kind: RepoKind; readonly repoId: string; readonly revision: string };

/** What the page remembers across reloads and window restarts (VS Code keeps it with the panel). */
export interface PersistedState {
  readonly version: 1;
  readonly tab: Tab;
  readonly page: Page | null;
  readonly catalog: CatalogFilter;
  readonly hub: HubQuery;
  readonly cache: CacheQuery;
}

export const DEFAULT_STATE: PersistedState = { version: 1, tab: 'catalog', page: null, catalog: DEFAULT_FILTER, hub: DEFAULT_HUB_QUERY, cache: DEFAULT_CACHE_QUERY };

const STATUSES: readonly EntryStatus[] = ['queued', 'downloading', 'paused', 'ready', 'error', 'cancelled', 'missing'];
const SORTS: readonly SortKey[] = ['name', 'size', 'updated'];
const DIRECTIONS: readonly SortDirection[] = ['asc', 'desc'];

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function text(value: unknown, max: number): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Reads saved state defensively: an older or damaged state falls back to defaults field by field. */
export function restoreState(raw: unknown): PersistedState {
  const s = record(raw);
  const c = record(s.catalog);
  const hub = record(s.hub);
  const cache = record(s.cache);
  const p = record(s.page);
  let page: Page | null = null;
  if (p.type === 'detail' && typeof p.entryId === 'string' && p.entryId !== '') page = { type: 'detail', entryId: p.entryId.slice(0, 64) };
  if (p.type === 'plan' && typeof p.repoId === 'string' && p.repoId !== '') {
    page = { type: 'plan', kind: pick(p.kind, ['model', 'dataset'], 'model'), repoId: p.repoId.slice(0, 200), revision: text(p.revision, 255) || 'main' };
  }
  return {
    version: 1,
    tab: pick(s.tab, TAB_IDS, 'catalog'),
    page,
    catalog: {
      text: text(c.text, 200),
      kind: pick(c.kind, ['all', 'model', 'dataset'], 'all'),
      statuses: Array.isArray(c.statuses) ? STATUSES.filter((st) => (c.statuses as unknown[]).includes(st)) : [],
      sort: pick(c.sort, SORTS, 'name'),
      direction: pick(c.direction, DIRECTIONS, 'asc'),
    },
    hub: {
      kind: pick(hub.kind, ['model', 'dataset'], 'model'),
      text: text(hub.text, 200),
      sort: pick(hub.sort, HUB_SORTS, 'downloads'),
    },
    cache: { sort: pick(cache.sort, CACHE_SORTS, 'size'), filter: text(cache.filter, 200) },
  };
}
