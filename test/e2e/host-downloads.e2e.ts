import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { demoRepos } from '../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../fake-hub/index';
import { seededBytes } from '../fake-hub/safetensors';
import {
  confirmPlan,
  downloadFromPalette,
  findFile,
  openStudioSidebar,
  pickAndContinue,
  quickInput,
  runFromPalette,
  startSession,
  treeRow,
  waitForFile,
  type E2ESession,
} from './session';

const BIG = 'mistudio-test/big-model';
const TOKEN = 'hf_e2e_token_123';

function bigModel(): FakeRepo {
  return {
    kind: 'model',
    id: BIG,
    commits: [{ files: [{ path: 'config.json', content: '{"model_type":"gpt2"}\n' }, { path: 'model.safetensors', content: seededBytes(24 * 1024 * 1024, 42), lfs: true }] }],
  };
}

/** Drags the sidebar's edge to the right, so rows show their whole description in screenshots. */
async function widenSidebar(page: Page, pixels: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width + 1;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + pixels, y, { steps: 8 });
  await page.mouse.up();
  // Click the empty editor area: no highlighted sash, no focus outline in the screenshot; then let the hover fade.
  await page.mouse.click(x + pixels + 400, y + 100);
  await page.waitForTimeout(600);
}

function toast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

describe('MechInterp Studio views, palette and notifications against the fake hub', function () {
  this.timeout(240_000);
  let hub: FakeHub;
  let session: E2ESession;

  before(async () => {
    // Slow CDN connections, so the big download is visibly in progress for a while.
    hub = await startFakeHub({ repos: [...demoRepos(), bigModel()], cdnBytesPerSecondPerConnection: 96 * 1024, tokens: { [TOKEN]: { user: 'e2e-user', canAccessGated: true } } });
    session = await startSession({ env: { HF_ENDPOINT: hub.url } });
    await openStudioSidebar(session.page);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await session?.workbench.screenshot(`host-failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
      const logFile = session && findFile(session.server.userDataDir, 'MechInterp Studio.log');
      if (logFile) console.log(fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n'));
    }
  });

  after(async () => {
    await session?.stop();
    await hub?.close();
  });

  it('activates without loading the catalog; the catalog opens when the views first render', async () => {
    const logFile = await waitForFile(session.server.userDataDir, 'MechInterp Studio.log');
    const lines = fs.readFileSync(logFile, 'utf8').split('\n');
    const activated = lines.findIndex((l) => l.includes('MechInterp Studio activated in'));
    const catalog = lines.findIndex((l) => l.includes('Catalog '));
    assert.ok(activated >= 0, 'the activation line is logged');
    assert.ok(catalog === -1 || catalog > activated, 'the catalog opens after activation, not during it');
    console.log(`      ${lines[activated]?.replace(/^.*?(MechInterp Studio activated in [\d.]+ ms).*$/, '$1')}`);
  });

  it('downloads a model from the command palette and shows it ready in the sidebar', async () => {
    const { page } = session;
    await downloadFromPalette(page, 'Model', 'tiny-gpt2', 'mistudio-demo/tiny-gpt2');
    await treeRow(page, 'tiny-gpt2').waitFor({ state: 'visible' });
    await page.locator('.sidebar .monaco-list-row', { hasText: 'tiny-gpt2' }).locator('.codicon-pass-filled').first().waitFor({ state: 'visible', timeout: 60_000 });
  });

  it('downloads a dataset from the welcome button; the sidebar shows both', async () => {
    const { page } = session;
    await page.locator('.sidebar .welcome-view-content .monaco-button', { hasText: 'Download a Dataset' }).first().click();
    await pickAndContinue(page, 'Dataset', 'tiny-stories', 'mistudio-demo/tiny-stories');
    await page.locator('.sidebar .monaco-list-row', { hasText: 'tiny-stories' }).locator('.codicon-pass-filled').first().waitFor({ state: 'visible', timeout: 60_000 });
    assert.ok(await treeRow(page, 'tiny-gpt2').isVisible(), 'the model is still listed');
    await session.workbench.screenshot('host-sidebar-downloaded');
  });

  it('Search Catalog… finds an entry by name and selects it in its view', async () => {
    const { page } = session;
    await runFromPalette(page, 'MechInterp Studio: Search Catalog…');
    await quickInput(page).locator('input').fill('stories');
    const list = quickInput(page).locator('.quick-input-list .monaco-list-row');
    await list.filter({ hasText: 'mistudio-demo/tiny-stories' }).first().waitFor({ state: 'visible' });
    await list.filter({ hasText: 'tiny-gpt2' }).waitFor({ state: 'detached' });
    await list.filter({ hasText: 'mistudio-demo/tiny-stories' }).first().click();
    await page.locator('.sidebar .monaco-list-row.selected', { hasText: 'tiny-stories' }).first().waitFor({ state: 'visible' });
  });

  it('offers the actions that fit a ready entry in its context menu', async () => {
    const { page } = session;
    await treeRow(page, 'tiny-gpt2').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible' });
    const items = await menu.locator('.action-label').allInnerTexts();
    for (const expected of ['Copy Python Snippet', 'Copy Repo ID', 'Open on Hugging Face', 'Delete']) assert.ok(items.includes(expected), `${expected} in ${JSON.stringify(items)}`);
    for (const absent of ['Cancel Download', 'Pause Download', 'Resume Download', 'Retry']) assert.ok(!items.includes(absent), `${absent} not offered for a ready entry`);
    await page.keyboard.press('Escape');
  });

  it('shows live progress in the tree and a notification; Cancel in the notification removes the partial file', async () => {
    const { page, server } = session;
    await downloadFromPalette(page, 'Model', 'big-model', BIG);
    const notification = toast(page, `Downloading ${BIG}`);
    await notification.waitFor({ state: 'visible', timeout: 30_000 });
    // Wait until both the row and the notification show real numbers (percent, rate, time left).
    await page.locator('.sidebar .monaco-list-row', { hasText: 'big-model' }).filter({ hasText: /\d+% · .*\/s/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await notification.filter({ hasText: /MB of .* MB/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await widenSidebar(page, 180);
    await session.workbench.screenshot('host-mid-download');

    const blobs = path.join(server.tempRoot, 'hf-cache', 'models--mistudio-test--big-model', 'blobs');
    assert.ok(fs.readdirSync(blobs).some((f) => f.endsWith('.incomplete')), 'a partial file exists mid-download');
    await notification.hover();
    await notification.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await page.locator('.sidebar .monaco-list-row', { hasText: 'big-model' }).filter({ hasText: 'cancelled' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await notification.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('.notifications-toasts .notification-toast', { hasText: /error|failed/i }).count(), 0, 'a cancel shows no error');
    assert.deepEqual(fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete')), [], 'partial files removed');
  });

  it('a gated model offers Sign In and Request Access; signing in retries and downloads it', async () => {
    const { page } = session;
    await downloadFromPalette(page, 'Model', 'gated', 'mistudio-demo/gated-model', { confirm: false });
    const error = toast(page, 'gated');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    await toast(page, 'Listing the files').waitFor({ state: 'hidden' });
    const buttons = await error.locator('.monaco-button').allInnerTexts();
    assert.ok(buttons.includes('Sign In') && buttons.includes('Request Access'), `buttons ${JSON.stringify(buttons)}`);
    await session.workbench.screenshot('host-gated-error');

    await error.locator('.monaco-button', { hasText: 'Sign In' }).click();
    const input = quickInput(page).locator('input');
    await quickInput(page).locator('.quick-input-title', { hasText: 'Sign In to Hugging Face' }).waitFor({ state: 'visible' });
    await input.fill(TOKEN);
    await page.keyboard.press('Enter');
    await toast(page, 'Signed in to Hugging Face as e2e-user').waitFor({ state: 'visible', timeout: 30_000 });
    // The failed step runs again with the token: the plan appears and is confirmed.
    await confirmPlan(page, 'mistudio-demo/gated-model');
    await page.locator('.sidebar .monaco-list-row', { hasText: 'gated-model' }).locator('.codicon-pass-filled').first().waitFor({ state: 'visible', timeout: 60_000 });
    assert.ok(hub.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`), 'the token was sent to the hub');
  });
});
