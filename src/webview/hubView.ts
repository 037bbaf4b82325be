import type { RepoKind } from '../core/repo';
import type { HubRow, HubSort, UpdateBatch } from '../shared/protocol';
import { isCancelledError } from './client';
import type { AppContext, View } from './context';
import { h, icon, replaceChildren, setText } from './dom';
import { STATUS_LABELS, formatAge, formatCount } from './format';
import { searchBox, searchInput } from './searchBox';

export interface HubQuery {
  readonly kind: RepoKind;
  readonly text: string;
  readonly sort: HubSort;
}

export const DEFAULT_HUB_QUERY: HubQuery = { kind: 'model', text: '', sort: 'downloads' };

// The Hub is a network away: wait for a pause in typing before asking.
const SEARCH_DELAY_MS = 300;
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The Hub tab: search models or datasets, see what is gated, private or already in the catalog, start a plan. */
export class HubView implements View {
  readonly element: HTMLElement;
  readonly search: HTMLInputElement;
  private readonly results: HTMLElement;
  private readonly state: HTMLElement;
  private readonly direct: HTMLElement;
  private queryValue: HubQuery;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  private searchedOnce = false;
  private lastItems: readonly HubRow[] = [];

  constructor(
    private readonly ctx: AppContext,
    query: HubQuery,
    private readonly delayMs = SEARCH_DELAY_MS,
  ) {
    this.queryValue = query;
    this.search = searchInput({
      label: 'Search the Hub',
      placeholder: 'Search the Hugging Face Hub',
      value: query.text,
      onInput: (text) => this.setQuery({ text }),
      onKeyDown: (e) => {
        if (e.key === 'Enter') this.runNow();
        if (e.key === 'ArrowDown') {
          const first = this.results.querySelector<HTMLElement>('.hub-row');
          if (first) {
            e.preventDefault();
            first.focus();
          }
        }
      },
    });
    const kind = h('select', { attrs: { 'aria-label': 'Kind', title: 'Kind' }, on: { change: () => this.setQuery({ kind: kind.value as RepoKind }, true) } }, [
      h('option', { text: 'Models', attrs: { value: 'model' } }),
      h('option', { text: 'Datasets', attrs: { value: 'dataset' } }),
    ]);
    kind.value = query.kind;
    const sort = h('select', { attrs: { 'aria-label': 'Sort by', title: 'Sort by' }, on: { change: () => this.setQuery({ sort: sort.value as HubSort }, true) } }, [
      h('option', { text: 'Most downloads', attrs: { value: 'downloads' } }),
      h('option', { text: 'Most likes', attrs: { value: 'likes' } }),
      h('option', { text: 'Recently updated', attrs: { value: 'lastModified' } }),
    ]);
    sort.value = query.sort;
    this.state = h('div', { className: 'summary', attrs: { 'aria-live': 'polite' } });
    this.direct = h('div', { className: 'direct-download', attrs: { hidden: true } });
    this.results = h('div', { className: 'hub-results', attrs: { role: 'list', 'aria-label': 'Hub results' } });
    this.results.addEventListener('keydown', (e) => this.onResultsKey(e));
    this.element = h('section', { className: 'view hub-view', attrs: { 'aria-label': 'Hub' } }, [
      h('div', { className: 'toolbar', attrs: { role: 'search' } }, [searchBox(this.search), kind, sort]),
      this.direct,
      this.state,
      this.results,
    ]);
  }

  get query(): HubQuery {
    return this.queryValue;
  }

  shown(focus: boolean): void {
    if (!this.searchedOnce) this.runNow();
    if (focus) this.search.focus();
  }

  /** Keeps the "in catalog" marks true to a live update. */
  applyUpdate(batch: UpdateBatch, visible: boolean): void {
    if (this.lastItems.length === 0) return;
    let changed = false;
    const items = this.lastItems.map((item) => {
      const entry = batch.changed.find((e) => e.kind === item.kind && e.repoId === item.id);
      if (!entry || entry.status === item.catalogStatus) return item;
      changed = true;
      return { ...item, catalogStatus: entry.status };
    });
    if (changed) {
      this.lastItems = items;
      this.paintResults(items);
    }
    // A removal names only the entry id, not its repo: ask the host again for the marks.
    if (batch.removed.length > 0) {
      if (visible) this.runNow(true);
      else this.searchedOnce = false;
    }
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.inFlight?.abort();
  }

  private setQuery(patch: Partial<HubQuery>, immediate = false): void {
    this.queryValue = { ...this.queryValue, ...patch };
    this.ctx.saveState();
    this.paintDirect();
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (immediate) this.runNow();
    else this.timer = setTimeout(() => this.runNow(), this.delayMs);
  }

  private paintDirect(): void {
    const text = this.queryValue.text.trim();
    const show = REPO_ID.test(text);
    this.direct.hidden = !show;
    if (!show) return;
    const kind = this.queryValue.kind;
    replaceChildren(this.direct, [
      h('button', {
        className: 'secondary',
        attrs: { type: 'button' },
        on: { click: () => this.ctx.showPlan(kind, text) },
      }, [icon('cloud-download'), ` Download ${text} by id…`]),
    ]);
  }

  private runNow(quiet = false): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    this.searchedOnce = true;
    const q = this.queryValue;
    if (!quiet) {
      setText(this.state, 'Searching the Hub…');
      this.element.setAttribute('aria-busy', 'true');
    }
    this.paintDirect();
    this.ctx.client.request('hubSearch', { kind: q.kind, text: q.text, sort: q.sort }, { signal: controller.signal }).then(
      (result) => {
        if (this.inFlight !== controller) return;
        this.inFlight = undefined;
        this.element.removeAttribute('aria-busy');
        this.lastItems = result.items;
        const n = result.items.length;
        setText(this.state, n === 0 ? 'Nothing on the Hub matches.' : `${n} ${q.kind === 'model' ? 'model' : 'dataset'}${n === 1 ? '' : 's'} on the Hub`);
        this.paintResults(result.items);
      },
      (err: unknown) => {
        if (isCancelledError(err) || this.inFlight !== controller) return;
        this.inFlight = undefined;
        this.element.removeAttribute('aria-busy');
        const message = err instanceof Error ? err.message : String(err);
        setText(this.state, `Could not search the Hub: ${message}`);
        this.ctx.notify(`Could not search the Hub: ${message}`, 'error');
      },
    );
  }

  private paintResults(items: readonly HubRow[]): void {
    replaceChildren(this.results, items.map((item) => this.row(item)));
  }

  private row(item: HubRow): HTMLElement {
    const badges: HTMLElement[] = [];
    if (item.gated) badges.push(h('span', { className: 'badge gated', attrs: { title: `Gated (${item.gated} approval): you need access on the Hub` } }, [icon('lock'), ' Gated']));
    if (item.private) badges.push(h('span', { className: 'badge private', attrs: { title: 'Private repo' } }, [icon('eye-closed'), ' Private']));
    if (item.catalogStatus) {
      badges.push(h('span', { className: `badge in-catalog status-${item.catalogStatus}`, attrs: { title: `In your catalog: ${STATUS_LABELS[item.catalogStatus]}` } }, [
        icon('library'),
        ` In catalog · ${STATUS_LABELS[item.catalogStatus]}`,
      ]));
    }
    const stats = [`${formatCount(item.downloads)} downloads`, `${formatCount(item.likes)} likes`, `updated ${formatAge(item.lastModified)}`];
    if (item.pipelineTag) stats.unshift(item.pipelineTag);
    return h('div', { className: 'hub-row', attrs: { role: 'listitem', tabindex: '-1', 'data-repo-id': item.id, 'data-kind': item.kind, 'aria-label': `${item.id}${item.gated ? ', gated' : ''}${item.private ? ', private' : ''}${item.catalogStatus ? ', in catalog' : ''}` } }, [
      icon(item.kind === 'model' ? 'symbol-class' : 'database', 'kind-icon'),
      h('div', { className: 'hub-title' }, [h('span', { className: 'hub-id', text: item.id }), h('span', { className: 'hub-stats', text: stats.join(' · ') })]),
      h('div', { className: 'badges' }, badges),
      h('div', { className: 'row-actions' }, [
        h('button', {
          className: 'icon-button',
          attrs: { type: 'button', title: 'Open on Hub', 'aria-label': `Open ${item.id} on the Hub` },
          on: { click: () => void this.openOnHub(item) },
        }, [icon('link-external')]),
        h('button', {
          className: 'primary small download',
          attrs: { type: 'button', 'aria-label': `Download ${item.id}…` },
          on: { click: () => this.ctx.showPlan(item.kind, item.id) },
        }, [icon('cloud-download'), ' Download…']),
      ]),
    ]);
  }

  private async openOnHub(item: HubRow): Promise<void> {
    try {
      await this.ctx.client.request('openOnHub', { kind: item.kind, repoId: item.id });
    } catch (err) {
      if (!isCancelledError(err)) this.ctx.notify(err instanceof Error ? err.message : String(err), 'error');
    }
  }

  private onResultsKey(event: KeyboardEvent): void {
    const rows = [...this.results.querySelectorAll<HTMLElement>('.hub-row')];
    const current = (event.target as Element).closest<HTMLElement>('.hub-row');
    if (!current) return;
    const i = rows.indexOf(current);
    let next: HTMLElement | undefined;
    if (event.key === 'ArrowDown') next = rows[i + 1];
    else if (event.key === 'ArrowUp') next = i === 0 ? this.search : rows[i - 1];
    else if (event.key === 'Enter' && event.target === current) {
      const id = current.getAttribute('data-repo-id');
      const kind = current.getAttribute('data-kind') === 'dataset' ? 'dataset' : 'model';
      if (id) this.ctx.showPlan(kind, id);
    } else return;
    event.preventDefault();
    next?.focus();
  }
}
