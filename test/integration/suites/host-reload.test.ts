import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry } from '../../../src/core/catalog';
import { repoFolderName } from '../../../src/core/cache';
import { COMMANDS } from '../../../src/host/commandIds';
import { activateApi, BIG_MODEL, bigModel, rowFor, rows, setSetting, startHub, waitFor, waitForStatus } from './host-helpers';

/**
 * A download running when the window reloads survives: phase 1 starts it on a slow hub and leaves it running (the
 * hub dies with this extension host); after the reload the entry waits as paused with a Resume action, its partial
 * file still on disk, and Resume finishes it with Range requests instead of starting over.
 */
const SIZE_MB = 48;

function stateFile(): string {
  const results = process.env.MISTUDIO_TEST_RESULT;
  assert.ok(results, 'runs under the code-server harness');
  return `${results}.host-reload.json`;
}

describe('A download across a window reload', function () {
  this.timeout(120_000);

  it('is running when the window reloads', async () => {
    const api = await activateApi();
    // 8 connections × 32 kB/s: minutes for the whole file, so it is surely unfinished when phase 1 ends.
    await startHub({ extra: [bigModel(SIZE_MB)], cdnBytesPerSecondPerConnection: 32 * 1024 });
    const studio = await api.studio();
    const entry = await vscode.commands.executeCommand<CatalogEntry | undefined>(COMMANDS.downloadModel, { repoId: BIG_MODEL, confirm: false });
    assert.ok(entry);
    await waitFor('bytes to arrive', () => ((studio.progressOf(entry.id)?.bytesDone ?? 0) > 256 * 1024) || undefined);
    assert.equal(studio.catalog.getEntry(entry.id)?.status, 'downloading');
    fs.writeFileSync(stateFile(), JSON.stringify({ entryId: entry.id, pid: process.pid }));
    // No cleanup on purpose: the hub and the transfer end with this extension host.
  });

  it('waits as paused after the reload, with its partial file, and Resume finishes it @after-reload', async () => {
    const { entryId, pid } = JSON.parse(fs.readFileSync(stateFile(), 'utf8')) as { entryId: string; pid: number };
    assert.notEqual(pid, process.pid, 'a new extension host');
    const api = await activateApi();
    const studio = await api.studio();
    const paused = await waitForStatus(studio, entryId, ['paused'], 15_000);
    assert.equal(paused.repoId, BIG_MODEL);
    const blobs = path.join(studio.cacheRoot, repoFolderName({ kind: 'model', repoId: BIG_MODEL }), 'blobs');
    const partials = fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete'));
    assert.equal(partials.length, 1, 'the partial file survived the reload');
    const row = await waitFor('the paused row', async () => {
      const r = rowFor(await rows('model'), entryId);
      return r?.icon === 'debug-pause' ? r : undefined;
    });
    assert.match(row.contextValue, /;canResume(;|$)/);
    const doneBefore = studio.files(entryId).reduce((sum, f) => sum + f.bytesDone, 0);
    assert.ok(doneBefore > 0, 'the catalog remembers the bytes already on disk');

    const hub = await startHub({ extra: [bigModel(SIZE_MB)] });
    try {
      await vscode.commands.executeCommand(COMMANDS.resumeDownload, { type: 'entry', entryId });
      const ready = await waitForStatus(studio, entryId, ['ready', 'error'], 90_000);
      assert.equal(ready.status, 'ready', ready.errorMessage ?? '');
      const weights = path.join(ready.snapshotPath ?? '', 'model.safetensors');
      assert.equal(fs.statSync(weights).size, SIZE_MB * 1024 * 1024);
      const sent = hub.bytesSent({ server: 'cdn' });
      assert.ok(sent < SIZE_MB * 1024 * 1024, `resumed: ${sent} bytes sent, less than the whole file`);
      assert.ok(hub.requests.some((r) => r.server === 'cdn' && typeof r.headers.range === 'string'), 'Range requests were used');
    } finally {
      await setSetting('hubEndpoint', undefined);
      await hub.close();
    }
  });
});
