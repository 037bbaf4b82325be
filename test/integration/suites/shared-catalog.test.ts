import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StudioApi } from '../../../src/core/studioTypes';
import type { MistudioApi } from '../../../src/extension';
import type { FakeHub } from '../../fake-hub/index';
import type { FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { activateApi, EXTENSION_ID, rowFor, rows, setSetting, startHub, waitFor } from './host-helpers';

/** Its own repo: other suites' downloads (across reloads and kills) must not meet this one's. */
const SHARED_MODEL = 'mistudio-test/shared-model';
const sharedModel: FakeRepo = {
  kind: 'model',
  id: SHARED_MODEL,
  commits: [{ files: [{ path: 'config.json', content: '{"model_type": "gpt2"}\n' }, { path: 'model.safetensors', content: seededBytes(16 * 1024 * 1024, 7), lfs: true }] }],
};

/**
 * The window and the `mistudio` CLI on one catalog file: what the CLI does shows in the window's views as it happens.
 */
describe('one catalog shared by the window and the CLI', function () {
  this.timeout(120_000);
  let api: MistudioApi;
  let studio: StudioApi;
  let hub: FakeHub;

  before(async () => {
    api = await activateApi();
    // Slow enough that the CLI's download is seen in progress: 16 MB at 256 KB/s per connection.
    hub = await startHub({ extra: [sharedModel], cdnBytesPerSecondPerConnection: 256 * 1024 });
    studio = await api.studio();
  });
  after(async () => {
    await setSetting('hubEndpoint', undefined);
    await hub?.close();
  });

  /** The packaged CLI of this very extension, run on the window's catalog and cache. */
  function mistudio(args: readonly string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const child = spawn(process.execPath, [path.join(extension.extensionPath, 'dist', 'cli.js'), ...args, '--catalog', api.catalogUri.fsPath], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', HF_ENDPOINT: hub.url, HF_HUB_CACHE: studio.cacheRoot, HF_TOKEN: '', HF_HUB_OFFLINE: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
    return { child, done };
  }

  it('a CLI download into the window’s catalog appears in the Models view with live progress, then ready', async () => {
    const run = mistudio(['download', SHARED_MODEL]);
    const entry = await waitFor('the CLI’s entry in the window’s catalog', () => studio.catalog.findEntry('model', SHARED_MODEL));
    const descriptions = new Set<string>();
    await waitFor('two different progress readings in the tree', async () => {
      const row = rowFor(await rows('model'), entry.id);
      if (row && studio.catalog.getEntry(entry.id)?.status === 'downloading') descriptions.add(row.description);
      return descriptions.size >= 2 ? true : undefined;
    }, 60_000);
    // Not this window's download: it only follows, it never shows the CLI's live download as paused.
    assert.equal(studio.progressOf(entry.id), undefined);
    assert.notEqual(studio.catalog.getEntry(entry.id)?.status, 'paused');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const row = await waitFor('the Models view to show it ready', async () => {
      const r = rowFor(await rows('model'), entry.id);
      return r?.icon === 'pass-filled' ? r : undefined;
    });
    assert.equal(row.label, 'shared-model');
  });

  it('a delete in another process takes the entry out of the window’s views', async () => {
    const entry = studio.catalog.findEntry('model', SHARED_MODEL);
    assert.ok(entry, 'the entry from the previous test');
    const result = await mistudio(['rm', SHARED_MODEL]).done;
    assert.equal(result.code, 0, result.stderr);
    await waitFor('the row to leave the Models view', async () => (rowFor(await rows('model'), entry.id) ? undefined : true), 10_000);
    assert.equal(studio.catalog.getEntry(entry.id), undefined);
  });
});
