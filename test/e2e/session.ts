import { openWorkbench, type Workbench } from '../harness/browser';
import { startVsCodeServer, type VsCodeServer } from '../harness/vscodeServer';
import type { Page } from 'playwright-core';

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
