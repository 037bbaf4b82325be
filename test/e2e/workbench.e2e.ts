import * as assert from 'node:assert/strict';
import { openStudioSidebar, runFromPalette, startSession, type E2ESession } from './session';

describe('MechInterp Studio in the browser', function () {
  this.timeout(180_000);
  let session: E2ESession;

  before(async () => {
    session = await startSession();
  });

  after(async () => {
    await session?.stop();
  });

  it('shows its container in the activity bar with the Models and Datasets views', async () => {
    const { page } = session;
    await openStudioSidebar(page);
    const headers = page.locator('.sidebar .pane-header');
    await headers.filter({ hasText: 'Datasets' }).first().waitFor({ state: 'visible' });
    const titles = await headers.allInnerTexts();
    assert.ok(titles.some((t) => /models/i.test(t)), `Models view header in ${JSON.stringify(titles)}`);
    assert.ok(titles.some((t) => /datasets/i.test(t)), `Datasets view header in ${JSON.stringify(titles)}`);
    await page.locator('.sidebar .welcome-view-content', { hasText: 'Download a Model' }).first().waitFor({ state: 'visible' });
    await session.workbench.screenshot('e2e-sidebar');
  });

  it('runs a command from the command palette', async () => {
    const { page } = session;
    await runFromPalette(page, 'MechInterp Studio: Show Log');
    // The log channel opens in the Output panel and carries the activation line.
    const output = page.locator('.part.panel');
    await output.waitFor({ state: 'visible' });
    await page.locator('.part.panel .view-lines', { hasText: 'MechInterp Studio activated' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await session.workbench.screenshot('e2e-command-palette');
  });
});
