import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { describeError } from '../../core/errors';
import { entryPickItem } from './entryCommands';
import type { CommandContext } from './context';

/** Refresh: re-check the catalog against the cache (vanished files become `missing`) and repaint both views. */
export async function refresh(ctx: CommandContext): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'MechInterp Studio: checking the cache' }, async () => {
    try {
      const studio = await ctx.host.get();
      await studio.reconcile({ resumeInFlight: false });
    } catch (err) {
      ctx.log.error(`Refresh: ${describeError(err)}`);
      void ctx.errors.report(err);
    }
  });
  for (const { provider } of ctx.trees.values()) provider.refresh();
}

interface EntryItem extends vscode.QuickPickItem {
  readonly entry: CatalogEntry;
}

/** Search Catalog…: filter models and datasets by name as you type; the chosen one is revealed in its view. */
export async function searchCatalog(ctx: CommandContext): Promise<CatalogEntry | undefined> {
  const studio = await ctx.host.get();
  const pick = vscode.window.createQuickPick<EntryItem>();
  pick.title = 'Search Catalog';
  pick.placeholder = 'Type part of a model or dataset name';
  pick.matchOnDescription = true;
  const render = (): void => {
    const { items, total } = studio.catalog.search({ text: pick.value, sort: 'name', limit: 200 });
    pick.items = items.map((entry) => ({ ...entryPickItem(entry), entry }));
    pick.placeholder = total === 0 && pick.value === '' ? 'The catalog is empty: download a model or dataset first' : 'Type part of a model or dataset name';
  };
  render();
  return new Promise<CatalogEntry | undefined>((resolve) => {
    let chosen: CatalogEntry | undefined;
    pick.onDidChangeValue(render);
    pick.onDidAccept(() => {
      chosen = (pick.selectedItems[0] ?? pick.activeItems[0])?.entry;
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      if (chosen) void revealEntry(ctx, chosen);
      resolve(chosen);
    });
    pick.show();
  });
}

export async function revealEntry(ctx: CommandContext, entry: CatalogEntry): Promise<void> {
  const tree = ctx.trees.get(entry.kind);
  const node = tree?.provider.nodeFor(entry.id);
  if (!tree || !node) return;
  try {
    await tree.view.reveal(node, { select: true, focus: true, expand: false });
  } catch (err) {
    ctx.log.warn(`Revealing ${entry.repoId}: ${describeError(err)}`);
  }
}
