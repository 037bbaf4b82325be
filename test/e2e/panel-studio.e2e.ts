import * as assert from 'node:assert/strict';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { demoRepos } from '../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../fake-hub/index';
import { seededBytes } from '../fake-hub/safetensors';
import { openStudioSidebar, runFromPalette, startSession, type E2ESession } from './session';

const BIG = 'mistudio-test/panel-big';
const GPT2 = 'mistudio-demo/tiny-gpt2';
const STORIES = 'mistudio-demo/tiny-stories';

/** One large LFS file, so its download is still running when the test cancels it. */
function bigModel(): FakeRepo {
  return {
    kind: 'model',
    id: BIG,
    commits: [{ files: [{ path: 'config.json', content: '{"model_type":"gpt2","architectures":["GPT2LMHeadModel"]}\n' }, { path: 'model.safetensors', content: seededBytes(32 * 1024 * 1024, 7), lfs: true }] }],
  };
}

/** The panel's page: VS Code hosts it in an iframe that holds the page's own iframe. */
function studio(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
}

function row(panel: FrameLocator, name: string): Locator {
  return panel.locator('.entry-row', { has: panel.locator('.entry-name', { hasText: name }) });
}

async function showTab(panel: FrameLocator, name: 'Catalog' | 'Hub'): Promise<void> {
  await panel.getByRole('tab', { name: new RegExp(name) }).click();
}

/** Hub tab → search → Download… → plan → Start, optionally changing the patterns on the way. */
async function downloadFromHub(
  panel: FrameLocator,
  kind: 'Models' | 'Datasets',
  repoId: string,
  patterns: { exclude?: string } = {},
  beforeStart?: () => Promise<unknown>,
): Promise<void> {
  await showTab(panel, 'Hub');
  await panel.getByLabel('Kind').selectOption({ label: kind });
  const search = panel.getByRole('searchbox', { name: 'Search the Hub' });
  await search.fill(repoId.split('/')[1] ?? repoId);
  const result = panel.locator(`.hub-row[data-repo-id="${repoId}"]`);
  await result.waitFor({ state: 'visible', timeout: 30_000 });
  await result.getByRole('button', { name: `Download ${repoId}…` }).click();
  const summary = panel.locator('.plan-summary');
  await summary.filter({ hasText: /files/ }).waitFor({ state: 'visible', timeout: 30_000 });
  if (patterns.exclude !== undefined) {
    const before = await summary.innerText();
    await panel.getByLabel('Exclude patterns').fill(patterns.exclude);
    await panel.locator('.plan-summary').filter({ hasNotText: before }).waitFor({ state: 'visible' });
  }
  await beforeStart?.();
  await panel.getByRole('button', { name: 'Start download' }).click();
  await panel.locator('.catalog-view').waitFor({ state: 'visible' });
}

describe('Studio panel in the browser', function () {
  this.timeout(300_000);
  let hub: FakeHub;
  let session: E2ESession;
  let panel: FrameLocator;

  before(async () => {
    // Slow CDN connections keep the big download running for a while; the demo files are small and stay quick.
    hub = await startFakeHub({ repos: [...demoRepos(), bigModel()], cdnBytesPerSecondPerConnection: 128 * 1024 });
    session = await startSession({ colorScheme: 'dark', env: { HF_ENDPOINT: hub.url } });
    panel = studio(session.page);
    // The extension's contributions are in once its container shows in the activity bar.
    await openStudioSidebar(session.page);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await session?.workbench.screenshot(`panel-failed-${(this.currentTest.title ?? 'test').slice(0, 40).replace(/\W+/g, '-')}`);
  });

  after(async () => {
    await session?.stop();
    await hub?.close();
  });

  it('opens from the command palette and shows the empty catalog', async () => {
    await runFromPalette(session.page, 'MechInterp Studio: Open Studio Panel');
    await session.page.locator('.tabs-container .tab', { hasText: 'MechInterp Studio' }).waitFor({ state: 'visible' });
    await panel.locator('.empty-state', { hasText: 'Your catalog is empty.' }).waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await panel.getByRole('tab', { name: /Catalog/ }).getAttribute('aria-selected'), 'true');
  });

  it('searches the Hub, with gated repos marked', async () => {
    await showTab(panel, 'Hub');
    await panel.getByRole('searchbox', { name: 'Search the Hub' }).fill('mistudio-demo');
    const gated = panel.locator('.hub-row[data-repo-id="mistudio-demo/gated-model"]');
    await gated.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await gated.innerText(), /Gated/);
    assert.ok((await panel.locator('.hub-row').count()) >= 3, 'the demo models are listed');
    await session.workbench.screenshot('panel-hub-dark');
  });

  it('downloads from a plan whose patterns change the total live', async () => {
    await downloadFromHub(panel, 'Models', GPT2, { exclude: '*.md' }, () => session.workbench.screenshot('panel-plan-dark'));
    await row(panel, GPT2).and(panel.locator('.status-ready')).waitFor({ state: 'visible', timeout: 90_000 });
    await downloadFromHub(panel, 'Datasets', STORIES);
    await row(panel, STORIES).and(panel.locator('.status-ready')).waitFor({ state: 'visible', timeout: 90_000 });
    assert.match(await row(panel, STORIES).innerText(), /splits: train, test/);
  });

  it('starts a download from the Hub view and cancels it from its row', async () => {
    await downloadFromHub(panel, 'Models', BIG);
    const big = row(panel, BIG);
    // Live progress pushed by the host: a percentage and a rate.
    await big.locator('.progress-text', { hasText: /[1-9]\d*% · [\d.]+ [kM]B\/s/ }).waitFor({ state: 'visible', timeout: 60_000 });
    await session.workbench.screenshot('panel-progress-dark');
    await big.getByRole('button', { name: `Cancel ${BIG}` }).click();
    await big.and(panel.locator('.status-cancelled')).waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await big.locator('.progress-text').innerText(), /Cancelled/);
  });

  it('filters the list as you type', async () => {
    const search = panel.getByRole('searchbox', { name: 'Search the catalog' });
    await search.fill('gpt');
    await panel.locator('.catalog-view .summary', { hasText: '1 of 3 entries' }).waitFor({ state: 'visible' });
    assert.deepEqual(await panel.locator('.entry-row .entry-name').allInnerTexts(), [GPT2]);
    await search.fill('STORIES');
    await panel.locator('.entry-row .entry-name', { hasText: STORIES }).waitFor({ state: 'visible' });
    assert.deepEqual(await panel.locator('.entry-row .entry-name').allInnerTexts(), [STORIES]);
    await search.fill('');
    await panel.locator('.catalog-view .summary', { hasText: '3 entries' }).waitFor({ state: 'visible' });
  });

  it('looks native in the dark and the light theme', async () => {
    await panel.locator('.entry-row').first().waitFor({ state: 'visible' });
    await session.workbench.screenshot('panel-dark');
    await runFromPalette(session.page, 'Preferences: Toggle between Light/Dark Themes');
    await session.page.locator('.monaco-workbench.vs').waitFor({ state: 'attached', timeout: 30_000 });
    // The page follows the theme through VS Code's variables; give it a frame to repaint.
    await session.page.waitForTimeout(500);
    await session.workbench.screenshot('panel-light');
    await row(panel, GPT2).click();
    await panel.locator('.detail-view h3', { hasText: /Files \(\d+ of \d+ verified\)/ }).waitFor({ state: 'visible' });
    await session.workbench.screenshot('panel-detail-light');
    await panel.getByRole('button', { name: 'Back' }).click();
  });

  it('deletes an entry after a confirmation that names the space it frees', async () => {
    await row(panel, GPT2).getByRole('button', { name: `Delete ${GPT2}` }).click();
    const dialog = session.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, /Delete mistudio-demo\/tiny-gpt2\?/);
    assert.match(text, /Frees [\d.]+ [kM]?B in /);
    await session.workbench.screenshot('panel-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row(panel, GPT2).waitFor({ state: 'detached', timeout: 30_000 });
    await panel.locator('.catalog-view .summary', { hasText: '2 entries' }).waitFor({ state: 'visible' });
  });
});
