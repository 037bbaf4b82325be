import { CacheActions } from '../../../src/host/actions/cacheActions';
import { EntryActions } from '../../../src/host/actions/entryActions';
import { PanelRouter } from '../../../src/host/panel/router';
import { UpdatePump } from '../../../src/host/panel/updatePump';
import type { HostMessage, WebviewMessage } from '../../../src/shared/protocol';
import { App } from '../../../src/webview/app';
import { HostClient, type HostPort } from '../../../src/webview/client';
import type { PersistedState } from '../../../src/webview/state';
import { fakeActionUi, type FakeActionUi } from '../host/fakeActionUi';
import { createFakeStudio, type FakeStudio } from '../protocol/fakeStudio';

export const ENDPOINT = 'http://127.0.0.1:9';

export interface MemoryStorage {
  state: PersistedState | undefined;
  load(): unknown;
  save(state: PersistedState): void;
}

export function memoryStorage(): MemoryStorage {
  const storage: MemoryStorage = {
    state: undefined,
    load: () => storage.state,
    save: (state) => {
      storage.state = structuredClone(state);
    },
  };
  return storage;
}

export interface Panel {
  readonly studio: FakeStudio;
  readonly router: PanelRouter;
  readonly ui: FakeActionUi;
  readonly storage: MemoryStorage;
  /** Every message the page sent, as the host received it. */
  readonly sent: WebviewMessage[];
  app: App;
  root: HTMLElement;
  /** Loads the page again, as VS Code does after a reload or when a hidden panel is shown again. */
  reload(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The real page (App), the real host side (PanelRouter + UpdatePump) and a fake engine, joined the way VS Code joins
 * them: asynchronous postMessage with structured cloning in both directions.
 */
export async function openPanel(options: { studio?: FakeStudio; storage?: MemoryStorage } = {}): Promise<Panel> {
  const studio = options.studio ?? (await createFakeStudio());
  const storage = options.storage ?? memoryStorage();
  const ui = fakeActionUi();
  const actions = new EntryActions({ studio: async () => studio, endpoint: () => ENDPOINT, ui, log: { info: () => undefined } });
  const cacheActions = new CacheActions({ studio: async () => studio, ui, log: { info: () => undefined, warn: () => undefined }, onDidChangeCache: () => undefined });
  const listeners = new Set<(data: unknown) => void>();
  const toPage = (message: HostMessage): void => {
    setTimeout(() => {
      for (const l of [...listeners]) l(structuredClone(message));
    }, 0);
  };
  let pump: UpdatePump | undefined;
  const router = new PanelRouter(
    {
      studio: async () => studio,
      endpoint: () => ENDPOINT,
      defaultInclude: () => [],
      actions,
      cacheActions,
      openExternal: ui.openExternal,
      log: { trace: () => undefined, warn: () => undefined, error: () => undefined },
      cleanupRunning: () => pump?.cleanupRunning ?? 0,
      onReady: (s) => {
        pump ??= new UpdatePump(s, (params) => toPage({ type: 'notification', method: 'update', params }));
        pump.resume();
      },
    },
    toPage,
  );
  const sent: WebviewMessage[] = [];
  const port: HostPort = {
    post: (message) => {
      sent.push(message);
      setTimeout(() => void router.receive(structuredClone(message)), 0);
    },
    listen: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const mount = async (): Promise<{ app: App; root: HTMLElement }> => {
    document.body.replaceChildren();
    const root = document.createElement('div');
    root.className = 'app';
    document.body.appendChild(root);
    const app = new App(root, new HostClient(port), storage, { hubSearchDelayMs: 0, noticeMs: 60_000 });
    await app.start();
    return { app, root };
  };

  const first = await mount();
  const panel: Panel = {
    studio,
    router,
    ui,
    storage,
    sent,
    app: first.app,
    root: first.root,
    async reload() {
      pump?.pause();
      panel.app.dispose();
      const next = await mount();
      panel.app = next.app;
      panel.root = next.root;
    },
    async dispose() {
      panel.app.dispose();
      pump?.dispose();
      router.dispose();
      document.body.replaceChildren();
      await studio.close();
    },
  };
  return panel;
}

export function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

export function key(target: Element, name: string): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: name, bubbles: true, cancelable: true }));
}

export function rowNames(root: ParentNode): string[] {
  return [...root.querySelectorAll<HTMLElement>('.entry-row:not(.placeholder)')]
    .sort((a, b) => Number(a.getAttribute('aria-posinset')) - Number(b.getAttribute('aria-posinset')))
    .map((r) => r.querySelector('.entry-name')?.textContent ?? '');
}
