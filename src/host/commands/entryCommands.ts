import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { formatBytes } from '../../core/progress';
import { repoUrl } from '../../core/repo';
import type { StudioApi } from '../../core/studioTypes';
import { ACTION_TITLES, EntryActions, type EntryActionId } from '../actions/entryActions';
import { entryIdsFromArgs, fileArg, parseDeleteOptions } from '../commandArgs';
import { STATUS_ICONS } from '../entryView';
import type { CommandContext } from './context';

/**
 * A command on catalog entries: the clicked / selected rows, ids passed by scripts, or, from the palette, a pick among
 * the entries that allow the action; then the one action layer (actions/entryActions.ts) does it.
 */
export async function entryCommand(ctx: CommandContext, action: EntryActionId, args: readonly unknown[]): Promise<void> {
  // A file row: Reveal and Copy Local Path act on that file.
  const file = fileArg(args[0]);
  if (file && (action === 'reveal' || action === 'copyPath')) {
    const entry = (await ctx.host.get()).catalog.getEntry(file.entryId);
    if (!entry?.snapshotPath) return;
    const target = path.join(entry.snapshotPath, ...file.path.split('/'));
    if (action === 'reveal') await ctx.ui.reveal(target);
    else await ctx.ui.copy(target, 'path');
    return;
  }
  const entries = await entriesFor(ctx, args, action);
  if (!entries) return;
  await ctx.actions.run(action, entries, {
    confirm: parseDeleteOptions(args).confirm,
    // Not awaited: the notification stays until the user dismisses it, the command must not wait for that.
    onError: (entry, err, retry) => void ctx.errors.report(err, { repoId: entry.repoId, repoUrl: repoUrl(ctx.host.endpoint, entry) }, retry),
  });
}

async function entriesFor(ctx: CommandContext, args: readonly unknown[], action: EntryActionId): Promise<CatalogEntry[] | undefined> {
  const studio = await ctx.host.get();
  const verb = ACTION_TITLES[action].title;
  let ids = entryIdsFromArgs(args);
  if (ids.length === 0 && args[0] !== undefined && fileArg(args[0]) === undefined) {
    // Called with arguments that name no entry (a script's mistake): say so rather than open a picker.
    ctx.log.warn(`${verb}: ignoring an argument that names no catalog entry: ${JSON.stringify(args[0])?.slice(0, 200)}`);
    return undefined;
  }
  if (ids.length === 0) {
    const picked = await pickEntries(ctx, studio, action);
    if (!picked) return undefined;
    ids = picked;
  }
  const entries: CatalogEntry[] = [];
  for (const id of ids) {
    const entry = studio.catalog.getEntry(id);
    if (entry) entries.push(entry);
    else ctx.log.warn(`${verb}: no catalog entry ${id}`);
  }
  if (EntryActions.isSingle(action)) return entries.slice(0, 1);
  return entries.length > 0 ? entries : undefined;
}

async function pickEntries(ctx: CommandContext, studio: StudioApi, action: EntryActionId): Promise<string[] | undefined> {
  const verb = ACTION_TITLES[action].title;
  const candidates = studio.catalog.search({ sort: 'name' }).items.filter((e) => ctx.actions.allows(action, e));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`Nothing in the catalog to ${verb.toLowerCase()}.`);
    return undefined;
  }
  const items = candidates.map((e) => ({ ...entryPickItem(e), id: e.id }));
  const options = { title: verb, placeHolder: `Choose what to ${verb.toLowerCase()}`, matchOnDescription: true };
  if (!EntryActions.isSingle(action)) {
    const picked = await vscode.window.showQuickPick(items, { ...options, canPickMany: true });
    return picked && picked.length > 0 ? picked.map((p) => p.id) : undefined;
  }
  const picked = await vscode.window.showQuickPick(items, options);
  return picked ? [picked.id] : undefined;
}

export function entryPickItem(entry: CatalogEntry): vscode.QuickPickItem {
  const icon = STATUS_ICONS[entry.status];
  return {
    label: `$(${icon.id}) ${entry.repoId}`,
    description: [entry.kind, entry.revision !== 'main' ? `@${entry.revision}` : '', entry.status, entry.bytesTotal > 0 ? formatBytes(entry.bytesTotal) : ''].filter(Boolean).join(' · '),
  };
}
