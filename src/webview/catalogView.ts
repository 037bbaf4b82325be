import type { EntryStatus, SortKey } from '../core/catalog/types';
import type { EntryAction, UpdateBatch } from '../shared/protocol';
import { CatalogModel, type CatalogFilter } from './catalogModel';
import type { AppContext, View } from './context';
import { h, icon, setAttrs, setText } from './dom';
import { createEntryRow, renderEntryRow } from './entryRow';
import { arrowDownInto, searchBox, searchInput } from './searchBox';
import { VirtualList } from './virtualList';

export const ENTRY_ROW_HEIGHT = 52;

/** The status filter offers groups a user thinks in, not every status alone. */
const STATUS_GROUPS: readonly { readonly value: string; readonly label: string; readonly statuses: readonly EntryStatus[] }[] = [
  { value: 'any', label: 'Any status', statuses: [] },
  { value: 'ready', label: 'Ready', statuses: ['ready'] },
  { value: 'active', label: 'In progress', statuses: ['downloading', 'queued', 'paused'] },
  { value: 'problems', label: 'Needs attention', statuses: ['error', 'missing', 'cancelled'] },
];

function groupOf(statuses: readonly EntryStatus[]): string {
  const key = [...statuses].sort().join(',');
  return STATUS_GROUPS.find((g) => [...g.statuses].sort().join(',') === key)?.value ?? 'any';
}

function select(label: string, options: readonly (readonly [string, string])[], value: string, onChange: (value: string) => void): HTMLSelectElement {
  const el = h('select', { attrs: { 'aria-label': label, title: label }, on: { change: () => onChange(el.value) } },
    options.map(([v, text]) => h('option', { text, attrs: { value: v } })));
  el.value = value;
  return el;
}

/** The catalog tab: search as you type, filters, sort, and a virtualised list of entries with live progress. */
export class CatalogView implements View {
  readonly element: HTMLElement;
  readonly model: CatalogModel;
  readonly list: VirtualList;
  readonly search: HTMLInputElement;
  private readonly summary: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly directionButton: HTMLButtonElement;
  // "Ready · 3 minutes ago" ages while the page is open.
  private readonly clock = setInterval(() => {
    if (this.element.isConnected) this.list.refresh();
  }, 30_000);

  constructor(
    private readonly ctx: AppContext,
    filter: CatalogFilter,
  ) {
    this.model = new CatalogModel(ctx.client, filter);
    this.list = new VirtualList({
      rowHeight: ENTRY_ROW_HEIGHT,
      label: 'Catalog entries',
      className: 'entry-list',
      createRow: createEntryRow,
      renderRow: (row, index) => {
        const entry = this.model.rowAt(index);
        renderEntryRow(row, entry, entry ? this.model.progressOf(entry.id) : undefined);
      },
      onRangeChange: (first, last) => this.model.setVisibleRange(first, last),
      onActivate: (index) => {
        const entry = this.model.rowAt(index);
        if (entry) ctx.showDetail(entry.id);
      },
      onKey: (index, event) => {
        const entry = this.model.rowAt(index);
        if (!entry || event.key !== 'Delete') return false;
        void ctx.runAction(entry, 'delete');
        return true;
      },
    });
    this.list.element.addEventListener('click', (event) => this.onActionClick(event));

    this.search = searchInput({
      label: 'Search the catalog',
      placeholder: 'Search models and datasets by name or repo id',
      value: filter.text,
      onInput: (text) => this.setFilter({ text }),
      onKeyDown: arrowDownInto(this.list),
    });
    const kind = select('Kind', [['all', 'Models and datasets'], ['model', 'Models'], ['dataset', 'Datasets']], filter.kind, (v) =>
      this.setFilter({ kind: v as CatalogFilter['kind'] }),
    );
    const status = select('Status', STATUS_GROUPS.map((g) => [g.value, g.label] as const), groupOf(filter.statuses), (v) =>
      this.setFilter({ statuses: STATUS_GROUPS.find((g) => g.value === v)?.statuses ?? [] }),
    );
    const sort = select('Sort by', [['name', 'Name'], ['size', 'Size'], ['updated', 'Updated']], filter.sort, (v) =>
      this.setFilter({ sort: v as SortKey }),
    );
    this.directionButton = h('button', {
      className: 'icon-button',
      attrs: { type: 'button' },
      on: { click: () => this.setFilter({ direction: this.model.filter.direction === 'asc' ? 'desc' : 'asc' }) },
    });
    this.paintDirection();
    this.summary = h('div', { className: 'summary', attrs: { 'aria-live': 'polite' } });
    this.empty = h('div', { className: 'empty-state', attrs: { hidden: true } });

    this.element = h('section', { className: 'view catalog-view', attrs: { 'aria-label': 'Catalog' } }, [
      h('div', { className: 'toolbar', attrs: { role: 'search' } }, [
        searchBox(this.search),
        kind,
        status,
        sort,
        this.directionButton,
      ]),
      this.summary,
      this.list.element,
      this.empty,
    ]);

    this.model.onChange(() => this.paint());
    this.model.onError((message) => ctx.notify(`Could not search the catalog: ${message}`, 'error'));
  }

  shown(focus: boolean): void {
    this.list.layout();
    if (focus) this.search.focus();
  }

  /** Called once the handshake finished (and again after a reconnect). */
  start(progress: Parameters<CatalogModel['resetProgress']>[0]): void {
    this.model.resetProgress(progress);
    this.model.reload();
  }

  applyUpdate(batch: UpdateBatch): void {
    this.model.applyUpdate(batch);
  }

  dispose(): void {
    clearInterval(this.clock);
    this.model.dispose();
    this.list.dispose();
  }

  private setFilter(patch: Partial<CatalogFilter>): void {
    const before = this.model.filter;
    this.model.setFilter(patch);
    if (this.model.filter !== before) {
      this.list.element.scrollTop = 0;
      this.paintDirection();
      this.ctx.saveState();
    }
  }

  private paintDirection(): void {
    const asc = this.model.filter.direction === 'asc';
    this.directionButton.replaceChildren(icon(asc ? 'arrow-up' : 'arrow-down'));
    const label = asc ? 'Ascending order (click for descending)' : 'Descending order (click for ascending)';
    setAttrs(this.directionButton, { 'aria-label': label, title: label, 'aria-pressed': asc ? 'false' : 'true' });
  }

  private paint(): void {
    const total = this.model.total;
    if (this.list.rowCount !== total) this.list.setCount(total);
    else this.list.refresh();
    if (!this.model.loaded) return;
    const f = this.model.filter;
    const filtered = f.text !== '' || f.kind !== 'all' || f.statuses.length > 0;
    const counts = this.ctx.snapshot()?.counts;
    const all = counts ? counts.model.total + counts.dataset.total : undefined;
    setText(this.summary, filtered && all !== undefined ? `${total} of ${all} entries` : `${total} ${total === 1 ? 'entry' : 'entries'}`);
    this.empty.hidden = total > 0;
    this.list.element.hidden = total === 0;
    if (total === 0) this.paintEmpty(filtered);
  }

  private paintEmpty(filtered: boolean): void {
    const key = filtered ? 'filtered' : 'empty';
    if (this.empty.dataset.key === key) return;
    this.empty.dataset.key = key;
    this.empty.replaceChildren(
      ...(filtered
        ? [h('p', { text: 'Nothing in the catalog matches.' })]
        : [
            h('p', { text: 'Your catalog is empty.' }),
            h('button', { className: 'primary', text: 'Find models and datasets on the Hub', attrs: { type: 'button' }, on: { click: () => this.ctx.showTab('hub') } }),
          ]),
    );
  }

  private onActionClick(event: MouseEvent): void {
    const button = (event.target as Element | null)?.closest('button[data-action]');
    if (!button) return;
    const id = button.closest('[data-entry-id]')?.getAttribute('data-entry-id');
    const index = id ? this.model.indexOf(id) : -1;
    const entry = index >= 0 ? this.model.rowAt(index) : undefined;
    if (!entry) return;
    void this.ctx.runAction(entry, button.getAttribute('data-action') as EntryAction);
  }
}
