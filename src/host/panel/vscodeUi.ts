import * as vscode from 'vscode';
import type { DeleteEstimate } from '../../core/studioTypes';
import { deleteConfirmation } from '../deleteConfirmation';
import type { EntryRow } from '../../shared/protocol';
import type { PanelUi } from './router';

/** The panel's actions that need VS Code's own UI: dialogs, the clipboard, the OS and the browser. */
export const vscodePanelUi: PanelUi = {
  async confirmDelete(entry: EntryRow, estimate: DeleteEstimate): Promise<boolean> {
    const what = entry.kind === 'model' ? 'model' : 'dataset';
    const { message, detail } = deleteConfirmation(`the ${what} ${entry.repoId}@${entry.revision}`, [estimate], 'the Hugging Face cache');
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, 'Delete');
    return choice === 'Delete';
  },

  async revealFolder(folder: string): Promise<void> {
    const uri = vscode.Uri.file(folder);
    // The OS file manager only exists where the window runs next to the files; elsewhere (remote, browser) the
    // folder opens in a new VS Code window instead.
    if (vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined) {
      await vscode.commands.executeCommand('revealFileInOS', uri);
    } else {
      await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
    }
  },

  async copyText(text: string, what: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`$(check) Copied the ${what}`, 3_000);
  },

  async openExternal(url: string): Promise<void> {
    await vscode.env.openExternal(vscode.Uri.parse(url, true));
  },
};
