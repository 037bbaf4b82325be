// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FakeRepo } from '../protocol/fakeCache';
import { key, memoryStorage, openPanel, type, type Panel } from './panelHarness';

let panel: Panel | undefined;

afterEach(async () => {
  await panel?.dispose();
  panel = undefined;
});

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);
const C4 = '4'.repeat(40);
const DAY = 86_400_000;

const FOREIGN: FakeRepo = { kind: 'model', repoId: 'python/foreign', lastAccessed: Date.now() - 3 * DAY, revisions: [{ commit: C1, refs: ['main'], size: 5_000, files: 3 }, { commit: C2, size: 1_000 }] };
const SHARED: FakeRepo = { kind: 'dataset', repoId: 'org/shared', lastAccessed: Date.now() - DAY, revisions: [{ commit: C3, refs: ['main'], size: 2_000, otherCatalogs: ['/other/catalog.sqlite'] }] };
const SPACE: FakeRepo = { kind: 'space', repoId: 'org/demo', lastAccessed: Date.now() - 2 * DAY, revisions: [{ commit: C4, refs: ['main'], size: 300 }], partials: [{ blobId: 'f'.repeat(64), size: 700, owner: 'foreign', heldBy: null }] };
const HELD: FakeRepo = { kind: 'model', repoId: 'alpha/held', lastAccessed: Date.now() - 10 * DAY, revisions: [{ commit: C1, refs: ['main'], size: 10 }] };

/** Waits for the page, patiently: the machine may be busy with other suites. */
function until(check: () => void, options: { timeout: number } = { timeout: 5_000 }): Promise<void> {
  return vi.waitFor(check, options);
}

function query<T extends Element = HTMLElement>(selector: string): T {
  const el = panel?.root.querySelector<T>(selector);
  if (!el) throw new Error(`no ${selector}`);
  return el;
}

/** The rows on screen in list order: repos by id, revisions by their refs, partials by their label. */
function lines(): string[] {
  return [...(panel?.root.querySelectorAll<HTMLElement>('.cache-row:not(.placeholder)') ?? [])]
    .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
    .map((r) => `${r.classList.contains('child') ? '  ' : ''}${r.querySelector('.cache-name')?.textContent ?? ''}`);
}

function row(name: string): HTMLElement {
  const found = [...(panel?.root.querySelectorAll<HTMLElement>('.cache-row') ?? [])].find((r) => r.querySelector('.cache-name')?.textContent === name);
  if (!found) throw new Error(`no row ${name}`);
  return found;
}

function buttons(name: string): string[] {
  return [...row(name).querySelectorAll('button')].map((b) => b.getAttribute('title') ?? '');
}

function scans(): number {
  return panel?.sent.filter((m) => m.type === 'request' && m.method === 'cacheScan').length ?? 0;
}

async function openCacheTab(repos: FakeRepo[], setupStudio?: (p: Panel) => void): Promise<Panel> {
  panel = await openPanel();
  panel.studio.cache.repos = repos;
  setupStudio?.(panel);
  query<HTMLButtonElement>('#tab-cache').click();
  // A thousand repos cross two structured clones each way; give a loaded machine time.
  await until(() => expect(query('.cache-total').textContent).toMatch(/ in \d+ repos?/), { timeout: 15_000 });
  return panel;
}

describe('Studio page: the Cache tab', () => {
  it('lists every repo of the cache, biggest first, with what it holds and who holds it, under the Cache tree\'s header', async () => {
    await openCacheTab([HELD, SPACE, FOREIGN, SHARED], (p) => {
      p.studio.cache.xetBytes = 3_000_000;
      p.studio.catalog.addEntry({ kind: 'model', repoId: 'alpha/held', commit: C1, status: 'ready' });
    });
    expect(lines()).toEqual(['python/foreign', 'org/shared', 'org/demo', 'alpha/held']);
    expect(query('.cache-total').textContent).toBe('8.3 kB in 4 repos · 700 B partial · Xet 3.0 MB');
    expect(query('#tab-cache .count').textContent).toBe('4');
    expect(query('.cache-matches').textContent).toBe('');
    expect(row('python/foreign').querySelector('.cache-sub')?.textContent).toBe('Model · 2 revisions · main · held by no catalog');
    expect(row('python/foreign').querySelector('.cache-size')?.textContent).toBe('6.0 kB');
    expect(row('python/foreign').querySelector('.cache-age')?.textContent).toBe('used 3 days ago');
    expect(row('org/shared').querySelector('.cache-sub')?.textContent).toBe('Dataset · 1 revision · main · held by 1 other catalog');
    expect(row('org/demo').querySelector('.cache-sub')?.textContent).toBe('Space · 1 revision · main · held by no catalog · 700 B partial');
    expect(row('alpha/held').querySelector('.cache-sub')?.textContent).toBe('Model · 1 revision · main · held by this workspace');
    expect(row('python/foreign').getAttribute('role')).toBe('treeitem');
    expect(row('python/foreign').getAttribute('aria-expanded')).toBe('false');
    expect(query('.cache-list').getAttribute('role')).toBe('tree');
  });

  it('sorts by size, name or last use and filters as you type, without asking the host again', async () => {
    await openCacheTab([HELD, SPACE, FOREIGN, SHARED]);
    const scansBefore = scans();
    const sort = query<HTMLSelectElement>('.cache-view select[aria-label="Sort by"]');
    sort.value = 'name';
    sort.dispatchEvent(new Event('change'));
    expect(lines()).toEqual(['alpha/held', 'org/demo', 'org/shared', 'python/foreign']);
    sort.value = 'lastUsed';
    sort.dispatchEvent(new Event('change'));
    expect(lines()).toEqual(['org/shared', 'org/demo', 'python/foreign', 'alpha/held']);

    const filter = query<HTMLInputElement>('input[aria-label="Filter the cache"]');
    type(filter, 'DATASET');
    expect(lines()).toEqual(['org/shared']);
    expect(query('.cache-matches').textContent).toBe('1 of 4 repos match');
    type(filter, 'org model');
    expect(lines()).toEqual([]);
    expect(query('.cache-view .empty-state').textContent).toBe('Nothing in the cache matches.');
    type(filter, 'org');
    expect(lines()).toEqual(['org/shared', 'org/demo']);
    expect(scans()).toBe(scansBefore);
    expect(panel?.storage.state?.cache).toEqual({ sort: 'lastUsed', filter: 'org' });

    await panel?.reload();
    await until(() => expect(lines()).toEqual(['org/shared', 'org/demo']));
    expect(query<HTMLSelectElement>('.cache-view select[aria-label="Sort by"]').value).toBe('lastUsed');
  });

  it('expands a repo to its revisions and partial downloads, with buttons only where the host allows them', async () => {
    await openCacheTab([FOREIGN, SPACE, HELD], (p) => p.studio.catalog.addEntry({ kind: 'model', repoId: 'alpha/held', commit: C1, status: 'ready' }));
    for (const name of ['python/foreign', 'org/demo', 'alpha/held']) row(name).querySelector<HTMLElement>('.cache-name')?.click();
    expect(lines()).toEqual(['python/foreign', '  main', '  detached', 'org/demo', '  main', '  Partial download ffffffffffff…', 'alpha/held', '  main']);
    const [foreignMain, detached, spaceMain, partial, heldMain] = [...panel!.root.querySelectorAll<HTMLElement>('.cache-row.child')].sort(
      (a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')),
    );
    expect(foreignMain?.querySelector('.cache-sub')?.textContent).toBe('11111111 · 3 files · held by no catalog');
    expect(detached?.querySelector('.kind-icon')?.className).toContain('codicon-debug-disconnect');
    expect([...foreignMain!.querySelectorAll('button')].map((b) => b.getAttribute('aria-label'))).toEqual([
      'Add to Catalog python/foreign@main',
      'Verify python/foreign@main',
      'Delete Revision from Disk python/foreign@main',
    ]);
    expect([...detached!.querySelectorAll('button')].map((b) => b.getAttribute('title'))).toEqual(['Add to Catalog', 'Verify', 'Delete Revision from Disk']);
    // A Space is not a catalog entry; a revision held here is in the catalog already.
    expect([...spaceMain!.querySelectorAll('button')].map((b) => b.getAttribute('title'))).toEqual(['Verify', 'Delete Revision from Disk']);
    expect([...heldMain!.querySelectorAll('button')].map((b) => b.getAttribute('title'))).toEqual(['Verify', 'Delete Revision from Disk']);
    expect(partial?.querySelectorAll('button')).toHaveLength(0);
    expect(partial?.querySelector('.cache-sub')?.textContent).toBe('huggingface_hub · nobody can resume it');
    expect(buttons('python/foreign')).toEqual(['Delete Repo from Disk']);
    expect(row('python/foreign').getAttribute('aria-expanded')).toBe('true');
    expect(foreignMain?.getAttribute('aria-level')).toBe('2');
    expect(partial?.getAttribute('aria-posinset')).toBe('2');
    expect(partial?.getAttribute('aria-setsize')).toBe('2');
  });

  it('Add to Catalog sends the revision to the host and shows it held by this workspace once read again', async () => {
    await openCacheTab([FOREIGN]);
    row('python/foreign').querySelector<HTMLElement>('.cache-name')?.click();
    const scansBefore = scans();
    query<HTMLButtonElement>('button[aria-label="Add to Catalog python/foreign@main"]').click();
    await until(() => expect(panel?.sent.some((m) => m.type === 'request' && m.method === 'cacheAction')).toBe(true));
    expect(panel?.sent.find((m) => m.type === 'request' && m.method === 'cacheAction')).toMatchObject({
      params: { action: 'addToCatalog', target: { kind: 'model', repoId: 'python/foreign', commit: C1 } },
    });
    await until(() => expect(row('python/foreign').querySelector('.cache-sub')?.textContent).toMatch(/held by this workspace/));
    expect(scans()).toBe(scansBefore + 1);
    expect(panel?.studio.calls).toContain('adopt:model:python/foreign@main');
    expect(query('.notice[role="status"]').textContent).toBe('Added python/foreign@main to the catalog');
    expect(buttons('main')).toEqual(['Verify', 'Delete Revision from Disk']);
    expect(buttons('detached')).toEqual(['Add to Catalog', 'Verify', 'Delete Revision from Disk']);
    await until(() => expect(query('#tab-catalog .count').textContent).toBe('1'));
  });

  it('deletes from disk only after the host\'s confirmation, then shows the cache without it', async () => {
    await openCacheTab([FOREIGN, SHARED]);
    panel!.ui.confirm.mockResolvedValueOnce(false);
    query<HTMLButtonElement>('button[aria-label="Delete Repo from Disk python/foreign"]').click();
    await until(() => expect(panel?.ui.confirm).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(lines()).toEqual(['python/foreign', 'org/shared']);
    expect(panel?.studio.calls.filter((c) => c.startsWith('deleteFromCache'))).toEqual([]);

    // The Delete key on a focused repo row asks the same.
    query<HTMLElement>('input[aria-label="Filter the cache"]').focus();
    key(query('input[aria-label="Filter the cache"]'), 'ArrowDown');
    key(document.activeElement as Element, 'Delete');
    await until(() => expect(lines()).toEqual(['org/shared']));
    expect(panel?.ui.confirm).toHaveBeenLastCalledWith('Delete python/foreign (2 revisions) from disk?', expect.any(String), 'Delete from Disk');
    expect(query('.notice[role="status"]').textContent).toBe('Freed 6.0 kB');
    expect(query('.cache-total').textContent).toBe('2.0 kB in 1 repo');
  });

  it('prunes from the header through the host, and Verify names what it found', async () => {
    await openCacheTab([FOREIGN, SPACE]);
    query<HTMLButtonElement>('button[aria-label="Prune the cache…"]').click();
    await until(() => expect(query('.notice[role="status"]').textContent).toBe('Freed 1.7 kB'));
    expect(panel?.ui.confirm).toHaveBeenCalledWith('Prune the Hugging Face cache?', expect.any(String), 'Prune');
    await until(() => expect(query('.cache-total').textContent).toBe('5.3 kB in 2 repos'));

    row('python/foreign').querySelector<HTMLElement>('.cache-name')?.click();
    panel!.studio.cache.verifyBad = [{ path: 'model.safetensors', blobId: 'b'.repeat(64), problem: 'content' }];
    query<HTMLButtonElement>('button[aria-label="Verify python/foreign@main"]').click();
    await until(() => expect(query('.notice[role="status"]').textContent).toBe('python/foreign@main: 1 of 3 files are damaged'));
    expect(panel?.ui.ask).toHaveBeenCalledWith('warning', expect.stringMatching(/model\.safetensors \(wrong content\)/), 'Repair');
  });

  it('shows repos as the host reads them, with progress, before the scan ends', async () => {
    const releases: (() => void)[] = [];
    await openCacheTab([], () => undefined);
    panel!.studio.cache.repos = [FOREIGN, SHARED, SPACE];
    panel!.studio.cache.gate = () => new Promise<void>((resolve) => releases.push(resolve));
    query<HTMLButtonElement>('button[aria-label="Refresh: read the cache again"]').click();
    await until(() => expect(releases).toHaveLength(1));
    releases[0]?.();
    await until(() => expect(lines()).toEqual(['python/foreign']));
    expect(query('.cache-progress-text').textContent).toBe('Reading the cache: 1 of 3 repos…');
    expect(query('.cache-total').textContent).toBe('0 B in 0 repos');
    expect(query('.cache-progress').hidden).toBe(false);
    expect(query('.cache-progress .bar').getAttribute('aria-valuenow')).toBe('33');
    await until(() => expect(releases).toHaveLength(2));
    releases[1]?.();
    await until(() => expect(lines()).toEqual(['python/foreign', 'org/shared']));
    panel!.studio.cache.gate = undefined;
    releases[2]?.();
    await until(() => expect(query('.cache-total').textContent).toBe('8.3 kB in 3 repos · 700 B partial'));
    expect(query('.cache-progress').hidden).toBe(true);
  });

  it('moves through the tree with the keyboard; every button of a row is a Tab stop', async () => {
    await openCacheTab([FOREIGN, SHARED]);
    const filter = query<HTMLInputElement>('input[aria-label="Filter the cache"]');
    filter.focus();
    key(filter, 'ArrowDown');
    expect(document.activeElement?.getAttribute('data-key')).toBe('model:python/foreign');
    key(document.activeElement as Element, 'ArrowRight');
    expect(row('python/foreign').getAttribute('aria-expanded')).toBe('true');
    key(document.activeElement as Element, 'ArrowRight');
    expect(document.activeElement?.getAttribute('data-key')).toBe(`model:python/foreign@${C1}`);
    key(document.activeElement as Element, 'ArrowDown');
    expect(document.activeElement?.getAttribute('data-key')).toBe(`model:python/foreign@${C2}`);
    key(document.activeElement as Element, 'ArrowLeft');
    expect(document.activeElement?.getAttribute('data-key')).toBe('model:python/foreign');
    key(document.activeElement as Element, 'Enter');
    expect(lines()).toEqual(['python/foreign', 'org/shared']);
    for (const button of panel!.root.querySelectorAll<HTMLButtonElement>('.cache-view button')) {
      expect(button.tabIndex, button.getAttribute('aria-label') ?? '').toBe(0);
      expect(button.getAttribute('aria-label')).toBeTruthy();
    }
  });

  it('keeps 1,000 repos to a few dozen rendered rows, and filters them at once', async () => {
    const many: FakeRepo[] = Array.from({ length: 1_000 }, (_, i) => ({ kind: i % 3 ? 'model' : 'dataset', repoId: `org/repo-${String(i).padStart(4, '0')}`, revisions: [{ commit: C1, refs: ['main'], size: 1_000 + i }] }));
    await openCacheTab(many);
    expect(query('.cache-total').textContent).toMatch(/in 1000 repos/);
    const rendered = () => panel!.root.querySelectorAll('.cache-row').length;
    expect(rendered()).toBeLessThan(40);
    expect(lines()[0]).toBe('org/repo-0999');
    const list = query('.cache-list');
    list.scrollTop = 44 * 900;
    list.dispatchEvent(new Event('scroll'));
    expect(lines()).toContain('org/repo-0099');
    expect(rendered()).toBeLessThan(40);
    type(query<HTMLInputElement>('input[aria-label="Filter the cache"]'), 'repo-05');
    expect(query('.cache-matches').textContent).toBe('100 of 1000 repos match');
    expect(lines()[0]).toBe('org/repo-0599');
    expect(list.scrollTop).toBe(0);
  });

  it('reads the cache again when the catalog changed: when shown next, or soon if in view', async () => {
    await openCacheTab([FOREIGN]);
    const scansBefore = scans();
    query<HTMLButtonElement>('#tab-catalog').click();
    const entry = panel!.studio.catalog.addEntry({ kind: 'model', repoId: 'python/foreign', commit: C1, status: 'ready' });
    await until(() => expect(query('#tab-catalog .count').textContent).toBe('1'));
    expect(scans()).toBe(scansBefore);
    query<HTMLButtonElement>('#tab-cache').click();
    await until(() => expect(row('python/foreign').querySelector('.cache-sub')?.textContent).toMatch(/held by this workspace/));
    expect(scans()).toBe(scansBefore + 1);

    // While the tab is in view, a change elsewhere (another window, the CLI) is read again after a short pause.
    panel!.studio.catalog.removeEntry(entry.id);
    await until(() => expect(row('python/foreign').querySelector('.cache-sub')?.textContent).toMatch(/held by no catalog/));
    expect(scans()).toBe(scansBefore + 2);
  });
});

describe('Studio page: the Cache tab after a reload', () => {
  it('comes back on the Cache tab and reads the cache again', async () => {
    const storage = memoryStorage();
    panel = await openPanel({ storage });
    panel.studio.cache.repos = [FOREIGN];
    query<HTMLButtonElement>('#tab-cache').click();
    await until(() => expect(lines()).toEqual(['python/foreign']));
    panel.studio.cache.repos = [SHARED];
    await panel.reload();
    await until(() => expect(lines()).toEqual(['org/shared']));
    expect(query('#tab-cache').getAttribute('aria-selected')).toBe('true');
  });
});
