import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import { signIn, signOut } from './accountCommands';
import { refresh, searchCatalog } from './catalogCommands';
import type { CommandContext } from './context';
import { downloadCommand } from './downloadFlow';
import {
  addToCatalog,
  clearCacheFilter,
  deleteRepoFromDisk,
  deleteRevisionFromDisk,
  filterCache,
  pruneCache,
  refreshCache,
  revealCachedRevision,
  sortCache,
  verifyRevision,
} from './cacheCommands';
import { entryCommand } from './entryCommands';

export type { CommandContext } from './context';

/**
 * Registers every command in one place. Handlers never throw into VS Code: a failure that escapes a handler is
 * reported as a notification (with its actions) and logged, and a cancel stays silent.
 */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const handlers: Record<Exclude<(typeof COMMANDS)[keyof typeof COMMANDS], typeof COMMANDS.openPanel>, (...args: unknown[]) => Promise<unknown> | unknown> = {
    [COMMANDS.downloadModel]: (arg) => downloadCommand(ctx, 'model', arg),
    [COMMANDS.downloadDataset]: (arg) => downloadCommand(ctx, 'dataset', arg),
    [COMMANDS.cancelDownload]: (...args) => entryCommand(ctx, 'cancel', args),
    [COMMANDS.pauseDownload]: (...args) => entryCommand(ctx, 'pause', args),
    [COMMANDS.resumeDownload]: (...args) => entryCommand(ctx, 'resume', args),
    [COMMANDS.retry]: (...args) => entryCommand(ctx, 'retry', args),
    [COMMANDS.redownload]: (...args) => entryCommand(ctx, 'redownload', args),
    [COMMANDS.delete]: (...args) => entryCommand(ctx, 'delete', args),
    [COMMANDS.revealInExplorer]: (...args) => entryCommand(ctx, 'reveal', args),
    [COMMANDS.openFolderInNewWindow]: (...args) => entryCommand(ctx, 'openFolder', args),
    [COMMANDS.copyRepoId]: (...args) => entryCommand(ctx, 'copyId', args),
    [COMMANDS.copyLocalPath]: (...args) => entryCommand(ctx, 'copyPath', args),
    [COMMANDS.copyPythonSnippet]: (...args) => entryCommand(ctx, 'copySnippet', args),
    [COMMANDS.openOnHub]: (...args) => entryCommand(ctx, 'openOnHub', args),
    [COMMANDS.requestAccess]: (...args) => entryCommand(ctx, 'requestAccess', args),
    [COMMANDS.refresh]: () => refresh(ctx),
    [COMMANDS.searchCatalog]: () => searchCatalog(ctx),
    [COMMANDS.signIn]: () => signIn(ctx),
    [COMMANDS.signOut]: () => signOut(ctx),
    [COMMANDS.showLog]: () => ctx.log.show(),
    [COMMANDS.refreshCache]: () => refreshCache(ctx),
    [COMMANDS.filterCache]: () => filterCache(ctx),
    [COMMANDS.clearCacheFilter]: () => clearCacheFilter(ctx),
    [COMMANDS.sortCache]: () => sortCache(ctx),
    [COMMANDS.addToCatalog]: (...args) => addToCatalog(ctx, args),
    [COMMANDS.deleteRevisionFromDisk]: (...args) => deleteRevisionFromDisk(ctx, args),
    [COMMANDS.deleteRepoFromDisk]: (...args) => deleteRepoFromDisk(ctx, args),
    [COMMANDS.pruneCache]: (...args) => pruneCache(ctx, args),
    [COMMANDS.verifyRevision]: (...args) => verifyRevision(ctx, args),
    [COMMANDS.revealCachedRevision]: (...args) => revealCachedRevision(ctx, args),
  };
  return Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (err) {
        ctx.log.error(`${id} failed`);
        void ctx.errors.report(err);
        return undefined;
      }
    }),
  );
}
