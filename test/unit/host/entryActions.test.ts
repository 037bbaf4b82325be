import { afterEach, describe, expect, it, vi } from 'vitest';
import { MistudioError } from '../../../src/core/errors';
import { allowedActions, EntryActions } from '../../../src/host/actions/entryActions';
import { ENTRY_ACTIONS } from '../../../src/shared/protocol';
import { addEntries, createFakeStudio, type FakeStudio } from '../protocol/fakeStudio';
import { fakeActionUi } from './fakeActionUi';

const ENDPOINT = 'http://127.0.0.1:9';

describe('EntryActions: the one action layer of trees, palette and panel', () => {
  let studio: FakeStudio;
  afterEach(async () => studio?.close());

  async function setup(): Promise<{ actions: EntryActions; ui: ReturnType<typeof fakeActionUi>; log: string[] }> {
    studio = await createFakeStudio();
    const ui = fakeActionUi();
    const log: string[] = [];
    return { actions: new EntryActions({ studio: async () => studio, endpoint: () => ENDPOINT, ui, log: { info: (m) => log.push(m) } }), ui, log };
  }

  it('asks once before deleting several entries, then deletes each and says what it frees', async () => {
    const { actions, ui, log } = await setup();
    const ids = addEntries(studio, [
      { kind: 'model', repoId: 'org/a', status: 'ready', bytesTotal: 1000 },
      { kind: 'dataset', repoId: 'org/b', revision: 'v2', status: 'error', bytesTotal: 500 },
    ]);
    const entries = ids.map((id) => studio.catalog.getEntry(id)!);
    expect(await actions.run('delete', entries)).toBe(true);
    expect(ui.confirm).toHaveBeenCalledTimes(1);
    expect(ui.confirm).toHaveBeenCalledWith('Delete 2 entries?', expect.stringMatching(/^Frees 1\.5 kB in /), 'Delete');
    expect(studio.catalog.listEntries()).toEqual([]);
    expect(log).toHaveLength(2);
    expect(ui.status).toHaveBeenCalledWith(expect.stringContaining('Deleted 2 entries; freeing about 246 B'));
  });

  it('skips entries whose state does not allow the action, with a note, and acts on the rest', async () => {
    const { actions, ui } = await setup();
    const [downloading, ready] = addEntries(studio, [
      { kind: 'model', repoId: 'org/busy', status: 'downloading' },
      { kind: 'model', repoId: 'org/done', status: 'ready' },
    ]);
    expect(await actions.run('pause', [studio.catalog.getEntry(downloading!)!, studio.catalog.getEntry(ready!)!])).toBe(true);
    expect(studio.calls).toEqual([`pause:${downloading}`]);
    expect(ui.info).toHaveBeenCalledWith('org/done cannot be paused while it is ready.');
  });

  it('hands each entry’s failure to onError with a retry for resume, and goes on with the others', async () => {
    const { actions } = await setup();
    const [a, b] = addEntries(studio, [
      { kind: 'model', repoId: 'org/a', status: 'error' },
      { kind: 'model', repoId: 'org/b', status: 'error' },
    ]);
    vi.mocked(studio.resume).mockRejectedValueOnce(new MistudioError('Offline', 'offline'));
    const failures: Array<{ repoId: string; retry: boolean }> = [];
    await actions.run('retry', [studio.catalog.getEntry(a!)!, studio.catalog.getEntry(b!)!], { onError: (e, _err, retry) => failures.push({ repoId: e.repoId, retry: retry !== undefined }) });
    expect(failures).toEqual([{ repoId: 'org/a', retry: true }]);
    expect(studio.resume).toHaveBeenCalledTimes(2);
    expect(studio.catalog.getEntry(b!)?.status).toBe('queued');
  });

  it('every action a state allows maps to one capability, and the list follows the protocol’s order', () => {
    expect(allowedActions({ status: 'ready', snapshotPath: '/x', errorCode: null })).toEqual(['delete', 'reveal', 'openFolder', 'copyPath', 'copyId', 'copySnippet', 'openOnHub']);
    expect(allowedActions({ status: 'error', snapshotPath: null, errorCode: 'Gated' })).toEqual(['retry', 'delete', 'copyId', 'copySnippet', 'openOnHub', 'requestAccess']);
    expect(allowedActions({ status: 'missing', snapshotPath: null, errorCode: null })).toEqual(['redownload', 'delete', 'copyId', 'copySnippet', 'openOnHub']);
    for (const status of ['queued', 'downloading'] as const) expect(allowedActions({ status, snapshotPath: null, errorCode: null })).toEqual(['cancel', 'pause', 'copyId', 'copySnippet', 'openOnHub']);
    expect(ENTRY_ACTIONS.length).toBe(13);
  });
});
