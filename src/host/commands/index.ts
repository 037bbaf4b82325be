import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import { signIn, signOut } from './accountCommands';
import { refresh, searchCatalog } from './catalogCommands';
import type { CommandContext } from './context';
import { downloadCommand } from './downloadFlow';
import {
  cancelDownload,
  copyLocalPath,
  copyPythonSnippet,
  copyRepoId,
  deleteEntries,
  openFolderInNewWindow,
  openOnHub,
  pauseDownload,
  resumeDownload,
  revealInExplorer,
} from './entryCommands';

export type { CommandContext } from './context';

/**
 * Registers every command in one place. Handlers never throw into VS Code: a failure that escapes a handler is
 * reported as a notification (with its actions) and logged, and a cancel stays silent.
 */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const handlers: Record<Exclude<(typeof COMMANDS)[keyof typeof COMMANDS], typeof COMMANDS.openPanel>, (...args: unknown[]) => Promise<unknown> | unknown> = {
    [COMMANDS.downloadModel]: (arg) => downloadCommand(ctx, 'model', arg),
    [COMMANDS.downloadDataset]: (arg) => downloadCommand(ctx, 'dataset', arg),
    [COMMANDS.cancelDownload]: (...args) => cancelDownload(ctx, args),
    [COMMANDS.pauseDownload]: (...args) => pauseDownload(ctx, args),
    [COMMANDS.resumeDownload]: (...args) => resumeDownload(ctx, args, 'canResume'),
    [COMMANDS.retry]: (...args) => resumeDownload(ctx, args, 'canRetry'),
    [COMMANDS.redownload]: (...args) => resumeDownload(ctx, args, 'canRedownload'),
    [COMMANDS.delete]: (...args) => deleteEntries(ctx, args),
    [COMMANDS.revealInExplorer]: (...args) => revealInExplorer(ctx, args),
    [COMMANDS.openFolderInNewWindow]: (...args) => openFolderInNewWindow(ctx, args),
    [COMMANDS.copyRepoId]: (...args) => copyRepoId(ctx, args),
    [COMMANDS.copyLocalPath]: (...args) => copyLocalPath(ctx, args),
    [COMMANDS.copyPythonSnippet]: (...args) => copyPythonSnippet(ctx, args),
    [COMMANDS.openOnHub]: (...args) => openOnHub(ctx, args, 'canOpenOnHub'),
    [COMMANDS.requestAccess]: (...args) => openOnHub(ctx, args, 'canRequestAccess'),
    [COMMANDS.refresh]: () => refresh(ctx),
    [COMMANDS.searchCatalog]: () => searchCatalog(ctx),
    [COMMANDS.signIn]: () => signIn(ctx),
    [COMMANDS.signOut]: () => signOut(ctx),
    [COMMANDS.showLog]: () => ctx.log.show(),
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
