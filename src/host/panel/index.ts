import * as vscode from 'vscode';
import type { StudioApi } from '../../core/studioTypes';
import { STUDIO_VIEW_TYPE } from '../../shared/protocol';
import { PANEL_TITLE, StudioPanel, studioWebviewOptions, type StudioPanelProbe } from './studioPanel';
import type { ActionUi } from '../actions/actionUi';
import type { CacheActions } from '../actions/cacheActions';
import type { EntryActions } from '../actions/entryActions';

export interface StudioPanelDependencies {
  readonly studio: () => Promise<StudioApi>;
  readonly log: vscode.LogOutputChannel;
  readonly endpoint: () => string;
  readonly actions: EntryActions;
  /** The Cache tree's CacheActions: the panel's Cache tab runs the same instance. */
  readonly cacheActions: CacheActions;
  readonly ui: ActionUi;
}

export const OPEN_PANEL_COMMAND = 'mistudio.openPanel';
/** Not contributed (absent from the palette): the integration tests read the panel's handshake counters with it. */
export const PROBE_COMMAND = 'mistudio.studioPanel.probe';

/**
 * Registers the Studio panel: the command that opens it (one panel, revealed if already open) and the serializer
 * that brings it back after a window reload. Dispose to close the panel and unregister both.
 */
export function registerStudioPanel(context: vscode.ExtensionContext, deps: StudioPanelDependencies): vscode.Disposable {
  let current: StudioPanel | undefined;

  const adopt = (panel: vscode.WebviewPanel): StudioPanel => {
    current?.dispose();
    const studioPanel = new StudioPanel(panel, {
      extensionUri: context.extensionUri,
      studio: deps.studio,
      endpoint: deps.endpoint,
      defaultInclude: () => vscode.workspace.getConfiguration('mistudio').get<string[]>('defaultIncludePatterns', []).filter((p) => typeof p === 'string'),
      actions: deps.actions,
      cacheActions: deps.cacheActions,
      openExternal: (url) => deps.ui.openExternal(url),
      log: deps.log,
    });
    studioPanel.onDidDispose(() => {
      if (current === studioPanel) current = undefined;
    });
    current = studioPanel;
    return studioPanel;
  };

  const open = (): void => {
    if (current) {
      current.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(STUDIO_VIEW_TYPE, PANEL_TITLE, vscode.ViewColumn.Active, studioWebviewOptions(context.extensionUri));
    adopt(panel);
  };

  const registrations = [
    vscode.commands.registerCommand(OPEN_PANEL_COMMAND, open),
    vscode.commands.registerCommand(PROBE_COMMAND, (): StudioPanelProbe | undefined => current?.probe),
    vscode.window.registerWebviewPanelSerializer(STUDIO_VIEW_TYPE, {
      // The page keeps its own view state (vscode.setState) and reads it back when it loads; the host needs none.
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        adopt(panel);
      },
    }),
  ];

  return {
    dispose() {
      current?.dispose();
      current = undefined;
      for (const r of registrations) r.dispose();
    },
  };
}

export { STUDIO_VIEW_TYPE };
