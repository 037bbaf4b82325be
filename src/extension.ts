import * as vscode from 'vscode';

/**
 * The composition root: every service is built here once, wired together, and every registration is pushed to
 * context.subscriptions so VS Code disposes it. Nothing heavy runs here; the catalog loads on first use.
 */
export interface MistudioApi {
  /** Where the catalog and other per-workspace state live. */
  readonly storageUri: vscode.Uri;
}

export function activate(context: vscode.ExtensionContext): MistudioApi {
  const log = vscode.window.createOutputChannel('MechInterp Studio', { log: true });
  context.subscriptions.push(log);
  const storageUri = context.storageUri ?? context.globalStorageUri;
  log.info(`MechInterp Studio activated; storage at ${storageUri.fsPath}`);

  const empty: vscode.TreeDataProvider<never> = { getTreeItem: (e) => e, getChildren: () => [] };
  context.subscriptions.push(
    vscode.window.createTreeView('mistudio.models', { treeDataProvider: empty, showCollapseAll: true }),
    vscode.window.createTreeView('mistudio.datasets', { treeDataProvider: empty, showCollapseAll: true }),
    vscode.commands.registerCommand('mistudio.showLog', () => log.show()),
    vscode.commands.registerCommand('mistudio.refresh', () => log.info('Refresh requested')),
  );
  return { storageUri };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
