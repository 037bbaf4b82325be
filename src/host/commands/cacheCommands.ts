import * as vscode from 'vscode';
import type { InventoryRepo, InventoryRevision } from '../../core/cacheInventory';
import { formatBytes } from '../../core/progress';
import type { CatalogEntry } from '../../core/catalog';
import type { CacheActionResult, CacheTarget, VerifyReport } from '../../core/studioTypes';
import { parseDeleteOptions } from '../commandArgs';
import { reposSubject, revisionsSubject, type CacheRevisionTarget } from '../actions/cacheActions';
import type { CacheNode } from '../cacheTree';
import { CACHE_SORTS, CACHE_SORT_LABELS, heldByText, repoKey, sortRepos } from '../cacheView';
import type { CommandContext } from './context';

/** Reads the cache again. */
export async function refreshCache(ctx: CommandContext): Promise<void> {
  await ctx.cache.provider.refresh();
}

/** Filters the Cache view as you type; Escape puts back the filter there was. */
export async function filterCache(ctx: CommandContext): Promise<void> {
  const { provider } = ctx.cache;
  const before = provider.filter;
  const input = vscode.window.createInputBox();
  input.title = 'Filter the Cache view';
  input.placeholder = 'Words of the repo id, e.g. "gemma 2b" or "dataset/"';
  input.value = before;
  let accepted = false;
  const done = new Promise<void>((resolve) => {
    input.onDidChangeValue((value) => provider.setFilter(value));
    input.onDidAccept(() => {
      accepted = true;
      input.hide();
    });
    input.onDidHide(() => {
      if (!accepted) provider.setFilter(before);
      input.dispose();
      resolve();
    });
  });
  input.show();
  await done;
}

export function clearCacheFilter(ctx: CommandContext): void {
  ctx.cache.provider.setFilter('');
}

export async function sortCache(ctx: CommandContext): Promise<void> {
  const current = ctx.cache.provider.sort;
  const items = CACHE_SORTS.map((sort) => ({ label: CACHE_SORT_LABELS[sort], description: sort === current ? 'current' : '', sort }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Sort the Cache view by', placeHolder: 'Biggest first, A to Z, or most recently used first' });
  if (picked) ctx.cache.provider.setSort(picked.sort);
}

export async function addToCatalog(ctx: CommandContext, args: readonly unknown[]): Promise<CatalogEntry | undefined> {
  const picked = await revisionFor(ctx, args[0], 'Add to Catalog', (repo, revision) => repo.kind !== 'space' && revision.entries.length === 0);
  return picked ? ctx.cacheActions.addToCatalog(picked) : undefined;
}

/** Resolves with the report at once; damaged files are named in a notification that offers Repair. */
export async function verifyRevision(ctx: CommandContext, args: readonly unknown[]): Promise<VerifyReport | undefined> {
  const picked = await revisionFor(ctx, args[0], 'Verify');
  return picked ? ctx.cacheActions.verifyAndOfferRepair(picked, (err) => void ctx.errors.report(err, { repoId: picked.repoId })) : undefined;
}

export async function revealCachedRevision(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const node = cacheNodeOf(args[0]);
  const found = node && ctx.cache.provider.revisionOf(node);
  if (found) await ctx.ui.reveal(found.revision.snapshotPath);
}

/**
 * Delete Revision from Disk: the clicked revision, every selected revision, or one picked from the palette. Scripts
 * (and tests) may pass `{ ...node, confirm: false }` to skip the confirmation.
 */
export async function deleteRevisionFromDisk(ctx: CommandContext, args: readonly unknown[]): Promise<CacheActionResult | undefined> {
  const selected = selectedNodes(args).filter((n) => n.type === 'cacheRevision');
  const found = selected.map((n) => ctx.cache.provider.revisionOf(n)).filter((f): f is { repo: InventoryRepo; revision: InventoryRevision } => f !== undefined);
  const targets: CacheRevisionTarget[] = found.length > 0 ? found.map(({ repo, revision }) => toTarget(repo, revision)) : [];
  if (targets.length === 0) {
    const picked = await revisionFor(ctx, undefined, 'Delete Revision from Disk');
    if (!picked) return undefined;
    targets.push(picked);
  }
  return ctx.cacheActions.deleteFromDisk(targets.map((t): CacheTarget => ({ kind: t.kind, repoId: t.repoId, revision: t.commit })), revisionsSubject(targets), parseDeleteOptions(args));
}

/** Delete Repo from Disk: every revision of the clicked or selected repos, or of one picked from the palette. */
export async function deleteRepoFromDisk(ctx: CommandContext, args: readonly unknown[]): Promise<CacheActionResult | undefined> {
  const repos = selectedNodes(args)
    .filter((n) => n.type === 'cacheRepo')
    .map((n) => ctx.cache.provider.repo(n.key))
    .filter((r): r is InventoryRepo => r !== undefined);
  if (repos.length === 0) {
    const picked = await pickRepo(ctx);
    if (!picked) return undefined;
    repos.push(picked);
  }
  return ctx.cacheActions.deleteFromDisk(repos.map((r): CacheTarget => ({ kind: r.kind, repoId: r.repoId })), reposSubject(repos), parseDeleteOptions(args));
}

export async function pruneCache(ctx: CommandContext, args: readonly unknown[]): Promise<CacheActionResult | undefined> {
  return ctx.cacheActions.prune(parseDeleteOptions(args));
}

function toTarget(repo: InventoryRepo, revision: InventoryRevision): CacheRevisionTarget {
  return { kind: repo.kind, repoId: repo.repoId, commit: revision.commit, refs: revision.refs };
}

/** The clicked node and, for a multi-selection, every selected one (VS Code passes them as the second argument). */
function selectedNodes(args: readonly unknown[]): CacheNode[] {
  const many = Array.isArray(args[1]) ? args[1].map(cacheNodeOf).filter((n): n is CacheNode => n !== undefined) : [];
  if (many.length > 0) return many;
  const one = cacheNodeOf(args[0]);
  return one ? [one] : [];
}

function cacheNodeOf(value: unknown): CacheNode | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { type?: unknown; key?: unknown; commit?: unknown; path?: unknown };
  if (typeof v.key !== 'string') return undefined;
  if (v.type === 'cacheRepo' || v.type === 'cachePartials') return { type: v.type, key: v.key };
  if (v.type === 'cacheRevision' && typeof v.commit === 'string') return { type: 'cacheRevision', key: v.key, commit: v.commit };
  if (v.type === 'cachePartial' && typeof v.path === 'string') return { type: 'cachePartial', key: v.key, path: v.path };
  return undefined;
}

/** The revision a tree row names, else one picked among those that allow the action. */
async function revisionFor(
  ctx: CommandContext,
  arg: unknown,
  title: string,
  allows: (repo: InventoryRepo, revision: InventoryRevision) => boolean = () => true,
): Promise<CacheRevisionTarget | undefined> {
  const node = cacheNodeOf(arg);
  const found = node && ctx.cache.provider.revisionOf(node);
  if (found) return toTarget(found.repo, found.revision);
  const repos = await inventoryRepos(ctx);
  const items = repos.flatMap((repo) =>
    repo.revisions
      .filter((revision) => allows(repo, revision))
      .map((revision) => ({
        label: `${repo.repoId}@${revision.refs[0] ?? revision.commit.slice(0, 8)}`,
        description: [repo.kind, formatBytes(revision.sizeOnDisk), heldByText([revision])].join(' · '),
        target: toTarget(repo, revision),
      })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`Nothing in the cache to ${title.toLowerCase()}.`);
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'Choose a cached revision', matchOnDescription: true }))?.target;
}

async function pickRepo(ctx: CommandContext): Promise<InventoryRepo | undefined> {
  const repos = await inventoryRepos(ctx);
  if (repos.length === 0) {
    void vscode.window.showInformationMessage('The Hugging Face cache is empty.');
    return undefined;
  }
  const items = repos.map((repo) => ({ label: repo.repoId, description: [repo.kind, formatBytes(repo.sizeOnDisk), heldByText(repo.revisions)].join(' · '), key: repoKey(repo) }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Delete Repo from Disk', placeHolder: 'Choose a cached repo', matchOnDescription: true });
  return picked ? ctx.cache.provider.repo(picked.key) : undefined;
}

async function inventoryRepos(ctx: CommandContext): Promise<InventoryRepo[]> {
  const { provider } = ctx.cache;
  if (!provider.current) await provider.refresh();
  return sortRepos(provider.current?.repos ?? [], provider.sort);
}
