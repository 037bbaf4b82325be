import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { HfCache } from '../../src/core/cache/hfCache';
import { demoRepos } from '../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../fake-hub/index';
import { buildSafetensors } from '../fake-hub/safetensors';
import { addRevision } from '../unit/cache/fixtures';
import { openStudioSidebar, pickFromContextMenu, startSession, waitForNotification, type E2ESession } from './session';

/** Put in the cache as Python would have: the fake hub does not even serve it. */
const CACHED = { kind: 'model' as const, repoId: 'python-only/e2e-cached' };
const COMMIT = 'c0ffee00'.repeat(5);

function pane(page: Page, title: string): Locator {
  return page.locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^${title}`) }) });
}

function row(page: Page, paneTitle: string, text: string | RegExp): Locator {
  return pane(page, paneTitle).locator('.monaco-list-row', { hasText: text }).first();
}

function toast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** The Cache view in Chromium: another tool's download listed, adopted without a request, verified, freed. */
describe('The Cache view', function () {
  this.timeout(240_000);
  let hub: FakeHub;
  let session: E2ESession;
  let cacheRoot: string;

  before(async () => {
    cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-e2e-cache-'));
    const weights = buildSafetensors([{ name: 'w', dtype: 'F32', shape: [128, 128] }], {}, 5);
    await addRevision(new HfCache(cacheRoot), CACHED, COMMIT, [{ path: 'config.json', content: '{"model_type": "gpt2"}\n' }, { path: 'model.safetensors', content: weights }], 'main');
    hub = await startFakeHub({ repos: demoRepos() });
    session = await startSession({ env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cacheRoot } });
    await openStudioSidebar(session.page);
    const header = pane(session.page, 'Cache').locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await session?.workbench.screenshot(`cache-failed-${(this.currentTest.title ?? '').slice(0, 40).replace(/\W+/g, '-')}`);
  });

  after(async () => {
    await session?.stop();
    await hub?.close();
    fs.rmSync(cacheRoot, { recursive: true, force: true });
  });

  it('lists a repo another tool put in the cache as held by no catalog, with the total in the header', async () => {
    const page = session.page;
    const repoRow = row(page, 'Cache', CACHED.repoId);
    await repoRow.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await repoRow.innerText(), /model · 6\d\.\d kB · 1 revision · no catalog/);
    assert.match(await pane(page, 'Cache').locator('.pane-header').innerText(), /6\d\.\d kB in 1 repo/);
    await session.workbench.screenshot('cache-view-foreign-repo');
  });

  it('Add to Catalog makes it a ready entry in the Models view, with no request at all', async () => {
    const page = session.page;
    hub.resetStats();
    await row(page, 'Cache', CACHED.repoId).click();
    await pickFromContextMenu(page, row(page, 'Cache', /^main/), 'Add to Catalog');
    await row(page, 'Models', 'e2e-cached').locator('.codicon-pass-filled').waitFor({ state: 'visible', timeout: 30_000 });
    await row(page, 'Cache', /this workspace/).waitFor({ state: 'visible', timeout: 30_000 });
    assert.deepEqual(hub.requests, []);
  });

  it('Verify Files finds a blob truncated by hand and offers Repair', async () => {
    const page = session.page;
    const snapshot = path.join(cacheRoot, 'models--python-only--e2e-cached', 'snapshots', COMMIT);
    fs.truncateSync(fs.realpathSync(path.join(snapshot, 'model.safetensors')), 100);
    await pickFromContextMenu(page, row(page, 'Cache', /^main/), 'Verify Files');
    const warning = toast(page, /1 of 2 files are damaged: model\.safetensors/);
    await warning.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(await warning.locator('.monaco-button', { hasText: 'Repair' }).isVisible());
    await session.workbench.screenshot('cache-view-verify-damaged');
  });

  it('Delete Repo from Disk asks, frees it in the background, and the repo leaves both views', async () => {
    const page = session.page;
    await pickFromContextMenu(page, row(page, 'Cache', CACHED.repoId), 'Delete Repo from Disk');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await dialog.innerText(), /Delete python-only\/e2e-cached \(1 revision\) from disk\?/);
    assert.match(await dialog.innerText(), /Its entry leaves this workspace's catalog \(main\)/);
    await dialog.getByRole('button', { name: 'Delete from Disk' }).click();
    await waitForNotification(page, /Freed \d/);
    await row(page, 'Cache', CACHED.repoId).waitFor({ state: 'detached', timeout: 30_000 });
    await row(page, 'Models', 'e2e-cached').waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(fs.existsSync(path.join(cacheRoot, 'models--python-only--e2e-cached')), false);
  });
});
