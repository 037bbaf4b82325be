import * as fs from 'node:fs';
import * as path from 'node:path';
import { openWorkbench, type Workbench } from '../harness/browser';
import { startVsCodeServer, type VsCodeServer } from '../harness/vscodeServer';
import type { Locator, Page } from 'playwright-core';

/** One real VS Code (code-server) with the packaged extension, and Chromium looking at it. */
export interface E2ESession {
  readonly server: VsCodeServer;
  readonly workbench: Workbench;
  readonly page: Page;
  stop(): Promise<void>;
}

export async function startSession(options: { colorScheme?: 'light' | 'dark'; env?: NodeJS.ProcessEnv } = {}): Promise<E2ESession> {
  const vsix = process.env.MISTUDIO_VSIX;
  if (!vsix) throw new Error('MISTUDIO_VSIX is not set: run the E2E tests through `npm run test:e2e`');
  const server = await startVsCodeServer({
    vsix,
    ...(options.env ? { env: options.env } : {}),
    settings: { 'workbench.colorTheme': options.colorScheme === 'light' ? 'Default Light Modern' : 'Default Dark Modern' },
  });
  try {
    const workbench = await openWorkbench(server.workbenchUrl, options.colorScheme ? { colorScheme: options.colorScheme } : {});
    return {
      server,
      workbench,
      page: workbench.page,
      async stop() {
        await workbench.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Runs a command through the command palette, the way a user does: F1, type its title, Enter. */
export async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** Opens the MechInterp Studio container from the activity bar. */
export async function openStudioSidebar(page: Page): Promise<void> {
  const item = page.locator('.activitybar [aria-label^="MechInterp Studio"]').first();
  await item.waitFor({ state: 'visible' });
  const expanded = await item.getAttribute('aria-expanded');
  if (expanded !== 'true') await item.click();
  await page.locator('.sidebar .pane-header', { hasText: 'Models' }).first().waitFor({ state: 'visible' });
}

export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/** Waits for the step whose title contains `title`, then presses Enter (accepting the prefilled value). */
export async function acceptStep(page: Page, title: string): Promise<void> {
  await quickInput(page).locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** Download Model… / Download Dataset… the way a user does: search, pick, accept revision and patterns, confirm. */
export async function downloadFromPalette(page: Page, kind: 'Model' | 'Dataset', search: string, repoId: string, options: { confirm?: boolean } = {}): Promise<void> {
  await runFromPalette(page, `MechInterp Studio: Download ${kind}…`);
  await pickAndContinue(page, kind, search, repoId, options);
}

export async function pickAndContinue(page: Page, kind: 'Model' | 'Dataset', search: string, repoId: string, options: { confirm?: boolean } = {}): Promise<void> {
  const input = quickInput(page).locator('input');
  await quickInput(page).locator('.quick-input-title', { hasText: `Download ${kind} (1/4)` }).waitFor({ state: 'visible' });
  await input.fill(search);
  await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: repoId }).first().click();
  await acceptStep(page, `Download ${kind} (2/4)`);
  await acceptStep(page, `Download ${kind} (3/4)`);
  if (options.confirm === false) return;
  await confirmPlan(page, repoId);
}

export async function confirmPlan(page: Page, repoId: string): Promise<void> {
  await quickInput(page).locator('.quick-input-title', { hasText: repoId }).waitFor({ state: 'visible', timeout: 30_000 });
  await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: /Download \d+ files?/ }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await quickInput(page).waitFor({ state: 'hidden' });
}

/** Polls `probe` (files, logs: what the page cannot tell) until it returns a value; fails after `timeoutMs`. */
export async function waitForValue<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The first file named `name` below `dir` (VS Code writes extension logs into a dated folder), once it exists. */
export function waitForFile(dir: string, name: string): Promise<string> {
  return waitForValue(`${name} under ${dir}`, () => findFile(dir, name));
}

export function findFile(dir: string, name: string): string | undefined {
  return findFiles(dir, name)[0];
}

/** Every file whose name ends with `name` below `dir`, depth first. */
export function findFiles(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(name)) found.push(full);
    if (entry.isDirectory()) found.push(...findFiles(full, name));
  }
  return found;
}

/** A row of the sidebar's trees whose text contains `text`. */
export function treeRow(page: Page, text: string): Locator {
  return page.locator('.sidebar .monaco-list-row', { hasText: text }).first();
}

/**
 * Runs `item` from the context menu of `target` as a person would: right-click, point at the item, click. The
 * workbench's menu ignores a mouse-up that lands the same instant the pointer arrives (no hand clicks that fast), so
 * the click waits until the menu has taken the hover, and the menu must close (the action ran) before this returns.
 */
export async function pickFromContextMenu(page: Page, target: Locator, item: string | RegExp): Promise<void> {
  await target.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible' });
  const entry = menu.locator('.action-item', { has: page.locator('.action-label', { hasText: item }) });
  await entry.hover();
  await menu.locator('.action-item.focused', { has: page.locator('.action-label', { hasText: item }) }).waitFor({ state: 'visible' });
  await entry.click({ delay: 80 });
  await menu.waitFor({ state: 'hidden', timeout: 5_000 });
}

/**
 * Waits for a notification saying `text`: as a toast, or — when the workbench keeps it out of the toasts (they make
 * room for newer ones and fade on their own) — in the notification center, which keeps every message.
 */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  try {
    await toast.waitFor({ state: 'visible', timeout: Math.min(timeoutMs, 10_000) });
    return;
  } catch {
    // Not as a toast (yet): the center says whether it was shown.
  }
  await runFromPalette(page, 'Notifications: Show Notifications');
  try {
    await page.locator('.notifications-center .notification-list-item', { hasText: text }).first().waitFor({ state: 'visible', timeout: Math.max(1_000, timeoutMs - 10_000) });
  } finally {
    await page.keyboard.press('Escape');
  }
}
