import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ActionUi } from './actionUi';

const STATUS_MS = 5_000;

export const vscodeActionUi: ActionUi = {
  async confirm(message, detail, button) {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, button)) === button;
  },

  async copy(text, what) {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`$(copy) Copied the ${what}`, STATUS_MS);
  },

  async openExternal(url) {
    await vscode.env.openExternal(vscode.Uri.parse(url, true));
  },

  async reveal(target) {
    const uri = vscode.Uri.file(target);
    // revealFileInOS opens the OS file manager of the machine running the UI; with a remote or web UI that machine
    // does not have the file, so show it in the Explorer when the workspace holds it, else say where it is.
    if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) {
      await vscode.commands.executeCommand('revealFileInOS', uri);
      return;
    }
    if (vscode.workspace.getWorkspaceFolder(uri)) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
      return;
    }
    const choice = await vscode.window.showInformationMessage(`It is at ${target} on the ${vscode.env.remoteName ? 'remote' : 'server'} machine.`, 'Copy Path', 'Open Folder in New Window');
    if (choice === 'Copy Path') await vscodeActionUi.copy(target, 'path');
    if (choice === 'Open Folder in New Window') await vscodeActionUi.openFolderInNewWindow(path.extname(target) ? path.dirname(target) : target);
  },

  async openFolderInNewWindow(folder) {
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(folder), { forceNewWindow: true });
  },

  info(message) {
    void vscode.window.showInformationMessage(message);
  },

  status(message) {
    vscode.window.setStatusBarMessage(message, STATUS_MS);
  },

  ask(severity, message, ...buttons) {
    const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const shown = show(message, ...buttons);
    return buttons.length === 0 ? Promise.resolve(undefined) : Promise.resolve(shown);
  },

  async withProgress(title, task) {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      const onCancel = token.onCancellationRequested(() => controller.abort());
      let shown = 0;
      try {
        return await task((message, fraction) => {
          // VS Code adds up increments; the task reports where it is.
          const increment = fraction === undefined ? undefined : Math.max(0, Math.min(100, fraction * 100) - shown);
          if (increment !== undefined) shown += increment;
          progress.report({ message, ...(increment !== undefined ? { increment } : {}) });
        }, controller.signal);
      } finally {
        onCancel.dispose();
      }
    });
  },
};
