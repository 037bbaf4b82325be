import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry } from '../../../src/core/catalog';
import { repoFolderName } from '../../../src/core/cache';
import { COMMANDS } from '../../../src/host/commandIds';
import type { FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import * as runSuites from '../runSuites';
import { activateApi, setSetting, startHub, waitFor, waitForStatus } from './host-helpers';

/**
 * kill -9 of the real extension host mid-download. Phase 2 (after the window reload) starts a slow download and
 * leaves it running; when phase 2 ends the runner SIGKILLs its own extension host (no deactivate, no flush) and VS
 * Code starts a new one. Phase 3 finds the entry paused with the partial and the ranges of its last checkpoint, and
 * Resume finishes it verified, fetching only what the checkpoint did not hold.
 */
const REPO_ID = 'mistudio-test/crash-model';
const SIZE = 32 * 1024 * 1024;
const SEED = 4242;
// Not safetensors: its header would be read for metadata, and those bytes are not part of the transfer.
const FILE = 'pytorch_model.bin';

function crashModel(): FakeRepo {
  return {
    kind: 'model',
    id: REPO_ID,
    commits: [
      {
        files: [
          { path: 'config.json', content: `${JSON.stringify({ model_type: 'gpt2' })}\n` },
          { path: FILE, content: seededBytes(SIZE, SEED), lfs: true },
        ],
      },
    ],
  };
}

function stateFile(): string {
  const results = process.env.MISTUDIO_TEST_RESULT;
  assert.ok(results, 'runs under the code-server harness');
  return `${results}.crash-exthost.json`;
}

/**
 * Phase 3 needs a runner that knows '@after-kill' (exports AFTER_KILL and SIGKILLs its host after phase 2). A runner
 * without it would run the phase-3 test in phase 1, before anything was killed, so the suite registers only with one.
 */
const runnerKillsHost = (Object.values(runSuites) as unknown[]).includes('@after-kill');

if (runnerKillsHost) describe('kill -9 of the extension host mid-download', function () {
  this.timeout(180_000);

  it('a download is moving bytes when the extension host is killed @after-reload', async () => {
    const api = await activateApi();
    // Two parts × 16 kB/s: many minutes for the whole file, so it is surely unfinished when the host is killed.
    await startHub({ extra: [crashModel()], cdnBytesPerSecondPerConnection: 16 * 1024 });
    const studio = await api.studio();
    const entry = await vscode.commands.executeCommand<CatalogEntry | undefined>(COMMANDS.downloadModel, { repoId: REPO_ID, confirm: false });
    assert.ok(entry);
    // Wait for a checkpoint of the ranges to reach the catalog (about once a second), so a kill has something to keep.
    await waitFor('a checkpoint of kept bytes', () => ((studio.files(entry.id).find((f) => f.path === FILE)?.bytesDone ?? 0) > 64 * 1024) || undefined, 60_000);
    assert.equal(studio.catalog.getEntry(entry.id)?.status, 'downloading');
    fs.writeFileSync(stateFile(), JSON.stringify({ entryId: entry.id, pid: process.pid }));
    // No cleanup on purpose: the hub and the transfer die with this extension host.
  });

  it('after the restart the entry waits paused with its partial, and Resume finishes it without re-sending kept bytes @after-kill', async () => {
    const { entryId, pid } = JSON.parse(fs.readFileSync(stateFile(), 'utf8')) as { entryId: string; pid: number };
    assert.notEqual(pid, process.pid, 'a new extension host');
    const api = await activateApi();
    const studio = await api.studio();
    const paused = await waitForStatus(studio, entryId, ['paused'], 30_000);
    assert.equal(paused.repoId, REPO_ID);

    const file = studio.files(entryId).find((f) => f.path === FILE);
    assert.ok(file);
    assert.equal(file.state, 'partial');
    const kept = file.bytesDone;
    assert.ok(kept > 0, 'the catalog kept the last checkpoint');
    const folder = path.join(studio.cacheRoot, repoFolderName({ kind: 'model', repoId: REPO_ID }));
    const partial = path.join(folder, 'blobs', `${file.blobId}.mistudio.incomplete`);
    assert.ok(fs.statSync(partial).size >= Math.max(...file.doneRanges.map(([, end]) => end)), 'the partial holds every checkpointed range');
    assert.equal(fs.existsSync(path.join(folder, 'blobs', file.blobId)), false, 'no unverified blob became visible');

    const hub = await startHub({ extra: [crashModel()] });
    try {
      await vscode.commands.executeCommand(COMMANDS.resumeDownload, { type: 'entry', entryId });
      const ready = await waitForStatus(studio, entryId, ['ready', 'error'], 120_000);
      assert.equal(ready.status, 'ready', ready.errorMessage ?? '');
      const bytes = fs.readFileSync(path.join(ready.snapshotPath ?? '', FILE));
      const expected = createHash('sha256').update(seededBytes(SIZE, SEED)).digest('hex');
      assert.equal(createHash('sha256').update(bytes).digest('hex'), expected);
      const sent = hub.bytesSent({ server: 'cdn' });
      assert.ok(sent <= SIZE - kept, `resumed: ${sent} bytes sent for ${SIZE - kept} missing`);
      assert.equal(fs.readdirSync(path.join(folder, 'blobs')).filter((n) => n.endsWith('.incomplete')).length, 0);
    } finally {
      await setSetting('hubEndpoint', undefined);
      await hub.close();
    }
  });
});
