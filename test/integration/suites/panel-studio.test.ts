import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MistudioApi } from '../../../src/extension';
import { OPEN_PANEL_COMMAND, PROBE_COMMAND } from '../../../src/host/panel/index';
import type { StudioPanelProbe } from '../../../src/host/panel/studioPanel';
import { STUDIO_VIEW_TYPE } from '../../../src/shared/protocol';

const EXTENSION_ID = 'mistudio.mistudio';

async function activateApi(): Promise<MistudioApi> {
  const extension = vscode.extensions.getExtension<MistudioApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

/** Webview tabs carry an internal prefix before the view type an extension registered. */
function studioTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(STUDIO_VIEW_TYPE));
}

function probe(): Thenable<StudioPanelProbe | undefined> {
  return vscode.commands.executeCommand<StudioPanelProbe | undefined>(PROBE_COMMAND);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    last = await probe();
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; panel probe: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Studio panel', function () {
  this.timeout(120_000);

  it('opens from its command as one webview tab named MechInterp Studio', async () => {
    await activateApi();
    await vscode.commands.executeCommand(OPEN_PANEL_COMMAND);
    const [tab] = await waitFor('the Studio tab', () => (studioTabs().length === 1 ? studioTabs() : undefined));
    assert.equal(tab?.label, 'MechInterp Studio');
  });

  it('loads its page under the CSP, which sends ready and gets the snapshot, then queries the catalog', async () => {
    // These counters move only when the page's script ran, its messages passed validation and the answers went back.
    const state = await waitFor('the handshake and a catalog query', async () => {
      const p = await probe();
      return p && p.readyCount >= 1 && (p.answered.query ?? 0) >= 1 ? p : undefined;
    });
    assert.equal(state.answered.ready, state.readyCount);
    assert.equal(state.rejected, 0, 'the page sent no malformed message');
    assert.equal(state.visible, true);
  });

  it('pushes live updates when the catalog changes', async () => {
    const api = await activateApi();
    const studio = await api.studio();
    const before = (await probe())?.updatesSent ?? 0;
    const entry = studio.catalog.addEntry({ kind: 'model', repoId: 'mistudio-test/panel-probe', status: 'error', errorMessage: 'not a real download' });
    try {
      await waitFor('an update batch', async () => ((await probe())?.updatesSent ?? 0) > before);
      // The page asks for its window again after a change: another query round-trips.
      const queries = (await probe())?.answered.query ?? 0;
      studio.catalog.updateEntry(entry.id, { errorMessage: 'still not real' });
      await waitFor('a query after the change', async () => ((await probe())?.answered.query ?? 0) > queries);
    } finally {
      studio.catalog.removeEntry(entry.id);
    }
  });

  it('rebuilds its page after being hidden, through a fresh handshake', async () => {
    const before = (await probe())?.readyCount ?? 0;
    // A file on disk, not an untitled one: closing it afterwards must not ask to save.
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const file = vscode.Uri.joinPath(extension.extensionUri, 'package.json');
    await vscode.window.showTextDocument(file, { preview: false });
    await waitFor('the panel to be hidden', async () => ((await probe())?.visible === false ? true : undefined));
    await vscode.commands.executeCommand(OPEN_PANEL_COMMAND);
    await waitFor('a new ready handshake', async () => (((await probe())?.readyCount ?? 0) > before ? true : undefined));
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === file.toString());
    await vscode.window.tabGroups.close(tabs);
  });

  it('reveals the same panel when opened again', async () => {
    await vscode.commands.executeCommand(OPEN_PANEL_COMMAND);
    await vscode.commands.executeCommand(OPEN_PANEL_COMMAND);
    assert.equal(studioTabs().length, 1);
  });

  it('comes back after a window reload through its serializer, and handshakes again @after-reload', async () => {
    await activateApi();
    const [tab] = await waitFor('the restored Studio tab', () => (studioTabs().length === 1 ? studioTabs() : undefined));
    assert.ok(tab);
    // Restored webviews come alive when shown; bring the tab to the front if another editor covers it.
    if (!tab.isActive) {
      const index = tab.group.tabs.indexOf(tab);
      await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
      await vscode.commands.executeCommand('workbench.action.openEditorAtIndex', index);
    }
    const state = await waitFor('the revived page to handshake', async () => {
      const p = await probe();
      return p && p.readyCount >= 1 && (p.answered.query ?? 0) >= 1 ? p : undefined;
    });
    assert.equal(state.rejected, 0);
  });

  it('goes away with its tab @after-reload', async () => {
    await vscode.window.tabGroups.close(studioTabs());
    await waitFor('the panel to be disposed', async () => ((await probe()) === undefined ? true : undefined));
    assert.equal(studioTabs().length, 0);
  });
});
