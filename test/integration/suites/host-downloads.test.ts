import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry } from '../../../src/core/catalog';
import { repoFolderName } from '../../../src/core/cache';
import type { StudioApi } from '../../../src/core/studioTypes';
import type { MistudioApi } from '../../../src/extension';
import { COMMANDS } from '../../../src/host/commandIds';
import type { FakeHub } from '../../fake-hub/index';
import { activateApi, BIG_MODEL, bigModel, rowFor, rows, setSetting, startHub, waitFor, waitForStatus } from './host-helpers';

const TINY_GPT2 = 'mistudio-demo/tiny-gpt2';
const TINY_STORIES = 'mistudio-demo/tiny-stories';
const GATED = 'mistudio-demo/gated-model';

describe('MechInterp Studio views and commands (fake hub)', function () {
  this.timeout(120_000);
  let api: MistudioApi;
  let studio: StudioApi;
  let hub: FakeHub;

  before(async () => {
    api = await activateApi();
    hub = await startHub({ extra: [bigModel(4)] });
    studio = await api.studio();
  });

  after(async () => {
    await setSetting('hubEndpoint', undefined);
    await hub?.close();
  });

  async function download(kind: 'model' | 'dataset', repoId: string): Promise<CatalogEntry> {
    const command = kind === 'model' ? COMMANDS.downloadModel : COMMANDS.downloadDataset;
    const queued = await vscode.commands.executeCommand<CatalogEntry | undefined>(command, { repoId, confirm: false });
    assert.ok(queued, `${command} queued ${repoId}`);
    return queued;
  }

  it('registers every command it contributes', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of Object.values(COMMANDS)) assert.ok(registered.has(id), `${id} is registered`);
  });

  it('keeps the catalog in workspace storage', async () => {
    assert.match(api.catalogUri.fsPath, /workspaceStorage/);
    // The workspace's own storage folder, without the -N suffix VS Code uses while another host holds its lock.
    assert.equal(path.basename(path.dirname(api.catalogUri.fsPath)), path.basename(api.storageUri.fsPath));
    assert.equal(path.dirname(path.dirname(path.dirname(api.catalogUri.fsPath))), path.dirname(path.dirname(api.storageUri.fsPath)));
    await studio.catalog.flush();
    assert.ok(fs.existsSync(api.catalogUri.fsPath), 'catalog.sqlite exists after the first save');
  });

  it('uses the Hugging Face cache of the environment', () => {
    assert.equal(studio.cacheRoot, path.resolve(process.env.HF_HUB_CACHE ?? ''));
  });

  it('downloads a model from the command into the cache, and the Models view shows it ready', async () => {
    const queued = await download('model', TINY_GPT2);
    const ready = await waitForStatus(studio, queued.id, ['ready', 'error']);
    assert.equal(ready.status, 'ready', ready.errorMessage ?? '');
    assert.ok(ready.snapshotPath && ready.snapshotPath.startsWith(studio.cacheRoot), 'snapshot inside the cache');
    for (const file of studio.files(ready.id)) {
      const onDisk = path.join(ready.snapshotPath, ...file.path.split('/'));
      assert.equal(fs.statSync(onDisk).size, file.size, `${file.path} has its full size`);
    }
    const row = await waitFor('the Models view to show the entry ready', async () => {
      const r = rowFor(await rows('model'), ready.id);
      return r?.icon === 'pass-filled' ? r : undefined;
    });
    assert.equal(row.label, 'tiny-gpt2');
    assert.match(row.description, /mistudio-demo$/);
    assert.match(row.contextValue, /;canDelete(;|$)/);
    assert.ok(row.children.some((c) => c.label === 'model.safetensors'), 'files are listed under the entry');
    assert.match(row.tooltip, /Local path/);
  });

  it('downloads a dataset, and the Datasets view shows it', async () => {
    const queued = await download('dataset', TINY_STORIES);
    const ready = await waitForStatus(studio, queued.id, ['ready', 'error']);
    assert.equal(ready.status, 'ready', ready.errorMessage ?? '');
    const datasets = await waitFor('the Datasets view to list the dataset', async () => {
      const list = await rows('dataset');
      return rowFor(list, ready.id) ? list : undefined;
    });
    assert.ok(datasets.every((r) => !r.label.includes('tiny-gpt2')), 'models stay out of the Datasets view');
    assert.ok(rowFor(datasets, ready.id)?.children.some((c) => c.label.startsWith('data/train')), 'dataset files listed');
  });

  it('keeps row ids stable across updates (selection and focus survive)', async () => {
    const before = (await rows('model')).map((r) => r.id);
    const after = (await rows('model')).map((r) => r.id);
    assert.deepEqual(after, before);
    assert.ok(before.every((id) => id.startsWith('mistudio.entry/')));
  });

  it('cancel stops a running download, removes its partial files and is not an error', async () => {
    // Every CDN response stalls after 64 KiB, so the download is surely still running when it is cancelled.
    hub.setFaults([{ match: { server: 'cdn' }, kind: 'stall', afterBytes: 64 * 1024, ms: 20_000 }]);
    try {
      const queued = await download('model', BIG_MODEL);
      await waitFor('bytes to arrive', () => (studio.progressOf(queued.id)?.bytesDone ?? 0) > 0 || undefined);
      const blobs = path.join(studio.cacheRoot, repoFolderName({ kind: 'model', repoId: BIG_MODEL }), 'blobs');
      assert.ok(fs.readdirSync(blobs).some((f) => f.endsWith('.incomplete')), 'a partial file exists while downloading');
      const row = rowFor(await rows('model'), queued.id);
      assert.match(row?.contextValue ?? '', /;canCancel(;|$)/);
      await vscode.commands.executeCommand(COMMANDS.cancelDownload, { type: 'entry', entryId: queued.id });
      const entry = studio.catalog.getEntry(queued.id);
      assert.equal(entry?.status, 'cancelled');
      assert.equal(entry?.errorCode, null, 'a cancel records no error');
      assert.deepEqual(fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete')), [], 'partials removed');
      const cancelledRow = await waitFor('the row to show cancelled', async () => {
        const r = rowFor(await rows('model'), queued.id);
        return r?.description.includes('cancelled') ? r : undefined;
      });
      assert.match(cancelledRow.contextValue, /;canRetry(;|$)/);
    } finally {
      hub.setFaults([]);
    }
  });

  it('applies settings live: with one download at a time, the next waits as queued', async () => {
    hub.setFaults([{ match: { server: 'cdn' }, kind: 'stall', afterBytes: 64 * 1024, ms: 20_000 }]);
    await setSetting('maxConcurrentDownloads', 1);
    try {
      const big = studio.catalog.listEntries({ repoId: BIG_MODEL })[0];
      assert.ok(big, 'the cancelled big model from the previous test');
      await vscode.commands.executeCommand(COMMANDS.retry, big.id);
      await waitFor('the big model to download', () => (studio.progressOf(big.id)?.bytesDone ?? 0) > 0 || undefined);
      const glue = await download('dataset', 'mistudio-demo/tiny-glue');
      const row = await waitFor('the queued row', async () => {
        const r = rowFor(await rows('dataset'), glue.id);
        return r?.description.startsWith('queued') ? r : undefined;
      });
      assert.equal(row.icon, 'clock');
      assert.equal(studio.catalog.getEntry(glue.id)?.status, 'queued');
      await vscode.commands.executeCommand(COMMANDS.cancelDownload, big.id);
      const ready = await waitForStatus(studio, glue.id, ['ready', 'error']);
      assert.equal(ready.status, 'ready', ready.errorMessage ?? '');
    } finally {
      hub.setFaults([]);
      await setSetting('maxConcurrentDownloads', undefined);
    }
  });

  it('a gated repo ends in an error row that offers Sign In and Request Access', async () => {
    const queued = await download('model', GATED);
    const failed = await waitForStatus(studio, queued.id, ['error', 'ready']);
    assert.equal(failed.status, 'error');
    assert.equal(failed.errorCode, 'Gated');
    const row = await waitFor('the error row', async () => {
      const r = rowFor(await rows('model'), queued.id);
      return r?.icon === 'error' ? r : undefined;
    });
    assert.match(row.contextValue, /;canSignIn(;|$)/);
    assert.match(row.contextValue, /;canRequestAccess(;|$)/);
  });

  it('marks an entry whose files vanished as missing on Refresh, and Re-download restores it', async () => {
    const entry = studio.catalog.listEntries({ kind: 'dataset', repoId: TINY_STORIES })[0];
    assert.ok(entry?.snapshotPath);
    fs.rmSync(path.join(studio.cacheRoot, repoFolderName({ kind: 'dataset', repoId: TINY_STORIES })), { recursive: true, force: true });
    await vscode.commands.executeCommand(COMMANDS.refresh);
    assert.equal(studio.catalog.getEntry(entry.id)?.status, 'missing');
    const row = await waitFor('the missing row', async () => {
      const r = rowFor(await rows('dataset'), entry.id);
      return r?.icon === 'warning' ? r : undefined;
    });
    assert.match(row.contextValue, /;canRedownload(;|$)/);
    await vscode.commands.executeCommand(COMMANDS.redownload, entry.id);
    const ready = await waitForStatus(studio, entry.id, ['ready', 'error']);
    assert.equal(ready.status, 'ready', ready.errorMessage ?? '');
    assert.ok(fs.existsSync(ready.snapshotPath ?? ''), 'files are back');
  });

  it('Delete removes the entry at once and frees the disk in the background', async () => {
    const entry = studio.catalog.listEntries({ kind: 'model', repoId: TINY_GPT2 })[0];
    assert.ok(entry?.snapshotPath);
    const repoDir = path.join(studio.cacheRoot, repoFolderName({ kind: 'model', repoId: TINY_GPT2 }));
    const cleanupDone = new Promise<void>((resolve) => {
      const sub = api.onDidChangeCleanup(({ running }) => {
        if (running === 0) {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand(COMMANDS.delete, { entryId: entry.id, confirm: false });
    assert.equal(studio.catalog.getEntry(entry.id), undefined, 'the catalog row is gone when the command returns');
    await cleanupDone;
    await waitFor('the blobs to be removed', () => {
      const blobs = path.join(repoDir, 'blobs');
      return !fs.existsSync(blobs) || fs.readdirSync(blobs).length === 0 || undefined;
    });
    assert.ok(!fs.existsSync(entry.snapshotPath), 'the snapshot is gone');
    await waitFor('the row to disappear', async () => (rowFor(await rows('model'), entry.id) ? undefined : true));
  });

  it('refuses malformed command arguments without touching the catalog', async () => {
    const before = studio.catalog.listEntries().length;
    const result = await vscode.commands.executeCommand(COMMANDS.downloadModel, { repoId: '../../etc/passwd', confirm: false });
    assert.equal(result, undefined);
    await vscode.commands.executeCommand(COMMANDS.cancelDownload, { entryId: 'no such entry!' });
    assert.equal(studio.catalog.listEntries().length, before);
  });
});
