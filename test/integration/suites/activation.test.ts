import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MistudioApi } from '../../../src/extension';

const EXTENSION_ID = 'mistudio.mistudio';

async function activateExtension(): Promise<MistudioApi> {
  const extension = vscode.extensions.getExtension<MistudioApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

describe('Extension', () => {
  it('activates and returns its API', async () => {
    const api = await activateExtension();
    assert.ok(api.storageUri, 'API exposes the storage location');
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
  });

  it('runs in the Node extension host of the workspace', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.equal(extension?.extensionKind, vscode.ExtensionKind.Workspace);
    assert.match(process.version, /^v\d+/);
  });

  it('contributes the Models, Datasets and Cache views in its own container', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { viewsContainers: { activitybar: Array<{ id: string }> }; views: Record<string, Array<{ id: string }>> };
    };
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), ['mistudio']);
    assert.deepEqual(manifest.contributes.views.mistudio?.map((v) => v.id), ['mistudio.models', 'mistudio.datasets', 'mistudio.cache']);
  });

  it('registers its commands', async () => {
    await activateExtension();
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['mistudio.refresh', 'mistudio.showLog']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });

  it('opens both views on request', async () => {
    await vscode.commands.executeCommand('mistudio.models.focus');
    await vscode.commands.executeCommand('mistudio.datasets.focus');
  });

  it('has a writable workspace storage folder', async () => {
    const api = await activateExtension();
    assert.ok(vscode.workspace.workspaceFolders?.length, 'a folder is open');
    const dir = api.storageUri.fsPath;
    assert.match(dir, /workspaceStorage/, 'per-workspace storage, not global');
    await fs.mkdir(dir, { recursive: true });
    const probe = path.join(dir, `probe-${process.pid}.txt`);
    await fs.writeFile(probe, 'ok');
    assert.equal(await fs.readFile(probe, 'utf8'), 'ok');
    await fs.rm(probe);
  });
});
