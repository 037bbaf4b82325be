import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openAnotherWindow, type Workbench } from '../harness/browser';
import { demoRepos } from '../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../fake-hub/index';
import { downloadFromPalette, findFiles, openStudioSidebar, pickFromContextMenu, startSession, treeRow, waitForValue, type E2ESession } from './session';

const GPT2 = 'mistudio-demo/tiny-gpt2';
/** How long window B may take to drop a row deleted in window A: a few seconds, generous for a loaded machine. */
const SYNC_DEADLINE_MS = 10_000;

interface HostLog {
  /** The extension host's log folder (exthost1, exthost2, …): one per extension host process. */
  readonly host: string;
  /** The catalog file its engine opened, once it has. */
  readonly catalog: string | undefined;
}

/** What each extension host's log of MechInterp Studio says about its catalog. */
function hostLogs(userDataDir: string): HostLog[] {
  return findFiles(path.join(userDataDir, 'logs'), 'MechInterp Studio.log').map((file) => ({
    host: path.basename(path.dirname(path.dirname(file))),
    catalog: /\] Catalog (.+?); cache /.exec(fs.readFileSync(file, 'utf8'))?.[1],
  }));
}

/** A mark on the page's window object: it survives anything but a reload. */
const MARK = 'mistudioNotReloaded';

describe('Two windows on one workspace', function () {
  this.timeout(300_000);
  let hub: FakeHub;
  let session: E2ESession;
  /** Window A is the session's page; B is a second tab on the same folder of the same code-server. */
  let windowB: Workbench;

  before(async () => {
    hub = await startFakeHub({ repos: demoRepos() });
    session = await startSession({ env: { HF_ENDPOINT: hub.url } });
    await openStudioSidebar(session.page);
    windowB = await openAnotherWindow(session.workbench, session.server.workbenchUrl);
    await openStudioSidebar(windowB.page);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    const name = (this.currentTest.title ?? 'test').slice(0, 40).replace(/\W+/g, '-');
    await session?.workbench.screenshot(`two-windows-failed-A-${name}`);
    await windowB?.screenshot(`two-windows-failed-B-${name}`);
  });

  after(async () => {
    await windowB?.close();
    await session?.stop();
    await hub?.close();
  });

  it('gives each window its own extension host, and both engines open the same catalog file', async () => {
    const opened = await waitForValue(
      'both windows’ engines to open their catalog',
      () => {
        const logs = hostLogs(session.server.userDataDir).filter((l) => l.catalog !== undefined);
        return logs.length >= 2 ? logs : undefined;
      },
      60_000,
    );
    assert.equal(new Set(opened.map((l) => l.host)).size, 2, `two extension hosts: ${JSON.stringify(opened)}`);
    const catalogs = [...new Set(opened.map((l) => l.catalog))];
    assert.equal(catalogs.length, 1, `one catalog file: ${JSON.stringify(opened)}`);
    // Two engines alive on it: each holds its own owner lease beside the catalog for as long as it runs.
    const leases = fs.readdirSync(`${catalogs[0]}.owners`).filter((f) => f.endsWith('.lock'));
    assert.equal(leases.length, 2, `owner leases: ${JSON.stringify(leases)}`);
  });

  it('a delete in one window removes the row from the other within seconds, without a reload', async () => {
    const a = session.page;
    const b = windowB.page;
    await downloadFromPalette(a, 'Model', 'tiny-gpt2', GPT2);
    // B never asked for it: it shows it because A's engine wrote it to the shared catalog.
    for (const page of [a, b]) await treeRow(page, 'tiny-gpt2').locator('.codicon-pass-filled').waitFor({ state: 'visible', timeout: 60_000 });
    await b.evaluate((mark) => Object.assign(globalThis, { [mark]: true }), MARK);

    await pickFromContextMenu(a, treeRow(a, 'tiny-gpt2'), /^Delete$/);
    const dialog = a.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await dialog.innerText(), /Delete mistudio-demo\/tiny-gpt2\?/);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    const confirmedAt = Date.now();

    const goneFromB = treeRow(b, 'tiny-gpt2')
      .waitFor({ state: 'detached', timeout: SYNC_DEADLINE_MS })
      .then(() => Date.now() - confirmedAt);
    await treeRow(a, 'tiny-gpt2').waitFor({ state: 'detached', timeout: 30_000 });
    const msInB = await goneFromB;
    assert.equal(await b.evaluate((mark) => (globalThis as Record<string, unknown>)[mark], MARK), true, 'window B was not reloaded');
    await windowB.screenshot('two-windows-B-after-delete-in-A');
    console.log(`      window B dropped the row ${(msInB / 1000).toFixed(1)} s after the delete was confirmed in window A`);
  });
});
