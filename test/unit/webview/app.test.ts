// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlanView } from '../../../src/webview/planView';
import { DetailView } from '../../../src/webview/detailView';
import { addEntries, plannedFile, snapshotOf } from '../protocol/fakeStudio';
import { key, openPanel, rowNames, type, type Panel } from './panelHarness';

let panel: Panel | undefined;

afterEach(async () => {
  await panel?.dispose();
  panel = undefined;
});

function query<T extends Element = HTMLElement>(selector: string): T {
  const el = panel?.root.querySelector<T>(selector);
  if (!el) throw new Error(`no ${selector}`);
  return el;
}

function catalogSearch(): HTMLInputElement {
  return query<HTMLInputElement>('input[aria-label="Search the catalog"]');
}

describe('Studio page: catalog', () => {
  it('asks for a snapshot first, then shows the catalog and filters it as you type', async () => {
    panel = await openPanel();
    addEntries(panel.studio, [
      { kind: 'model', repoId: 'openai-community/gpt2', status: 'ready', bytesTotal: 548_000_000 },
      { kind: 'model', repoId: 'EleutherAI/pythia-70m', status: 'ready' },
      { kind: 'dataset', repoId: 'NeelNanda/pile-10k', status: 'ready' },
    ]);
    const before = panel.sent.length;
    await panel.reload();
    expect(panel.sent.slice(before).find((m) => m.type === 'request')).toMatchObject({ type: 'request', method: 'ready' });
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['EleutherAI/pythia-70m', 'NeelNanda/pile-10k', 'openai-community/gpt2']));
    expect(query('.tab[aria-selected="true"]').textContent).toMatch(/Catalog\s*3/);

    type(catalogSearch(), 'GPT');
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['openai-community/gpt2']));
    expect(query('.catalog-view .summary').textContent).toBe('1 of 3 entries');

    type(catalogSearch(), 'p');
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['EleutherAI/pythia-70m', 'NeelNanda/pile-10k', 'openai-community/gpt2']));
    const kind = query<HTMLSelectElement>('select[aria-label="Kind"]');
    kind.value = 'dataset';
    kind.dispatchEvent(new Event('change'));
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['NeelNanda/pile-10k']));

    type(catalogSearch(), 'nothing-like-this');
    await vi.waitFor(() => expect(query('.empty-state').hidden).toBe(false));
    expect(query('.empty-state').textContent).toMatch(/Nothing in the catalog matches/);
  });

  it('keeps 10,000 entries searchable while rendering only the rows on screen', async () => {
    panel = await openPanel();
    for (let i = 0; i < 10_000; i++) {
      panel.studio.catalog.addEntry({ kind: i % 2 ? 'model' : 'dataset', repoId: `org/entry-${String(i).padStart(5, '0')}`, status: 'ready' });
    }
    await panel.reload();
    await vi.waitFor(() => expect(query('.catalog-view .summary').textContent).toBe('10000 entries'));
    const rows = () => panel!.root.querySelectorAll('.entry-row');
    // A 600 px viewport of 52 px rows plus overscan: a couple of dozen elements, not ten thousand.
    expect(rows().length).toBeGreaterThan(5);
    expect(rows().length).toBeLessThan(40);
    expect(query('.entry-row').getAttribute('aria-setsize')).toBe('10000');

    const list = query('.entry-list');
    list.scrollTop = 52 * 7_000;
    list.dispatchEvent(new Event('scroll'));
    await vi.waitFor(() => expect(rowNames(panel!.root)).toContain('org/entry-07000'));
    expect(rows().length).toBeLessThan(40);

    type(catalogSearch(), 'entry-0999');
    await vi.waitFor(() => expect(query('.catalog-view .summary').textContent).toBe('10 of 10000 entries'));
    expect(rowNames(panel.root)[0]).toBe('org/entry-09990');
    expect(list.scrollTop).toBe(0);
  });

  it('shows live progress pushed by the host, with rate and time left', async () => {
    panel = await openPanel();
    const [id] = addEntries(panel.studio, [{ kind: 'model', repoId: 'org/big', status: 'downloading', bytesTotal: 1_000_000_000 }]);
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['org/big']));
    panel.studio.progressEmitter.fire({ entryId: id as string, progress: { bytesDone: 400_000_000, bytesTotal: 1_000_000_000, fraction: 0.4, bytesPerSecond: 50_000_000, etaSeconds: 12, waitingFiles: 0 } });
    await vi.waitFor(() => expect(query('.entry-row .progress-text').textContent).toBe('40% · 50.0 MB/s · 12s left'));
    // Rate-limited by the Hub: the countdown the notification and the tree show, here too.
    panel.studio.progressEmitter.fire({ entryId: id as string, progress: { bytesDone: 400_000_000, bytesTotal: 1_000_000_000, fraction: 0.4, bytesPerSecond: 0, etaSeconds: undefined, waitingFiles: 0, rateLimitResumeSeconds: 48 } });
    await vi.waitFor(() => expect(query('.entry-row .progress-text').textContent).toMatch(/rate limited by the Hub, resuming in 48 s$/));
    panel.studio.progressEmitter.fire({ entryId: id as string, progress: { bytesDone: 400_000_000, bytesTotal: 1_000_000_000, fraction: 0.4, bytesPerSecond: 50_000_000, etaSeconds: 12, waitingFiles: 0 } });
    await vi.waitFor(() => expect(query('.entry-row .progress-text').textContent).toBe('40% · 50.0 MB/s · 12s left'));
    expect(query('.entry-row .bar').getAttribute('aria-valuenow')).toBe('40');
    expect(query<HTMLElement>('.entry-row .bar-fill').style.width).toBe('40%');
    expect(query('.host-info').textContent).toMatch(/1 downloading · 50.0 MB\/s/);

    panel.studio.catalog.updateEntry(id as string, { status: 'ready', bytesDone: 1_000_000_000, snapshotPath: '/cache/models--org--big/snapshots/abc' });
    await vi.waitFor(() => expect(query('.entry-row').className).toContain('status-ready'));
    expect(query<HTMLElement>('.entry-row .bar').hidden).toBe(true);
    expect([...panel.root.querySelectorAll('.entry-row button')].map((b) => b.getAttribute('title'))).toEqual([
      'Reveal in File Explorer',
      'Copy Path',
      'Copy Python Snippet',
      'Open on Hub',
      'Delete',
    ]);
  });

  it('cancels from the row and deletes after the confirmation', async () => {
    panel = await openPanel();
    const [id] = addEntries(panel.studio, [{ kind: 'model', repoId: 'org/alpha', status: 'downloading', bytesTotal: 10 }]);
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['org/alpha']));
    query<HTMLButtonElement>('.entry-row button[data-action="cancel"]').click();
    await vi.waitFor(() => expect(query('.entry-row').className).toContain('status-cancelled'));
    expect(panel.studio.calls).toContain(`cancel:${id}`);

    panel.ui.confirm.mockResolvedValueOnce(false);
    query<HTMLButtonElement>('.entry-row button[data-action="delete"]').click();
    await vi.waitFor(() => expect(panel!.ui.confirm).toHaveBeenCalledTimes(1));
    expect(panel.studio.catalog.getEntry(id as string)).toBeDefined();

    query<HTMLButtonElement>('.entry-row button[data-action="delete"]').click();
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual([]));
    expect(panel.ui.confirm).toHaveBeenCalledTimes(2);
    expect(query('.notice[role="status"]').textContent).toMatch(/Deleted org\/alpha/);
    expect(query('.empty-state').textContent).toMatch(/catalog is empty/);
  });

  it('shows names from the catalog as text, never as markup', async () => {
    panel = await openPanel();
    const hostile = '<img src=x onerror="window.pwned=1">';
    panel.studio.catalog.addEntry({ kind: 'model', repoId: 'org/evil', displayName: hostile, status: 'error', errorMessage: '<b>bold</b>' });
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual([hostile]));
    expect(panel.root.querySelector('img')).toBeNull();
    expect(panel.root.querySelector('b')).toBeNull();
    expect(query('.entry-row .progress-text').textContent).toBe('<b>bold</b>');
  });

  it('moves through rows with the keyboard and opens one with Enter', async () => {
    panel = await openPanel();
    addEntries(panel.studio, ['a', 'b', 'c'].map((n) => ({ kind: 'model' as const, repoId: `org/${n}`, status: 'ready' as const })));
    await vi.waitFor(() => expect(rowNames(panel!.root)).toHaveLength(3));
    const search = catalogSearch();
    search.focus();
    key(search, 'ArrowDown');
    expect(document.activeElement?.getAttribute('aria-posinset')).toBe('1');
    key(document.activeElement as Element, 'ArrowDown');
    expect(document.activeElement?.getAttribute('aria-posinset')).toBe('2');
    key(document.activeElement as Element, 'End');
    expect(document.activeElement?.getAttribute('aria-posinset')).toBe('3');
    expect(document.activeElement?.getAttribute('aria-label')).toMatch(/^org\/c, model, Ready/);
    expect([...panel.root.querySelectorAll('.entry-row')].filter((r) => r.getAttribute('tabindex') === '0')).toHaveLength(1);
    key(document.activeElement as Element, 'Enter');
    await vi.waitFor(() => expect(panel!.app.currentPage).toBeInstanceOf(DetailView));
  });
});

describe('Studio page: details', () => {
  it('shows metadata, local path, disk use and each file with its verification state', async () => {
    panel = await openPanel();
    const [id] = addEntries(panel.studio, [
      {
        kind: 'model',
        repoId: 'org/alpha',
        status: 'ready',
        bytesTotal: 300,
        fileCount: 2,
        snapshotPath: '/cache/models--org--alpha/snapshots/abc',
        commit: 'c'.repeat(40),
        metadata: { license: 'mit', model: { modelType: 'gpt2', parameters: { total: 124_000_000, byDtype: { F32: 124_000_000 } }, memory: { fp32: 496e6, bf16: 248e6, int8: 124e6, int4: 62e6 } } },
      },
    ]);
    panel.studio.catalog.setFiles(id as string, [
      { path: 'config.json', size: 100, blobId: 'b'.repeat(40), gitSha1: 'b'.repeat(40), state: 'verified', bytesDone: 100 },
      { path: 'model.safetensors', size: 200, blobId: 'c'.repeat(64), sha256: 'c'.repeat(64), gitSha1: 'd'.repeat(40), state: 'verified', bytesDone: 200 },
    ]);
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['org/alpha']));
    query('.entry-row .entry-name').click();
    await vi.waitFor(() => expect(query('.detail-view h2').textContent).toBe('org/alpha'));
    const facts = Object.fromEntries(
      [...panel.root.querySelectorAll('.facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
    );
    expect(facts).toMatchObject({
      Kind: 'Model',
      Commit: 'c'.repeat(40),
      'Local path': '/cache/models--org--alpha/snapshots/abc',
      'Disk use': '300 B',
      Parameters: '124M params',
      'Model type': 'gpt2',
      License: 'mit',
      'On the Hub': 'http://127.0.0.1:9/org/alpha',
    });
    expect(facts['Weights in memory']).toMatch(/bf16 248 MB/);
    expect(query('.detail-view h3').textContent).toBe('Files (2 of 2 verified)');
    const files = [...panel.root.querySelectorAll('.file-row')].map((r) => r.getAttribute('aria-label'));
    expect(files).toEqual(['config.json, 100 B, Verified', 'model.safetensors, 200 B, Verified']);

    query<HTMLButtonElement>('.detail-view button[data-action="copyPath"]').click();
    await vi.waitFor(() => expect(panel!.ui.copy).toHaveBeenCalledWith('/cache/models--org--alpha/snapshots/abc', 'path'));

    key(query('.detail-view h2'), 'Escape');
    expect(panel.app.currentPage).toBeUndefined();
    panel.app.showDetail(id as string);
    query<HTMLButtonElement>('.detail-view button[aria-label="Back"]').click();
    expect(panel.app.currentPage).toBeUndefined();
    expect(panel.root.querySelector('.catalog-view')).not.toBeNull();
  });

  it('follows the entry live and says so when it is deleted elsewhere', async () => {
    panel = await openPanel();
    const [id] = addEntries(panel.studio, [{ kind: 'dataset', repoId: 'org/data', status: 'downloading', bytesTotal: 1000 }]);
    panel.app.showDetail(id as string);
    await vi.waitFor(() => expect(query('.detail-view h2').textContent).toBe('org/data'));
    panel.studio.progressEmitter.fire({ entryId: id as string, progress: snapshotOf(250, 1000) });
    await vi.waitFor(() => expect(query('.detail-view .progress-text').textContent).toMatch(/^25% · /));
    panel.studio.catalog.removeEntry(id as string);
    await vi.waitFor(() => expect(query('.detail-view .summary').textContent).toBe('This entry was deleted from the catalog.'));
  });
});

describe('Studio page: Hub and plan', () => {
  it('searches the Hub, marks gated and catalogued repos, plans with live patterns and starts the download', async () => {
    panel = await openPanel();
    addEntries(panel.studio, [{ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2', status: 'ready' }]);
    panel.studio.hubResults = [
      { id: 'mistudio-demo/tiny-gpt2', kind: 'model', downloads: 1200, likes: 3, gated: false, private: false, lastModified: new Date().toISOString() },
      { id: 'mistudio-demo/gated-model', kind: 'model', downloads: 40, likes: 1, gated: 'manual', private: false },
      { id: 'mistudio-demo/tiny-sae', kind: 'model', downloads: 7, likes: 0, gated: false, private: true },
    ];
    panel.studio.planFiles = [
      plannedFile('config.json', 1_000),
      plannedFile('model.safetensors', 2_000_000, { lfs: true }),
      plannedFile('original/pytorch_model.bin', 3_000_000, { cached: true, lfs: true }),
    ];
    query<HTMLButtonElement>('#tab-hub').click();
    const search = query<HTMLInputElement>('input[aria-label="Search the Hub"]');
    type(search, 'mistudio-demo');
    await vi.waitFor(() => expect(panel!.root.querySelectorAll('.hub-row')).toHaveLength(3));
    const row = (id: string) => query(`.hub-row[data-repo-id="${id}"]`);
    expect(row('mistudio-demo/tiny-gpt2').textContent).toMatch(/In catalog · Ready/);
    expect(row('mistudio-demo/tiny-gpt2').textContent).toMatch(/1.2k downloads/);
    expect(row('mistudio-demo/gated-model').textContent).toMatch(/Gated/);
    expect(row('mistudio-demo/tiny-sae').textContent).toMatch(/Private/);

    row('mistudio-demo/gated-model').querySelector<HTMLButtonElement>('button.download')?.click();
    await vi.waitFor(() => expect(query('.plan-summary').textContent).toBe('3 of 3 files · 5.0 MB of 5.0 MB · 2.0 MB to download (the rest is already cached)'));
    const plan = panel.app.currentPage as PlanView;
    expect(plan).toBeInstanceOf(PlanView);

    type(plan.include, '*.json *.safetensors');
    expect(query('.plan-summary').textContent).toBe('2 of 3 files · 2.0 MB of 5.0 MB');
    type(plan.exclude, '*.json');
    expect(query('.plan-summary').textContent).toBe('1 of 3 files · 2.0 MB of 5.0 MB');
    const treeLabels = [...panel.root.querySelectorAll('.tree-row')].map((r) => r.getAttribute('aria-label'));
    expect(treeLabels).toContain('File config.json, 1.0 kB, excluded');
    expect(treeLabels).toContain('Folder original, 0 B of 3.0 MB · 0/1 files, excluded');
    type(plan.include, 'nothing-matches');
    expect(plan.startButton.disabled).toBe(true);
    type(plan.include, '*.safetensors');
    expect(plan.startButton.disabled).toBe(false);

    plan.startButton.click();
    await vi.waitFor(() => expect(panel!.root.querySelector('.catalog-view')).not.toBeNull());
    expect(panel.studio.calls).toContain('enqueue:mistudio-demo/gated-model:*.safetensors|*.json');
    await vi.waitFor(() => expect(rowNames(panel!.root)).toContain('mistudio-demo/gated-model'));
    expect(query('.notice[role="status"]').textContent).toBe('Downloading mistudio-demo/gated-model');
  });

  it('warns and refuses to start when the disk is too small', async () => {
    panel = await openPanel();
    panel.studio.planFiles = [plannedFile('model.safetensors', 5_000_000_000, { lfs: true })];
    panel.studio.freeBytes = 1_000_000_000;
    panel.app.showPlan('model', 'org/huge');
    await vi.waitFor(() => expect(query('.plan-space').textContent).toMatch(/not enough/));
    expect(query('.plan-space').classList.contains('warning')).toBe(true);
    expect((panel.app.currentPage as PlanView).startButton.disabled).toBe(true);
  });

  it('shows a plan error and never starts the old plan after a bad revision', async () => {
    panel = await openPanel();
    panel.studio.planFiles = [plannedFile('config.json', 10)];
    panel.app.showPlan('model', 'org/alpha');
    const plan = panel.app.currentPage as PlanView;
    await vi.waitFor(() => expect(plan.startButton.disabled).toBe(false));
    plan.revision.value = 'bad..revision';
    key(plan.revision, 'Enter');
    await vi.waitFor(() => expect(query('.plan-view .summary[role="alert"]').textContent).toMatch(/Invalid revision/));
    type(plan.include, '*.json');
    expect(plan.startButton.disabled).toBe(true);
  });
});

describe('Studio page: reloads', () => {
  it('restores its view after a reload and resynchronises with a fresh snapshot', async () => {
    panel = await openPanel();
    addEntries(panel.studio, [
      { kind: 'model', repoId: 'org/alpha', status: 'ready' },
      { kind: 'model', repoId: 'org/beta', status: 'ready' },
    ]);
    await vi.waitFor(() => expect(rowNames(panel!.root)).toHaveLength(2));
    type(catalogSearch(), 'beta');
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['org/beta']));

    await panel.reload();
    // While the page was away the catalog changed; the snapshot and the first query bring it up to date.
    addEntries(panel.studio, [{ kind: 'model', repoId: 'org/beta-2', status: 'ready' }]);
    expect(catalogSearch().value).toBe('beta');
    await vi.waitFor(() => expect(rowNames(panel!.root)).toEqual(['org/beta', 'org/beta-2']));
    expect(panel.router.stats.readyCount).toBe(2);
  });

  it('sends nothing before the ready handshake, whichever tab it reopens on', async () => {
    panel = await openPanel();
    panel.studio.hubResults = [{ id: 'org/x', kind: 'model', downloads: 1, likes: 1, gated: false, private: false }];
    query<HTMLButtonElement>('#tab-hub').click();
    await vi.waitFor(() => expect(panel!.root.querySelectorAll('.hub-row')).toHaveLength(1));
    const before = panel.sent.length;
    await panel.reload();
    const requests = panel.sent.slice(before).filter((m) => m.type === 'request');
    expect(requests[0]).toMatchObject({ method: 'ready' });
    await vi.waitFor(() => expect(panel!.root.querySelectorAll('.hub-row')).toHaveLength(1));
    expect(query('#tab-hub').getAttribute('aria-selected')).toBe('true');
  });

  it('reopens the page it was on', async () => {
    panel = await openPanel();
    panel.studio.planFiles = [plannedFile('config.json', 10)];
    panel.app.showPlan('dataset', 'org/data', 'v2');
    await panel.reload();
    const plan = panel.app.currentPage as PlanView;
    expect(plan).toBeInstanceOf(PlanView);
    expect(plan.repoId).toBe('org/data');
    expect(plan.kind).toBe('dataset');
    expect(plan.revision.value).toBe('v2');
    await vi.waitFor(() => expect(panel!.studio.calls).toContain('plan:org/data@v2'));
  });
});
