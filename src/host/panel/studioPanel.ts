import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { StudioApi } from '../../core/studioTypes';
import { STUDIO_VIEW_TYPE, type HostMessage } from '../../shared/protocol';
import { DisposableStore } from '../lifecycle';
import { createNonce, panelHtml } from './html';
import type { CacheActions } from '../actions/cacheActions';
import type { EntryActions } from '../actions/entryActions';
import { PanelRouter, type PanelLog, type RouterStats } from './router';
import { UpdatePump } from './updatePump';

export interface StudioPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly studio: () => Promise<StudioApi>;
  readonly endpoint: () => string;
  readonly defaultInclude: () => readonly string[];
  readonly actions: EntryActions;
  readonly cacheActions: CacheActions;
  readonly openExternal: (url: string) => Promise<void>;
  readonly log: PanelLog;
}

export interface StudioPanelProbe extends RouterStats {
  readonly visible: boolean;
  readonly updatesSent: number;
}

export const PANEL_TITLE = 'MechInterp Studio';

/** Webview options for a new panel and for one the serializer revives: scripts on, resources from dist/ only. */
export function studioWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
  };
}

/**
 * One open Studio panel: its page, the router answering the page's requests, and the pump pushing live updates.
 * Without `retainContextWhenHidden` the page is torn down while hidden; it sends `ready` again when shown, and the
 * snapshot it gets back brings it up to date.
 */
export class StudioPanel extends DisposableStore {
  private readonly router: PanelRouter;
  private pump: UpdatePump | undefined;
  private isDisposing = false;
  private readonly disposedEmitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposedEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: StudioPanelDeps,
  ) {
    super();
    const webview = panel.webview;
    webview.options = studioWebviewOptions(deps.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'activitybar.svg');
    this.router = new PanelRouter(
      {
        studio: deps.studio,
        endpoint: deps.endpoint,
        defaultInclude: deps.defaultInclude,
        actions: deps.actions,
        cacheActions: deps.cacheActions,
        openExternal: deps.openExternal,
        log: deps.log,
        cleanupRunning: () => this.pump?.cleanupRunning ?? 0,
        onReady: (studio) => this.startUpdates(studio),
      },
      (message) => this.post(message),
    );
    this.register({ dispose: () => this.router.dispose() });
    this.register({ dispose: () => this.pump?.dispose() });
    this.register(webview.onDidReceiveMessage((message: unknown) => void this.router.receive(message)));
    this.register(
      panel.onDidChangeViewState(() => {
        // A hidden page is discarded; nothing is sent until it is back and has asked for a snapshot.
        if (!panel.visible) this.pump?.pause();
      }),
    );
    this.register(panel.onDidDispose(() => this.dispose()));
    webview.html = this.html();
  }

  reveal(): void {
    this.panel.reveal();
  }

  get probe(): StudioPanelProbe {
    return { ...this.router.stats, visible: this.panel.visible, updatesSent: this.pump?.batchesSent ?? 0 };
  }

  override dispose(): void {
    if (this.isDisposing) return;
    this.isDisposing = true;
    this.disposedEmitter.fire();
    super.dispose();
    this.panel.dispose();
  }

  private startUpdates(studio: StudioApi): void {
    // The shell may reopen the engine (e.g. the cache folder setting changed): follow the current one.
    if (this.pump?.studio !== studio) {
      this.pump?.dispose();
      this.pump = new UpdatePump(studio, (params) => this.post({ type: 'notification', method: 'update', params }));
    }
    this.pump.resume();
  }

  private post(message: HostMessage): void {
    // postMessage to a page that is reloading is dropped; the page's next `ready` resynchronises it.
    void this.panel.webview.postMessage(message).then(undefined, () => undefined);
  }

  private html(): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: createNonce((size) => randomBytes(size)),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css')).toString(),
    });
  }
}

export { STUDIO_VIEW_TYPE };
