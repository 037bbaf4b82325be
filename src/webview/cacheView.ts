import type { CacheActionTarget, CacheReposBatch, CacheRowAction, UpdateBatch } from '../shared/protocol';
import { CACHE_SORTS, CacheModel, cacheRepoKey, type CacheLine, type CacheQuery, type CacheSort } from './cacheModel';
import { createCacheRow, lineSubject, renderCacheRow } from './cacheRow';
import { CacheStatus } from './cacheStatus';
import { isCancelledError } from './client';
import type { AppContext, View } from './context';
import { h, icon, setText } from './dom';
import { arrowDownInto, searchBox, searchInput } from './searchBox';
import { VirtualList } from './virtualList';

export const CACHE_ROW_HEIGHT = 44;

const SORT_LABELS: Readonly<Record<CacheSort, string>> = { size: 'Size', name: 'Name', lastUsed: 'Last used' };
/** After the catalog changed under a visible tab, wait this long for more changes before reading the cache again. */
const RESCAN_DELAY_MS = 1_500;
/** Statuses an entry passes through while downloading: those changes alone leave the cache's picture as it was. */
const IN_FLIGHT = new Set(['downloading', 'queued', 'paused']);

/**
 * The Cache tab: every repo of the Hugging Face cache, whoever put it there, read by the host and streamed in as it is
 * read; sorted and filtered here, expandable to revisions and partial downloads, with the Cache tree's actions. The
 * host asks and shows progress for every action; this page only sends the request and reads the cache again after.
 */
export class CacheView implements View {
  readonly element: HTMLElement;
  readonly model: CacheModel;
  readonly list: VirtualList;
  readonly filter: HTMLInputElement;
  private readonly status = new CacheStatus();
  private readonly empty: HTMLElement;
  private readonly busy = new Set<string>();
  private scanning: AbortController | undefined;
  private nextScanId = Math.floor(Math.random() * 1_000_000_000);
  private stale = true;
  /** Our own action is running or its rescan has not ended: the catalog changes it causes are already covered. */
  private ownChanges = 0;
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private lastCleanupRunning = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: AppContext,
    query: CacheQuery,
    private readonly onCountChange: () => void,
  ) {
    this.model = new CacheModel(query);
    this.list = new VirtualList({
      rowHeight: CACHE_ROW_HEIGHT,
      label: 'Repos in the Hugging Face cache',
      className: 'cache-list',
      createRow: createCacheRow,
      renderRow: (row, index) => {
        const line = this.model.lineAt(index);
        renderCacheRow(row, line, line?.type === 'repo' && this.model.isExpanded(line.key), line !== undefined && this.busy.has(line.key));
      },
      onActivate: (index) => this.toggle(index),
      onKey: (index, event) => this.onRowKey(index, event),
    });
    this.list.element.setAttribute('role', 'tree');
    this.list.element.addEventListener('click', (event) => this.onActionClick(event));

    this.filter = searchInput({
      label: 'Filter the cache',
      placeholder: 'Filter by repo id or kind, e.g. "gemma 2b" or "dataset/"',
      value: query.filter,
      onInput: (filter) => this.setQuery({ filter }),
      onKeyDown: arrowDownInto(this.list),
    });
    const sort = h('select', { attrs: { 'aria-label': 'Sort by', title: 'Sort by' }, on: { change: () => this.setQuery({ sort: sort.value as CacheSort }) } },
      CACHE_SORTS.map((s) => h('option', { text: SORT_LABELS[s], attrs: { value: s } })));
    sort.value = query.sort;
    const refresh = h('button', {
      className: 'icon-button',
      attrs: { type: 'button', title: 'Refresh', 'aria-label': 'Refresh: read the cache again' },
      on: { click: () => this.scan() },
    }, [icon('refresh')]);
    const prune = h('button', {
      className: 'secondary',
      attrs: { type: 'button', title: 'Remove detached revisions no catalog holds and partial downloads nobody can resume', 'aria-label': 'Prune the cache…' },
      on: { click: () => void this.prune() },
    }, [icon('trash'), ' Prune…']);

    this.empty = h('div', { className: 'empty-state', attrs: { hidden: true } });
    this.element = h('section', { className: 'view cache-view', attrs: { 'aria-label': 'Cache' } }, [
      h('div', { className: 'toolbar', attrs: { role: 'search' } }, [searchBox(this.filter), sort, refresh, prune]),
      this.status.element,
      this.list.element,
      this.empty,
    ]);
    this.unsubscribe = ctx.client.onCacheRepos((batch) => this.applyBatch(batch));
  }

  get query(): CacheQuery {
    return this.model.query;
  }

  shown(focus: boolean): void {
    this.list.layout();
    if (this.stale && !this.scanning) this.scan();
    else this.paint();
    if (focus) this.filter.focus();
  }

  /** Reads the cache again (ending a scan still running); repos stream in as the host reads them. */
  scan(): void {
    this.cancelRescan();
    this.scanning?.abort();
    const controller = new AbortController();
    this.scanning = controller;
    this.stale = false;
    const scanId = this.nextScanId++;
    this.model.beginScan(scanId);
    this.paint();
    this.ctx.client.request('cacheScan', { scanId }, { signal: controller.signal }).then(
      (result) => {
        if (this.scanning !== controller) return;
        this.scanning = undefined;
        this.model.endScan(scanId, result.summary);
        this.paint();
      },
      (err: unknown) => {
        this.model.abandonScan(scanId);
        if (this.scanning !== controller) return;
        this.scanning = undefined;
        this.stale = true;
        if (!isCancelledError(err)) this.ctx.notify(`Could not read the cache: ${messageOf(err)}`, 'error');
        this.paint();
      },
    );
  }

  /** A catalog change may change who holds what, or free files: read again (soon if visible, else when shown). */
  applyUpdate(batch: UpdateBatch, visible: boolean): void {
    const cleanupEnded = this.lastCleanupRunning > 0 && batch.cleanupRunning === 0;
    this.lastCleanupRunning = batch.cleanupRunning;
    const settled = batch.removed.length > 0 || batch.changed.some((e) => !IN_FLIGHT.has(e.status));
    if (!(settled || cleanupEnded) || this.ownChanges > 0) return;
    this.stale = true;
    if (!visible) return;
    this.cancelRescan();
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      if (this.element.isConnected) this.scan();
    }, RESCAN_DELAY_MS);
  }

  dispose(): void {
    this.unsubscribe();
    this.cancelRescan();
    this.scanning?.abort();
    this.list.dispose();
  }

  private applyBatch(batch: CacheReposBatch): void {
    if (this.model.applyBatch(batch)) this.paint();
  }

  private setQuery(patch: Partial<CacheQuery>): void {
    this.model.setQuery(patch);
    this.list.element.scrollTop = 0;
    this.ctx.saveState();
    this.paint();
  }

  private paint(): void {
    const count = this.model.lineCount;
    if (this.list.rowCount !== count) this.list.setCount(count);
    else this.list.refresh();
    this.status.paint(this.model);
    const filtered = this.model.query.filter.trim() !== '';
    const nothing = count === 0 && !this.model.scanning;
    this.empty.hidden = !nothing;
    this.list.element.hidden = count === 0;
    if (nothing) setText(this.empty, filtered && this.model.repoCount > 0 ? 'Nothing in the cache matches.' : 'The Hugging Face cache is empty.');
    this.onCountChange();
  }

  private toggle(index: number): void {
    const line = this.model.lineAt(index);
    if (line?.type !== 'repo' || line.repo.revisions.length + line.repo.partials.length === 0) return;
    this.model.setExpanded(line.key, !this.model.isExpanded(line.key));
    this.paint();
    this.list.focusIndex(index);
  }

  /** Right opens a repo (then goes to its first child), Left closes it or goes to the parent, Delete deletes. */
  private onRowKey(index: number, event: KeyboardEvent): boolean {
    const line = this.model.lineAt(index);
    if (!line) return false;
    if (event.key === 'ArrowRight') {
      if (line.type === 'repo' && !this.model.isExpanded(line.key)) this.toggle(index);
      else if (line.type === 'repo' && this.model.lineAt(index + 1)?.type !== 'repo') this.list.focusIndex(index + 1);
      return true;
    }
    if (event.key === 'ArrowLeft') {
      if (line.type === 'repo' && this.model.isExpanded(line.key)) this.toggle(index);
      else if (line.type !== 'repo') this.list.focusIndex(this.model.indexOfKey(cacheRepoKey(line.repo)));
      return true;
    }
    if (event.key === 'Delete') {
      const action = line.type === 'repo' ? 'deleteRepo' : line.type === 'revision' ? 'deleteRevision' : undefined;
      const allowed = line.type === 'repo' ? line.repo.actions : line.type === 'revision' ? line.revision.actions : [];
      if (action && allowed.includes(action)) void this.runAction(line, action);
      return action !== undefined;
    }
    return false;
  }

  private onActionClick(event: MouseEvent): void {
    const button = (event.target as Element | null)?.closest('button[data-cache-action]');
    const key = button?.closest('[data-key]')?.getAttribute('data-key');
    const index = key ? this.model.indexOfKey(key) : -1;
    const line = index >= 0 ? this.model.lineAt(index) : undefined;
    if (!button || !line) return;
    void this.runAction(line, button.getAttribute('data-cache-action') as CacheRowAction);
  }

  private async runAction(line: CacheLine, action: CacheRowAction): Promise<void> {
    if (line.type === 'partial' || this.busy.has(line.key)) return;
    const repo = { kind: line.repo.kind, repoId: line.repo.repoId };
    const target: CacheActionTarget = line.type === 'repo' ? repo : { ...repo, commit: line.revision.commit };
    this.busy.add(line.key);
    this.list.refresh();
    await this.request(() => this.ctx.client.request('cacheAction', { action, target }), action !== 'verify', `${lineSubject(line)}: `);
    this.busy.delete(line.key);
    this.list.refresh();
  }

  private async prune(): Promise<void> {
    await this.request(() => this.ctx.client.request('cachePrune', {}), true, '');
  }

  /** Sends an action; the host confirms and reports. Anything it did (or may have half done) is read again. */
  private async request(send: () => Promise<{ done: boolean; message?: string }>, changesCache: boolean, errorPrefix: string): Promise<void> {
    this.ownChanges++;
    let rescan = false;
    try {
      const result = await send();
      if (result.message) this.ctx.notify(result.message);
      rescan = result.done && changesCache;
    } catch (err) {
      if (!isCancelledError(err)) this.ctx.notify(`${errorPrefix}${messageOf(err)}`, 'error');
      rescan = changesCache;
    }
    if (rescan) this.scan();
    // The catalog changes the action caused arrive within the update pump's interval; later ones are someone else's.
    setTimeout(() => this.ownChanges--, 500);
  }

  private cancelRescan(): void {
    if (this.rescanTimer !== undefined) clearTimeout(this.rescanTimer);
    this.rescanTimer = undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
