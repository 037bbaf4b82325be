import type { CacheInventory, InventoryPartial, InventoryRepo, InventoryRevision } from '../core/cacheInventory';
import { formatBytes } from '../core/progress';
import type { CacheRowAction } from '../shared/protocol';
import type { EntryItemModel, IconModel } from './entryView';
import { md } from './entryView';

/**
 * How the Cache view shows the Hugging Face cache, as plain data (the same shape as a catalog row): cacheTree.ts only
 * turns these into TreeItems, so every row is rendered and tested here without VS Code.
 */
export type CacheItemModel = EntryItemModel;

export const CACHE_SORTS = ['size', 'name', 'lastUsed'] as const;
export type CacheSort = (typeof CACHE_SORTS)[number];

export const CACHE_SORT_LABELS: Readonly<Record<CacheSort, string>> = { size: 'Size', name: 'Name', lastUsed: 'Last Used' };

const KIND_ICONS: Readonly<Record<InventoryRepo['kind'], IconModel>> = {
  model: { id: 'symbol-class' },
  dataset: { id: 'database' },
  space: { id: 'rocket' },
};

export function repoKey(repo: Pick<InventoryRepo, 'kind' | 'repoId'>): string {
  return `${repo.kind}:${repo.repoId}`;
}

/** Biggest first, A→Z, or most recently used first; ties broken by name so the order never flickers. */
export function sortRepos(repos: readonly InventoryRepo[], sort: CacheSort): InventoryRepo[] {
  const byName = (a: InventoryRepo, b: InventoryRepo): number => compare(a.repoId.toLowerCase(), b.repoId.toLowerCase()) || compare(a.kind, b.kind);
  const order = {
    size: (a: InventoryRepo, b: InventoryRepo) => b.sizeOnDisk - a.sizeOnDisk || byName(a, b),
    name: byName,
    lastUsed: (a: InventoryRepo, b: InventoryRepo) => finite(b.lastAccessed) - finite(a.lastAccessed) || byName(a, b),
  }[sort];
  return [...repos].sort(order);
}

/** Repos whose id or kind contains every word of the filter, case-insensitively. */
export function filterRepos(repos: readonly InventoryRepo[], text: string): InventoryRepo[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...repos];
  return repos.filter((r) => {
    const haystack = `${r.kind}/${r.repoId}`.toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** The view's header: the cache's total, its partial downloads, and the Xet chunk cache apart. */
export function headerText(inventory: Pick<CacheInventory, 'repos' | 'sizeOnDisk' | 'partialBytes' | 'xet'>): string {
  const parts = [`${formatBytes(inventory.sizeOnDisk)} in ${inventory.repos.length} repo${inventory.repos.length === 1 ? '' : 's'}`];
  if (inventory.partialBytes > 0) parts.push(`${formatBytes(inventory.partialBytes)} partial`);
  if (inventory.xet) parts.push(`Xet ${formatBytes(inventory.xet.bytes)}`);
  return parts.join(' · ');
}

/** "this workspace", "2 other catalogs", "this workspace, 1 other catalog", or "no catalog" (another tool's). */
export function heldByText(revisions: readonly Pick<InventoryRevision, 'entries' | 'otherCatalogs'>[]): string {
  const here = revisions.some((r) => r.entries.length > 0);
  const others = new Set(revisions.flatMap((r) => r.otherCatalogs.map((c) => c.catalog))).size;
  const parts = [...(here ? ['this workspace'] : []), ...(others > 0 ? [`${others} other catalog${others === 1 ? '' : 's'}`] : [])];
  return parts.length > 0 ? parts.join(', ') : 'no catalog';
}

/** What a repo row allows: the tree's menus (through its context tokens) and the panel's buttons both follow this. */
export function repoActions(_repo: InventoryRepo): CacheRowAction[] {
  return ['deleteRepo'];
}

/** What a revision row allows: Add to Catalog only for a model or dataset no entry here holds yet. */
export function revisionActions(repo: InventoryRepo, revision: InventoryRevision): CacheRowAction[] {
  const adoptable = repo.kind !== 'space' && revision.entries.length === 0;
  return [...(adoptable ? (['addToCatalog'] as const) : []), 'verify', 'deleteRevision'];
}

const ACTION_TOKENS: Readonly<Record<CacheRowAction, string>> = { addToCatalog: 'canAdopt', verify: 'canVerify', deleteRevision: 'canDelete', deleteRepo: 'canDelete' };

export function repoItem(repo: InventoryRepo): CacheItemModel {
  const revisions = repo.revisions.length;
  const partialBytes = repo.partials.reduce((s, p) => s + p.size, 0);
  const description = [
    repo.kind,
    formatBytes(repo.sizeOnDisk),
    `${revisions} revision${revisions === 1 ? '' : 's'}`,
    ...(repo.partials.length > 0 ? [`${formatBytes(partialBytes)} partial`] : []),
    heldByText(repo.revisions),
  ].join(' · ');
  const tooltip = [
    `**${md(repo.repoId)}** (${repo.kind})`,
    '',
    `${formatBytes(repo.sizeOnDisk)} on disk (each blob counted once) · ${repo.nbFiles} blob${repo.nbFiles === 1 ? '' : 's'}`,
    `Held by: ${heldByText(repo.revisions)}`,
    `Last modified ${dateText(repo.lastModified)} · last used ${dateText(repo.lastAccessed)}`,
    ...(repo.partials.length > 0 ? [`${repo.partials.length} partial download${repo.partials.length === 1 ? '' : 's'}, ${formatBytes(partialBytes)}`] : []),
    '',
    `\`${md(repo.path)}\``,
  ].join('\n\n');
  const tokens = ['mistudio.cacheRepo', `kind:${repo.kind}`, ...(repo.revisions.some((r) => r.entries.length > 0) ? ['heldHere'] : []), ...repoActions(repo).map((a) => ACTION_TOKENS[a])];
  return {
    id: `cache/${repoKey(repo)}`,
    label: repo.repoId,
    description,
    tooltip,
    icon: KIND_ICONS[repo.kind],
    contextValue: tokens.join(';'),
    collapsible: revisions > 0 || repo.partials.length > 0,
  };
}

export function revisionItem(repo: InventoryRepo, revision: InventoryRevision): CacheItemModel {
  const name = revision.refs.length > 0 ? revision.refs.join(', ') : 'detached';
  const description = [revision.commit.slice(0, 8), formatBytes(revision.sizeOnDisk), `${revision.nbFiles} file${revision.nbFiles === 1 ? '' : 's'}`, heldByText([revision])].join(' · ');
  const holders = [
    ...revision.entries.map((e) => `this workspace (${e.revision}, ${e.status})`),
    ...revision.otherCatalogs.map((c) => `\`${md(c.catalog)}\` (${md(c.revision)})`),
  ];
  const tooltip = [
    `**${md(repo.repoId)}** at \`${revision.commit}\``,
    revision.refs.length > 0 ? `Refs: ${revision.refs.map(md).join(', ')}` : 'Detached: no branch, tag or PR names this commit in the cache',
    `${formatBytes(revision.sizeOnDisk)} on disk · ${revision.nbFiles} file${revision.nbFiles === 1 ? '' : 's'} · modified ${dateText(revision.lastModified)}`,
    holders.length > 0 ? `Held by: ${holders.join(', ')}` : 'Held by no catalog (another tool downloaded it)',
    `\`${md(revision.snapshotPath)}\``,
  ].join('\n\n');
  const tokens = ['mistudio.cacheRevision', `kind:${repo.kind}`, ...(revision.entries.length > 0 ? ['heldHere'] : []), ...revisionActions(repo, revision).map((a) => ACTION_TOKENS[a]), 'canReveal'];
  return {
    id: `cache/${repoKey(repo)}/${revision.commit}`,
    label: name,
    description,
    tooltip,
    icon: { id: revision.refs.length > 0 ? 'git-commit' : 'debug-disconnect', ...(revision.refs.length > 0 ? {} : { color: 'descriptionForeground' }) },
    contextValue: tokens.join(';'),
    collapsible: false,
  };
}

export function partialsItem(repo: InventoryRepo): CacheItemModel {
  const bytes = repo.partials.reduce((s, p) => s + p.size, 0);
  const orphans = repo.partials.filter((p) => p.heldBy === null).length;
  return {
    id: `cache/${repoKey(repo)}/partials`,
    label: `${repo.partials.length} partial download${repo.partials.length === 1 ? '' : 's'}`,
    description: [formatBytes(bytes), ...(orphans > 0 ? [`${orphans} nobody can resume`] : [])].join(' · '),
    tooltip: 'Unfinished downloads in this repo\'s blobs folder. Prune removes those nobody can resume.',
    icon: { id: 'loading', color: 'descriptionForeground' },
    contextValue: 'mistudio.cachePartials',
    collapsible: true,
  };
}

const OWNERS: Readonly<Record<InventoryPartial['owner'], string>> = { ours: 'MechInterp Studio', legacy: 'an older download', foreign: 'huggingface_hub' };

export function partialItem(repo: InventoryRepo, partial: InventoryPartial): CacheItemModel {
  const holder = partial.heldBy === 'this-catalog' ? 'resumable here' : partial.heldBy === 'other-catalog' ? 'resumable by another catalog' : 'nobody can resume it';
  return {
    id: `cache/${repoKey(repo)}/partial/${partial.path}`,
    label: `${partial.blobId.slice(0, 12)}…`,
    description: [formatBytes(partial.size), OWNERS[partial.owner], holder].join(' · '),
    tooltip: `\`${md(partial.path)}\``,
    icon: partial.heldBy === null ? { id: 'file', color: 'descriptionForeground' } : { id: 'file' },
    contextValue: `mistudio.cachePartial;owner:${partial.owner}`,
    collapsible: false,
  };
}

function dateText(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : 'unknown';
}

function finite(ms: number): number {
  return Number.isFinite(ms) ? ms : 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
