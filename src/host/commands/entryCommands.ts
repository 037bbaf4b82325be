import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { formatBytes } from '../../core/progress';
import { repoUrl } from '../../core/repo';
import type { DeleteEstimate, StudioApi } from '../../core/studioTypes';
import { entryCapabilities, type Capability } from '../capabilities';
import { entryIdsFromArgs, fileArg, parseDeleteOptions } from '../commandArgs';
import { deleteConfirmation } from '../deleteConfirmation';
import { STATUS_ICONS } from '../entryView';
import { pythonSnippet } from '../pythonSnippet';
import type { CommandContext } from './context';

const STATUS_MS = 5_000;

/**
 * Resolves the entries a command acts on: the clicked / selected rows, ids passed by scripts, or, from the palette,
 * a pick among the entries that allow the action. Entries that do not allow it are skipped with a note.
 */
async function entriesFor(ctx: CommandContext, args: readonly unknown[], capability: Capability, verb: string, many: boolean): Promise<{ studio: StudioApi; entries: CatalogEntry[] } | undefined> {
  const studio = await ctx.host.get();
  let ids = entryIdsFromArgs(args);
  if (ids.length === 0 && args[0] !== undefined && fileArg(args[0]) === undefined) {
    // Called with arguments that name no entry (a script's mistake): say so rather than open a picker.
    ctx.log.warn(`${verb}: ignoring an argument that names no catalog entry: ${JSON.stringify(args[0])?.slice(0, 200)}`);
    return undefined;
  }
  if (ids.length === 0) {
    const picked = await pickEntries(studio, capability, verb, many);
    if (!picked) return undefined;
    ids = picked;
  }
  const entries: CatalogEntry[] = [];
  for (const id of ids) {
    const entry = studio.catalog.getEntry(id);
    if (!entry) {
      ctx.log.warn(`${verb}: no catalog entry ${id}`);
      continue;
    }
    if (!entryCapabilities(entry).has(capability)) {
      void vscode.window.showInformationMessage(`${entry.repoId} cannot be ${pastTense(verb)} while it is ${entry.status}.`);
      continue;
    }
    entries.push(entry);
  }
  return entries.length > 0 ? { studio, entries } : undefined;
}

async function pickEntries(studio: StudioApi, capability: Capability, verb: string, many: boolean): Promise<string[] | undefined> {
  const candidates = studio.catalog.search({ sort: 'name' }).items.filter((e) => entryCapabilities(e).has(capability));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`Nothing in the catalog to ${verb.toLowerCase()}.`);
    return undefined;
  }
  const items = candidates.map((e) => ({ ...entryPickItem(e), id: e.id }));
  if (many) {
    const picked = await vscode.window.showQuickPick(items, { title: verb, placeHolder: `Choose what to ${verb.toLowerCase()}`, canPickMany: true, matchOnDescription: true });
    return picked && picked.length > 0 ? picked.map((p) => p.id) : undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: verb, placeHolder: `Choose what to ${verb.toLowerCase()}`, matchOnDescription: true });
  return picked ? [picked.id] : undefined;
}

export function entryPickItem(entry: CatalogEntry): vscode.QuickPickItem {
  const icon = STATUS_ICONS[entry.status];
  return {
    label: `$(${icon.id}) ${entry.repoId}`,
    description: [entry.kind, entry.revision !== 'main' ? `@${entry.revision}` : '', entry.status, entry.bytesTotal > 0 ? formatBytes(entry.bytesTotal) : ''].filter(Boolean).join(' · '),
  };
}

function pastTense(verb: string): string {
  const lower = verb.toLowerCase().split(' ')[0] ?? verb;
  return lower.endsWith('e') ? `${lower}d` : `${lower}ed`;
}

function label(entry: CatalogEntry): string {
  return `${entry.repoId}${entry.revision === 'main' ? '' : `@${entry.revision}`}`;
}

async function each(ctx: CommandContext, entries: readonly CatalogEntry[], run: (entry: CatalogEntry) => Promise<unknown>, retry?: (entry: CatalogEntry) => () => Promise<unknown>): Promise<void> {
  await Promise.all(
    entries.map((entry) =>
      // Not awaited: the notification stays until the user dismisses it, the command must not wait for that.
      run(entry).catch((err: unknown) => void ctx.errors.report(err, { repoId: entry.repoId, repoUrl: repoUrl(ctx.host.endpoint, entry) }, retry?.(entry))),
    ),
  );
}

export async function cancelDownload(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const found = await entriesFor(ctx, args, 'canCancel', 'Cancel Download', true);
  if (!found) return;
  await each(ctx, found.entries, (e) => found.studio.cancel(e.id));
}

export async function pauseDownload(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const found = await entriesFor(ctx, args, 'canPause', 'Pause Download', true);
  if (!found) return;
  await each(ctx, found.entries, (e) => found.studio.pause(e.id));
}

/** Resume, Retry and Re-download are one engine call on entries in different states. */
export async function resumeDownload(ctx: CommandContext, args: readonly unknown[], capability: 'canResume' | 'canRetry' | 'canRedownload'): Promise<void> {
  const verb = capability === 'canResume' ? 'Resume Download' : capability === 'canRetry' ? 'Retry' : 'Re-download';
  const found = await entriesFor(ctx, args, capability, verb, true);
  if (!found) return;
  const resume = (e: CatalogEntry): Promise<unknown> => found.studio.resume(e.id);
  await each(ctx, found.entries, resume, (e) => () => resume(e));
}

export async function deleteEntries(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const found = await entriesFor(ctx, args, 'canDelete', 'Delete', true);
  if (!found) return;
  const { studio, entries } = found;
  if (parseDeleteOptions(args).confirm) {
    const estimates = await Promise.all(entries.map((e) => studio.estimateDelete(e.id).catch((): DeleteEstimate => ({ freedBytes: 0, heldBy: [] }))));
    const what = entries.length === 1 ? label(entries[0]!) : `${entries.length} entries`;
    const { message, detail } = deleteConfirmation(what, estimates, studio.cacheRoot);
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, 'Delete');
    if (choice !== 'Delete') return;
  }
  let freed = 0;
  await each(ctx, entries, async (e) => {
    const result = await studio.delete(e.id);
    freed += result.freedBytesEstimate;
    ctx.log.info(`Deleted ${label(e)} from the catalog; cleanup job ${result.cleanupJobId} frees about ${formatBytes(result.freedBytesEstimate)}`);
  });
  vscode.window.setStatusBarMessage(`$(trash) Deleted ${entries.length === 1 ? label(entries[0]!) : `${entries.length} entries`}; freeing about ${formatBytes(freed)}`, STATUS_MS);
}

/** The snapshot folder, or for a file node that file, if it is on disk. */
async function localPathFor(ctx: CommandContext, args: readonly unknown[], verb: string): Promise<string | undefined> {
  const file = fileArg(args[0]);
  if (file) {
    const studio = await ctx.host.get();
    const entry = studio.catalog.getEntry(file.entryId);
    return entry?.snapshotPath ? path.join(entry.snapshotPath, ...file.path.split('/')) : undefined;
  }
  const found = await entriesFor(ctx, args, 'canCopyPath', verb, false);
  return found?.entries[0]?.snapshotPath ?? undefined;
}

export async function revealInExplorer(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const target = await localPathFor(ctx, args, 'Reveal in File Explorer');
  if (!target) return;
  const uri = vscode.Uri.file(target);
  // revealFileInOS opens the OS file manager of the machine running the UI; with a remote or web UI that machine
  // does not have the file, so show the path instead.
  if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return;
  }
  const inWorkspace = vscode.workspace.getWorkspaceFolder(uri);
  if (inWorkspace) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return;
  }
  const choice = await vscode.window.showInformationMessage(`It is at ${target} on the ${vscode.env.remoteName ? 'remote' : 'server'} machine.`, 'Copy Path', 'Open Folder in New Window');
  if (choice === 'Copy Path') await copy(target, 'path');
  if (choice === 'Open Folder in New Window') await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(path.extname(target) ? path.dirname(target) : target), { forceNewWindow: true });
}

export async function openFolderInNewWindow(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const found = await entriesFor(ctx, args, 'canOpenFolder', 'Open Folder in New Window', false);
  const folder = found?.entries[0]?.snapshotPath;
  if (!folder) return;
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(folder), { forceNewWindow: true });
}

export async function copyRepoId(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const found = await entriesFor(ctx, args, 'canCopyId', 'Copy Repo ID', false);
  const entry = found?.entries[0];
  if (entry) await copy(entry.repoId, 'repo id');
}

export async function copyLocalPath(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const target = await localPathFor(ctx, args, 'Copy Local Path');
  if (target) await copy(target, 'path');
}

export async function copyPythonSnippet(ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const found = await entriesFor(ctx, args, 'canCopySnippet', 'Copy Python Snippet', false);
  const entry = found?.entries[0];
  if (!entry) return;
  // Python finds the cache by itself unless the user pointed the extension somewhere else.
  const cacheDir = ctx.config.current.cacheDir ? ctx.host.cacheRoot : undefined;
  await copy(pythonSnippet(entry, cacheDir ? { cacheDir } : {}), 'Python snippet');
}

export async function openOnHub(ctx: CommandContext, args: readonly unknown[], capability: 'canOpenOnHub' | 'canRequestAccess'): Promise<void> {
  const found = await entriesFor(ctx, args, capability, capability === 'canOpenOnHub' ? 'Open on Hugging Face' : 'Request Access', false);
  const entry = found?.entries[0];
  if (!entry) return;
  const base = repoUrl(ctx.host.endpoint, entry);
  const url = entry.revision === 'main' || capability === 'canRequestAccess' ? base : `${base}/tree/${encodeURIComponent(entry.revision)}`;
  await vscode.env.openExternal(vscode.Uri.parse(url));
}

async function copy(text: string, what: string): Promise<void> {
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`$(copy) Copied the ${what}`, STATUS_MS);
}
