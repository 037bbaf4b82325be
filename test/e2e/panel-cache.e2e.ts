import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator, Locator } from 'playwright-core';
import { startFakeHub, type FakeHub } from '../fake-hub/index';
import { openStudioSidebar, runFromPalette, startSession, type E2ESession } from './session';

const REPO = 'python-only/e2e-model';
const COMMIT = 'c0ffee00'.repeat(5);

/**
 * A revision as huggingface_hub leaves it, written by hand (none of our code): blobs named by their git blob id,
 * relative snapshot links to them, and the ref naming the commit.
 */
function writeAsPythonWould(cacheDir: string, repoId: string, commit: string, files: Record<string, string>): void {
  const repoDir = path.join(cacheDir, `models--${repoId.replace('/', '--')}`);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  fs.mkdirSync(snapshot, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const bytes = Buffer.from(content);
    const blobId = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    fs.writeFileSync(path.join(repoDir, 'blobs', blobId), bytes);
    fs.symlinkSync(path.join('..', '..', 'blobs', blobId), path.join(snapshot, name));
  }
  fs.writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
}

/** The panel's page: VS Code hosts it in an iframe that holds the page's own iframe. */
function studio(session: E2ESession): FrameLocator {
  return session.page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
}

function cacheRow(panel: FrameLocator, name: string): Locator {
  return panel.locator('.cache-row', { has: panel.locator('.cache-name', { hasText: new RegExp(`^${name}$`) }) });
}

describe('Studio panel: the Cache tab in the browser', function () {
  this.timeout(300_000);
  let hub: FakeHub;
  let session: E2ESession;
  let panel: FrameLocator;
  let cacheDir: string;

  before(async () => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-e2e-hf-cache-'));
    writeAsPythonWould(cacheDir, REPO, COMMIT, {
      'config.json': '{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}\n',
      'README.md': '# put here by Python\n',
    });
    // The fake hub does not even serve the repo: Add to Catalog must not need it.
    hub = await startFakeHub({ repos: [] });
    session = await startSession({ colorScheme: 'dark', env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cacheDir } });
    panel = studio(session);
    await openStudioSidebar(session.page);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await session?.workbench.screenshot(`panel-cache-failed-${(this.currentTest.title ?? 'test').slice(0, 40).replace(/\W+/g, '-')}`);
  });

  after(async () => {
    await session?.stop();
    await hub?.close();
    if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('lists a repo another tool put in the cache, held by no catalog', async () => {
    await runFromPalette(session.page, 'MechInterp Studio: Open Studio Panel');
    await panel.getByRole('tab', { name: /Cache/ }).click();
    const row = cacheRow(panel, REPO);
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await row.locator('.cache-sub').innerText(), /^Model · 1 revision · main · held by no catalog$/);
    assert.match(await panel.locator('.cache-total').innerText(), /^[\d.]+ [k]?B in 1 repo$/);
    await session.workbench.screenshot('panel-cache-dark');
  });

  it('Add to Catalog makes it held by this workspace, a ready entry, with no request to the Hub', async () => {
    hub.resetStats();
    await cacheRow(panel, REPO).locator('.cache-name').click();
    const revision = cacheRow(panel, 'main');
    await revision.waitFor({ state: 'visible' });
    assert.match(await revision.locator('.cache-sub').innerText(), /^c0ffee00 · 2 files · held by no catalog$/);
    await revision.getByRole('button', { name: `Add to Catalog ${REPO}@main` }).click();
    await cacheRow(panel, REPO).locator('.cache-sub', { hasText: 'held by this workspace' }).waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await cacheRow(panel, 'main').getByRole('button', { name: /^Add to Catalog/ }).count(), 0);
    await session.workbench.screenshot('panel-cache-added');
    assert.deepEqual(hub.requests.filter((r) => r.url.includes('e2e-model')), []);

    await panel.getByRole('tab', { name: /Catalog/ }).click();
    await panel.locator('.entry-row.status-ready', { has: panel.locator('.entry-name', { hasText: REPO }) }).waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('Delete Repo from Disk asks in VS Code\'s own dialog, then the repo is gone from disk and the tab', async () => {
    await panel.getByRole('tab', { name: /Cache/ }).click();
    await cacheRow(panel, REPO).getByRole('button', { name: `Delete Repo from Disk ${REPO}` }).click();
    const dialog = session.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await dialog.innerText(), /Delete python-only\/e2e-model \(1 revision\) from disk\?/);
    await dialog.getByRole('button', { name: 'Delete from Disk' }).click();
    await cacheRow(panel, REPO).waitFor({ state: 'detached', timeout: 60_000 });
    await panel.locator('.cache-view .empty-state', { hasText: 'The Hugging Face cache is empty.' }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(fs.existsSync(path.join(cacheDir, 'models--python-only--e2e-model')), false);
  });
});
