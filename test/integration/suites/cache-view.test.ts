import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HfCache } from '../../../src/core/cache/hfCache';
import type { CatalogEntry } from '../../../src/core/catalog';
import type { CacheActionResult, StudioApi, VerifyReport } from '../../../src/core/studioTypes';
import { COMMANDS, TREE_PROBE_COMMAND } from '../../../src/host/commandIds';
import type { RenderedRow } from '../../../src/host/entryTree';
import type { FakeHub } from '../../fake-hub/index';
import { buildSafetensors } from '../../fake-hub/safetensors';
import { addRevision } from '../../unit/cache/fixtures';
import { activateApi, rows, setSetting, startHub, waitFor } from './host-helpers';

/** Put in the cache as Python would leave it: the catalog never saw it, and the fake hub does not even serve it. */
const PYTHON_MODEL = { kind: 'model' as const, repoId: 'python-only/cached-model' };
const COMMIT = 'feedc0de'.repeat(5);
const KEY = `model:${PYTHON_MODEL.repoId}`;

async function cacheRows(): Promise<RenderedRow[]> {
  await vscode.commands.executeCommand(COMMANDS.refreshCache);
  return (await vscode.commands.executeCommand<RenderedRow[]>(TREE_PROBE_COMMAND, 'cache')) ?? [];
}

/** The Cache view in the real VS Code: another tool's download listed, adopted with no request, verified, freed. */
describe('the Cache view', function () {
  this.timeout(120_000);
  let studio: StudioApi;
  let hub: FakeHub;

  before(async () => {
    const api = await activateApi();
    hub = await startHub();
    studio = await api.studio();
    const weights = buildSafetensors([{ name: 'w', dtype: 'F32', shape: [64, 64] }], {}, 11);
    await addRevision(new HfCache(studio.cacheRoot), PYTHON_MODEL, COMMIT, [{ path: 'config.json', content: '{"model_type": "gpt2"}\n' }, { path: 'model.safetensors', content: weights }], 'main');
  });
  after(async () => {
    await setSetting('hubEndpoint', undefined);
    await hub?.close();
  });

  it('lists a repo another tool put in the cache, held by no catalog, with its revision', async () => {
    const row = (await cacheRows()).find((r) => r.label === PYTHON_MODEL.repoId);
    assert.ok(row, 'the repo is listed');
    assert.match(row.description, /^model · 16\.\d kB · 1 revision · no catalog$/);
    assert.equal(row.children.length, 1);
    assert.equal(row.children[0]?.label, 'main');
    assert.match(row.children[0]?.contextValue ?? '', /canAdopt/);
  });

  it('Add to Catalog makes it a ready entry without a single request, shown in the Models view', async () => {
    hub.resetStats();
    const entry = await vscode.commands.executeCommand<CatalogEntry | undefined>(COMMANDS.addToCatalog, { type: 'cacheRevision', key: KEY, commit: COMMIT });
    assert.ok(entry);
    assert.equal(entry.status, 'ready');
    assert.equal(entry.metadata.model?.parameters?.total, 64 * 64);
    assert.deepEqual(hub.requests, []);
    await waitFor('the Models view to list it ready', async () => (await rows('model')).find((r) => r.label === 'cached-model' && r.icon === 'pass-filled'));
    const row = (await cacheRows()).find((r) => r.label === PYTHON_MODEL.repoId);
    assert.match(row?.description ?? '', /this workspace$/);
  });

  it('Verify finds a blob truncated by hand', async () => {
    const snapshot = path.join(studio.cacheRoot, 'models--python-only--cached-model', 'snapshots', COMMIT);
    fs.truncateSync(fs.realpathSync(path.join(snapshot, 'model.safetensors')), 100);
    const report = await vscode.commands.executeCommand<VerifyReport | undefined>(COMMANDS.verifyRevision, { type: 'cacheRevision', key: KEY, commit: COMMIT });
    assert.ok(report);
    assert.deepEqual(report.bad.map((b) => [b.path, b.problem]), [['model.safetensors', 'content']]);
    assert.equal(report.files, 2);
  });

  it('Delete Repo from Disk frees it, takes its entry out of the catalog and the view', async () => {
    const result = await vscode.commands.executeCommand<CacheActionResult | undefined>(COMMANDS.deleteRepoFromDisk, { type: 'cacheRepo', key: KEY, confirm: false });
    assert.ok(result);
    assert.equal(result.revisions[0]?.error, undefined);
    assert.ok(result.freedBytes > 0, `freed ${result.freedBytes}`);
    assert.equal(fs.existsSync(path.join(studio.cacheRoot, 'models--python-only--cached-model')), false);
    assert.equal(studio.catalog.findEntry('model', PYTHON_MODEL.repoId), undefined);
    await waitFor('the row to leave the Cache view', async () => ((await cacheRows()).some((r) => r.label === PYTHON_MODEL.repoId) ? undefined : true));
  });
});
