import type { RepoKind } from '../core/repo';
import { PROTOCOL_VERSION, type EntryAction, type EntryRow, type Snapshot, type UpdateBatch } from '../shared/protocol';
import { CacheView } from './cacheView';
import { CatalogView } from './catalogView';
import { isCancelledError, type HostClient } from './client';
import type { AppContext, View } from './context';
import { DetailView } from './detailView';
import { h, icon, replaceChildren, setAttrs, setText } from './dom';
import { formatBytes } from './format';
import { HubView } from './hubView';
import { PlanView } from './planView';
import { restoreState, type Page, type PersistedState, type Tab } from './state';

export interface StateStorage {
  load(): unknown;
  save(state: PersistedState): void;
}

export interface AppOptions {
  /** Pause in typing before the Hub is searched; tests set 0. */
  readonly hubSearchDelayMs?: number;
  /** How long a message stays in the status region. */
  readonly noticeMs?: number;
}

const TABS: readonly { readonly id: Tab; readonly label: string; readonly icon: string }[] = [
  { id: 'catalog', label: 'Catalog', icon: 'library' },
  { id: 'hub', label: 'Hub', icon: 'globe' },
  { id: 'cache', label: 'Cache', icon: 'server' },
];

/**
 * The Studio page: three tabs (the catalog, the Hub, and the whole Hugging Face cache), and pages over them (an
 * entry's details, a download plan). It starts with the ready handshake; the snapshot and the pushed updates keep
 * every view current.
 */
export class App implements AppContext {
  readonly catalogView: CatalogView;
  readonly hubView: HubView;
  readonly cacheView: CacheView;
  private page: PlanView | DetailView | undefined;
  private tab: Tab;
  private currentSnapshot: Snapshot | undefined;
  private readonly tabButtons = new Map<Tab, HTMLButtonElement>();
  private readonly main: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly hostInfo: HTMLElement;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;
  private savedPage: Page | null;

  constructor(
    private readonly root: HTMLElement,
    readonly client: HostClient,
    private readonly storage: StateStorage,
    private readonly options: AppOptions = {},
  ) {
    const state = restoreState(storage.load());
    this.tab = state.tab;
    this.savedPage = state.page;
    this.catalogView = new CatalogView(this, state.catalog);
    this.hubView = new HubView(this, state.hub, options.hubSearchDelayMs);
    this.cacheView = new CacheView(this, state.cache, () => this.paintCacheCount());

    const tablist = h('div', { className: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Studio views' }, on: { keydown: (e) => this.onTabKey(e) } });
    for (const t of TABS) {
      const button = h('button', {
        className: 'tab',
        attrs: { type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': 'studio-main' },
        on: { click: () => this.showTab(t.id) },
      }, [icon(t.icon), h('span', { className: 'tab-label', text: t.label }), h('span', { className: 'count' })]);
      this.tabButtons.set(t.id, button);
      tablist.appendChild(button);
    }
    this.hostInfo = h('div', { className: 'host-info' });
    this.notice = h('div', { className: 'notice', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.alert = h('div', { className: 'notice error', attrs: { role: 'alert' } });
    this.main = h('main', { className: 'app-main', attrs: { id: 'studio-main', role: 'tabpanel' } });
    replaceChildren(root, [h('header', { className: 'app-header' }, [tablist, this.hostInfo]), this.notice, this.alert, this.main]);
    // Escape leaves a detail or plan page (a search box handles its own Escape first: it clears itself).
    root.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || event.defaultPrevented || !this.page) return;
      if (event.target instanceof HTMLInputElement && event.target.value !== '') return;
      event.preventDefault();
      this.back();
    });
    this.unsubscribe = client.onUpdate((batch) => this.applyUpdate(batch));
    // Views are shown only after the handshake, so no request goes out before `ready`.
    this.main.appendChild(h('p', { className: 'summary', text: 'Connecting to the extension…' }));
  }

  /** The handshake: asks the host for a full snapshot, then shows the view the page was on before. */
  async start(): Promise<void> {
    this.root.setAttribute('aria-busy', 'true');
    try {
      const snapshot = await this.client.request('ready', { protocolVersion: PROTOCOL_VERSION });
      this.currentSnapshot = snapshot;
      this.root.removeAttribute('aria-busy');
      this.catalogView.start(snapshot.progress);
      this.paintHeader();
      const page = this.savedPage;
      this.savedPage = null;
      if (page?.type === 'detail') this.showDetail(page.entryId);
      else if (page?.type === 'plan') this.showPlan(page.kind, page.repoId, page.revision);
      else this.render(false);
    } catch (err) {
      this.root.removeAttribute('aria-busy');
      const message = err instanceof Error ? err.message : String(err);
      replaceChildren(this.alert, [
        `Could not reach the extension: ${message} `,
        h('button', { className: 'secondary', text: 'Try again', attrs: { type: 'button' }, on: { click: () => void this.start() } }),
      ]);
    }
  }

  snapshot(): Snapshot | undefined {
    return this.currentSnapshot;
  }

  notify(message: string, kind: 'info' | 'error' = 'info'): void {
    const target = kind === 'error' ? this.alert : this.notice;
    const other = kind === 'error' ? this.notice : this.alert;
    setText(other, '');
    setText(target, message);
    if (this.noticeTimer !== undefined) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      setText(this.notice, '');
      setText(this.alert, '');
    }, this.options.noticeMs ?? 8_000);
  }

  async runAction(entry: EntryRow, action: EntryAction): Promise<void> {
    try {
      const result = await this.client.request('entryAction', { entryId: entry.id, action });
      if (!result.done) return;
      const done: Partial<Record<EntryAction, string>> = {
        delete: `Deleted ${entry.displayName}; its space is being freed in the background`,
        cancel: `Cancelled ${entry.displayName}`,
        pause: `Paused ${entry.displayName}`,
        resume: `Resumed ${entry.displayName}`,
        retry: `Retrying ${entry.displayName}`,
        copyPath: 'Copied the path',
        copySnippet: 'Copied the Python snippet',
      };
      const message = result.message ?? done[action];
      if (message) this.notify(message);
      if (action === 'delete' && this.page instanceof DetailView && this.page.entryId === entry.id) this.back();
    } catch (err) {
      if (!isCancelledError(err)) this.notify(err instanceof Error ? err.message : String(err), 'error');
    }
  }

  showDetail(entryId: string): void {
    this.openPage(new DetailView(this, entryId, this.catalogView.model));
  }

  showPlan(kind: RepoKind, repoId: string, revision = 'main'): void {
    this.openPage(new PlanView(this, kind, repoId, revision));
  }

  showTab(tab: Tab): void {
    const changed = tab !== this.tab || this.page !== undefined;
    this.closePage();
    this.tab = tab;
    this.saveState();
    if (changed) this.render(true);
  }

  back(): void {
    this.closePage();
    this.saveState();
    this.render(true);
  }

  saveState(): void {
    let page: Page | null = null;
    if (this.page instanceof DetailView) page = { type: 'detail', entryId: this.page.entryId };
    if (this.page instanceof PlanView) page = { type: 'plan', kind: this.page.kind, repoId: this.page.repoId, revision: this.page.revision.value.trim() || 'main' };
    this.storage.save({ version: 1, tab: this.tab, page: page ?? this.savedPage, catalog: this.catalogView.model.filter, hub: this.hubView.query, cache: this.cacheView.query });
  }

  /** The page currently shown over the tabs, if any. */
  get currentPage(): PlanView | DetailView | undefined {
    return this.page;
  }

  dispose(): void {
    this.unsubscribe();
    this.closePage();
    this.catalogView.dispose();
    this.hubView.dispose();
    this.cacheView.dispose();
    if (this.noticeTimer !== undefined) clearTimeout(this.noticeTimer);
  }

  private openPage(page: PlanView | DetailView): void {
    this.closePage();
    this.page = page;
    this.saveState();
    this.render(true);
  }

  private closePage(): void {
    this.page?.dispose();
    this.page = undefined;
  }

  private current(): View {
    if (this.page) return this.page;
    return { catalog: this.catalogView, hub: this.hubView, cache: this.cacheView }[this.tab];
  }

  private render(focus: boolean): void {
    for (const [id, button] of this.tabButtons) {
      const selected = id === this.tab;
      setAttrs(button, { 'aria-selected': selected ? 'true' : 'false', tabindex: selected ? '0' : '-1' });
      button.classList.toggle('selected', selected);
    }
    this.main.setAttribute('aria-labelledby', `tab-${this.tab}`);
    const view = this.current();
    if (this.main.firstChild !== view.element) replaceChildren(this.main, [view.element]);
    view.shown(focus);
  }

  private applyUpdate(batch: UpdateBatch): void {
    if (this.currentSnapshot) this.currentSnapshot = { ...this.currentSnapshot, counts: batch.counts, cleanupRunning: batch.cleanupRunning };
    this.catalogView.applyUpdate(batch);
    this.hubView.applyUpdate(batch, this.current() === this.hubView);
    this.cacheView.applyUpdate(batch, this.current() === this.cacheView);
    if (this.page instanceof DetailView) this.page.applyUpdate(batch);
    this.paintHeader();
  }

  private paintHeader(): void {
    const s = this.currentSnapshot;
    if (!s) return;
    const total = s.counts.model.total + s.counts.dataset.total;
    const count = this.tabButtons.get('catalog')?.querySelector('.count');
    if (count) setText(count, String(total));
    const downloading = s.counts.model.byStatus.downloading + s.counts.dataset.byStatus.downloading;
    const queued = s.counts.model.byStatus.queued + s.counts.dataset.byStatus.queued;
    const parts: (HTMLElement | string)[] = [];
    if (downloading > 0 || queued > 0) {
      const rate = this.totalRate();
      parts.push(h('span', { className: 'activity' }, [icon('cloud-download'), ` ${downloading} downloading${queued > 0 ? `, ${queued} queued` : ''}${rate > 0 ? ` · ${formatBytes(rate)}/s` : ''}`]));
    }
    if (s.cleanupRunning > 0) parts.push(h('span', { className: 'activity' }, [icon('trash'), ' freeing space']));
    parts.push(h('span', { className: 'cache-root', text: s.cacheRoot, attrs: { title: `Hugging Face cache: ${s.cacheRoot}\nHub: ${s.endpoint}` } }));
    replaceChildren(this.hostInfo, parts);
  }

  private paintCacheCount(): void {
    const count = this.tabButtons.get('cache')?.querySelector('.count');
    // Empty until the cache has been read: "0" would claim it is empty.
    if (count) setText(count, this.cacheView.model.summary || this.cacheView.model.repoCount > 0 ? String(this.cacheView.model.repoCount) : '');
  }

  private totalRate(): number {
    return this.catalogView.model.totalRate();
  }

  private onTabKey(event: KeyboardEvent): void {
    const order = TABS.map((t) => t.id);
    const i = order.indexOf(this.tab);
    let next: Tab | undefined;
    if (event.key === 'ArrowRight') next = order[(i + 1) % order.length];
    else if (event.key === 'ArrowLeft') next = order[(i - 1 + order.length) % order.length];
    else if (event.key === 'Home') next = order[0];
    else if (event.key === 'End') next = order[order.length - 1];
    if (!next) return;
    event.preventDefault();
    this.showTab(next);
    this.tabButtons.get(next)?.focus();
  }
}
