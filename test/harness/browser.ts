import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { artifactsDir, chromiumPath } from './paths';
import { log } from './log';

/** Flags that keep Debian's Chromium quiet and fast on a machine without a desktop or outside network. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
];

export interface Workbench {
  readonly browser: Browser;
  readonly page: Page;
  /** Saves a PNG under artifacts/ and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openWorkbench(url: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Workbench> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium (apt-get install chromium) or set MISTUDIO_CHROMIUM`);
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: options.colorScheme ?? 'dark' });
  return openWindow(browser, context, url, () => browser.close());
}

/**
 * A second workbench window in the same browser, as a user opening the same URL in another tab: VS Code gives it its
 * own extension host. Closing it closes only its tab.
 */
export async function openAnotherWindow(first: Workbench, url: string): Promise<Workbench> {
  let page: Page | undefined;
  const workbench = await openWindow(first.browser, first.page.context(), url, () => page?.close());
  page = workbench.page;
  return workbench;
}

async function openWindow(browser: Browser, context: BrowserContext, url: string, close: () => Promise<void> | undefined): Promise<Workbench> {
  const page = await context.newPage();
  page.on('pageerror', (err) => log(`[page error] ${err.message}`));
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  // The activity bar appears once the workbench has restored its layout.
  await page.locator('.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
  return {
    browser,
    page,
    async screenshot(name) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      const file = path.join(artifactsDir, `${name}.png`);
      await page.screenshot({ path: file });
      log(`screenshot ${path.relative(process.cwd(), file)}`);
      return file;
    },
    async close() {
      await close()?.catch(() => undefined);
    },
  };
}
