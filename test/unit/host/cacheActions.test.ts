import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import type { CacheActionResult, StudioApi } from '../../../src/core/studioTypes';
import { CacheActions, cacheDeleteConfirmation } from '../../../src/host/actions/cacheActions';
import { addRevision } from '../cache/fixtures';
import { bigRepo, repoFolder, startEnv, type StudioEnv } from '../studio/helpers';
import { fakeActionUi, type FakeActionUi } from './fakeActionUi';

const FOREIGN = { kind: 'model' as const, repoId: 'python/foreign' };
const C1 = 'c'.repeat(40);
const held = bigRepo('test/host-cache', 64 * 1024, 81);

describe('the Cache view’s actions', () => {
  let env: StudioEnv;
  let ui: FakeActionUi;
  let actions: CacheActions;
  let changes: number;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [held] } });
    ui = fakeActionUi();
    changes = 0;
    actions = new CacheActions({ studio: async () => env.studio, ui, log: { info: () => undefined, warn: () => undefined }, onDidChangeCache: () => changes++ });
    await addRevision(new HfCache(env.cacheRoot), FOREIGN, C1, [{ path: 'config.json', content: '{"model_type":"gpt2"}' }], 'main');
  });
  afterEach(async () => env.dispose());

  it('Add to Catalog adopts at the branch that names the revision and says so', async () => {
    const entry = await actions.addToCatalog({ ...FOREIGN, commit: C1, refs: ['main'] });
    expect(entry).toMatchObject({ status: 'ready', revision: 'main', commit: C1 });
    expect(ui.status).toHaveBeenCalledWith('$(check) Added python/foreign to the catalog');
    expect(changes).toBe(1);
    expect(env.hub.requests).toEqual([]);
  });

  it('Delete from Disk asks first, does nothing when declined, and reports what it freed', async () => {
    ui.confirm.mockResolvedValueOnce(false);
    expect(await actions.deleteFromDisk([FOREIGN], 'python/foreign')).toBeUndefined();
    expect(fs.existsSync(repoFolder(env.cacheRoot, 'model', FOREIGN.repoId))).toBe(true);
    expect(ui.confirm).toHaveBeenLastCalledWith('Delete python/foreign from disk?', 'Frees 21 B from disk. Python code that loads it will download it again.', 'Delete from Disk');

    const result = await actions.deleteFromDisk([FOREIGN], 'python/foreign');
    expect(result?.freedBytes).toBe(21);
    expect(fs.existsSync(repoFolder(env.cacheRoot, 'model', FOREIGN.repoId))).toBe(false);
    expect(ui.info).toHaveBeenLastCalledWith('Freed 21 B.');
  });

  it('a delete that fails is shown as an error, never as freed bytes', async () => {
    // The engine reports the job's failure (e.g. a folder it refuses to touch); the host must say so.
    const failing: StudioApi = Object.create(env.studio, {
      deleteFromCache: {
        value: async (): Promise<CacheActionResult> => ({
          freedBytes: 0,
          cancelled: false,
          partials: [],
          revisions: [{ ...FOREIGN, commit: C1, freedBytes: 0, pathsKept: 0, skipped: [], error: 'Refusing to delete from /x: blobs is a symlink' }],
        }),
      },
    }) as StudioApi;
    const failingActions = new CacheActions({ studio: async () => failing, ui, log: { info: () => undefined, warn: () => undefined }, onDidChangeCache: () => changes++ });
    const result = await failingActions.deleteFromDisk([{ ...FOREIGN, revision: C1 }], 'python/foreign@main');
    expect(result?.freedBytes).toBe(0);
    expect(ui.ask).toHaveBeenCalledWith('error', 'Freed 0 B. 1 could not be deleted: python/foreign@cccccccc: Refusing to delete from /x: blobs is a symlink. It is tried again at the next start.');
    expect(ui.info).not.toHaveBeenCalled();
    expect(changes).toBe(1);
  });

  it('the confirmation names the entries that leave the catalog and the catalogs that keep files', () => {
    const { detail } = cacheDeleteConfirmation('x', {
      freedBytes: 1000,
      revisions: [{ ...FOREIGN, commit: C1, refs: [], freedBytes: 1000, heldBy: [{ catalog: '/w/catalog.sqlite', revision: 'main' }], entries: [{ entryId: 'e', revision: 'v1' }] }],
    });
    expect(detail).toBe("Frees 1.0 kB from disk. Its entry leaves this workspace's catalog (v1). Files other catalogs hold stay: /w/catalog.sqlite (main).");
  });

  it('Verify says all is well, or names the damaged files and repairs them when asked', async () => {
    const entry = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: held.id })).id);
    const target = { kind: 'model' as const, repoId: held.id, commit: entry.commit!, refs: ['main'] };
    await actions.verify(target);
    expect(ui.info).toHaveBeenLastCalledWith(expect.stringMatching(/^test\/host-cache@main: all 2 files verified/));

    const blob = fs.realpathSync(path.join(entry.snapshotPath!, 'weights.bin'));
    fs.writeFileSync(blob, Buffer.alloc(64 * 1024));
    const report = await actions.verify(target);
    expect(report?.bad).toEqual([expect.objectContaining({ path: 'weights.bin', problem: 'content' })]);
    ui.ask.mockResolvedValueOnce('Repair');
    const repairing = await actions.offerRepair(target, report!);
    expect(ui.ask).toHaveBeenCalledWith('warning', 'test/host-cache@main: 1 of 2 files are damaged: weights.bin (wrong content)', 'Repair');
    expect(repairing?.id).toBe(entry.id);
    expect((await env.studio.whenSettled(entry.id)).status).toBe('ready');
    expect((await env.studio.verifyRevision({ kind: 'model', repoId: held.id, revision: 'main' })).bad).toEqual([]);
  });
});
