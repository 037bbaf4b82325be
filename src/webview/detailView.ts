import type { FileState } from '../core/catalog/types';
import type { EntryAction, EntryDetail, FileRow, UpdateBatch } from '../shared/protocol';
import { isCancelledError } from './client';
import type { AppContext, View } from './context';
import { h, icon, replaceChildren, setAttrs, setText } from './dom';
import { actionButton, actionsFor, factsLine, fractionOf, progressLine } from './entryRow';
import { STATUS_ICONS, STATUS_LABELS, formatAge, formatBytes, formatCount, formatParameters } from './format';
import type { CatalogModel } from './catalogModel';
import { VirtualList } from './virtualList';

export const FILE_ROW_HEIGHT = 24;
// Live updates can arrive ten times a second; the file list is re-read at most twice a second.
const REFRESH_MS = 500;

const FILE_STATE_LABELS: Readonly<Record<FileState, string>> = { pending: 'Pending', partial: 'Partial', verified: 'Verified' };
const FILE_STATE_ICONS: Readonly<Record<FileState, string>> = { pending: 'circle-large-outline', partial: 'circle-large-filled', verified: 'verified-filled' };

/** One entry in full: metadata, where it lives, how much disk it uses, and every file with its verification state. */
export class DetailView implements View {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly statusLine: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly bar: HTMLDivElement;
  private readonly fill: HTMLDivElement;
  private readonly progressText: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly filesHeading: HTMLElement;
  private readonly files: VirtualList;
  private detail: EntryDetail | undefined;
  private fileRows: readonly FileRow[] = [];
  private inFlight: AbortController | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private gone = false;

  constructor(
    private readonly ctx: AppContext,
    readonly entryId: string,
    private readonly catalog: CatalogModel,
  ) {
    this.title = h('h2', { text: 'Loading…' });
    this.statusLine = h('div', { className: 'summary', attrs: { 'aria-live': 'polite' } });
    this.actions = h('div', { className: 'row-actions' });
    this.actions.addEventListener('click', (e) => {
      const action = (e.target as Element | null)?.closest('button[data-action]')?.getAttribute('data-action');
      if (action && this.detail) void ctx.runAction(this.detail.entry, action as EntryAction);
    });
    this.fill = h('div', { className: 'bar-fill' });
    this.bar = h('div', { className: 'bar', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': 'Download progress', hidden: true } }, [this.fill]);
    this.progressText = h('div', { className: 'progress-text' });
    this.facts = h('dl', { className: 'facts' });
    this.filesHeading = h('h3', { text: 'Files' });
    this.files = new VirtualList({
      rowHeight: FILE_ROW_HEIGHT,
      label: 'Files of this entry',
      className: 'file-list',
      createRow: () => h('div', { className: 'file-row' }),
      renderRow: (row, index) => this.renderFile(row, index),
    });
    this.element = h('section', { className: 'view detail-view', attrs: { 'aria-label': 'Entry details' } }, [
      h('div', { className: 'page-header' }, [
        h('button', { className: 'icon-button', attrs: { type: 'button', 'aria-label': 'Back', title: 'Back' }, on: { click: () => ctx.back() } }, [icon('arrow-left')]),
        this.title,
        this.actions,
      ]),
      this.statusLine,
      h('div', { className: 'entry-progress wide' }, [this.bar, this.progressText]),
      this.facts,
      this.filesHeading,
      this.files.element,
    ]);
    this.load();
  }

  get current(): EntryDetail | undefined {
    return this.detail;
  }

  shown(focus: boolean): void {
    this.files.layout();
    if (focus) this.element.querySelector<HTMLElement>('.page-header button')?.focus();
  }

  applyUpdate(batch: UpdateBatch): void {
    if (this.gone) return;
    if (batch.removed.includes(this.entryId)) {
      this.gone = true;
      this.inFlight?.abort();
      setText(this.statusLine, 'This entry was deleted from the catalog.');
      replaceChildren(this.actions, []);
      this.bar.hidden = true;
      return;
    }
    if (batch.changed.some((e) => e.id === this.entryId)) this.scheduleRefresh();
    else if (batch.progress.some((p) => p.entryId === this.entryId)) this.paintProgress();
  }

  dispose(): void {
    this.inFlight?.abort();
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.files.dispose();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.load();
    }, REFRESH_MS);
  }

  private load(): void {
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    this.ctx.client.request('detail', { entryId: this.entryId }, { signal: controller.signal }).then(
      (detail) => {
        if (this.inFlight !== controller) return;
        this.inFlight = undefined;
        this.paint(detail);
      },
      (err: unknown) => {
        if (isCancelledError(err) || this.inFlight !== controller) return;
        this.inFlight = undefined;
        setText(this.statusLine, err instanceof Error ? err.message : String(err));
      },
    );
  }

  private paint(detail: EntryDetail): void {
    const e = detail.entry;
    const before = this.detail?.entry;
    const actionsChanged = before?.status !== e.status || before.actions.join(',') !== e.actions.join(',');
    this.detail = detail;
    this.fileRows = detail.files;
    setText(this.title, e.displayName);
    this.element.setAttribute('aria-label', `Details of ${e.displayName}`);
    replaceChildren(this.statusLine, [icon(STATUS_ICONS[e.status], `status-icon status-${e.status}`), ` ${STATUS_LABELS[e.status]} · ${factsLine(e)}`]);
    if (actionsChanged) replaceChildren(this.actions, actionsFor(e).map((spec) => actionButton(spec, e.displayName)));
    this.paintProgress();

    const f = e.facts;
    const rows: [string, string][] = [
      ['Kind', e.kind === 'model' ? 'Model' : 'Dataset'],
      ['Repo', e.repoId],
      ['Revision', e.revision],
      ['Commit', e.commit ?? '—'],
      ['Local path', e.snapshotPath ?? 'not downloaded yet'],
      ['Disk use', formatBytes(detail.diskBytes)],
      ['Size', e.bytesTotal > 0 ? `${formatBytes(e.bytesTotal)} in ${e.fileCount} files` : '—'],
    ];
    if (f.parameters !== undefined) rows.push(['Parameters', formatParameters(f.parameters)]);
    if (f.memory) {
      rows.push(['Weights in memory', `fp32 ${formatBytes(f.memory.fp32)} · bf16 ${formatBytes(f.memory.bf16)} · int8 ${formatBytes(f.memory.int8)} · int4 ${formatBytes(f.memory.int4)}`]);
    }
    if (f.modelType) rows.push(['Model type', f.modelType]);
    if (detail.architectures?.length) rows.push(['Architecture', detail.architectures.join(', ')]);
    if (detail.numLayers !== undefined) rows.push(['Layers', String(detail.numLayers)]);
    if (detail.hiddenSize !== undefined) rows.push(['Hidden size', String(detail.hiddenSize)]);
    for (const c of f.configs ?? []) rows.push([`Config ${c.name}`, c.splits.length > 0 ? `splits: ${c.splits.join(', ')}` : 'no splits']);
    if (f.pipelineTag) rows.push(['Task', f.pipelineTag]);
    if (f.license) rows.push(['License', f.license]);
    if (f.gated) rows.push(['Access', `gated (${f.gated} approval)`]);
    if (detail.downloads !== undefined) rows.push(['Downloads', formatCount(detail.downloads)]);
    if (detail.likes !== undefined) rows.push(['Likes', formatCount(detail.likes)]);
    if (detail.lastModified) rows.push(['Updated on the Hub', formatAge(detail.lastModified)]);
    if (e.include.length > 0) rows.push(['Include', e.include.join(' ')]);
    if (e.exclude.length > 0) rows.push(['Exclude', e.exclude.join(' ')]);
    if (e.errorMessage) rows.push(['Error', e.errorMessage]);
    rows.push(['On the Hub', detail.hubUrl]);
    replaceChildren(this.facts, rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v, attrs: { title: v } })]));

    const verified = detail.files.filter((x) => x.state === 'verified').length;
    setText(this.filesHeading, `Files (${verified} of ${detail.files.length} verified)`);
    this.files.setCount(this.fileRows.length);
    this.files.refresh();
  }

  private paintProgress(): void {
    const detail = this.detail;
    if (!detail) return;
    const e = detail.entry;
    const progress = this.catalog.progressOf(e.id);
    const moving = e.status === 'downloading' || e.status === 'queued' || e.status === 'paused';
    this.bar.hidden = !moving;
    const percent = Math.round(fractionOf(e, progress) * 100);
    this.fill.style.width = `${percent}%`;
    setAttrs(this.bar, { 'aria-valuenow': percent });
    setText(this.progressText, progressLine(e, progress));
  }

  private renderFile(row: HTMLElement, index: number): void {
    const file = this.fileRows[index];
    if (!file) return;
    const state = FILE_STATE_LABELS[file.state];
    const size = file.state === 'partial' ? `${formatBytes(file.bytesDone)} of ${formatBytes(file.size)}` : formatBytes(file.size);
    row.className = `file-row file-${file.state}`;
    replaceChildren(row, [
      h('span', { className: 'file-state', attrs: { title: state } }, [icon(FILE_STATE_ICONS[file.state])]),
      h('span', { className: 'file-path', text: file.path, attrs: { title: file.path } }),
      file.lfs ? h('span', { className: 'tag', text: 'LFS' }) : null,
      h('span', { className: 'file-size', text: size }),
    ]);
    setAttrs(row, { 'aria-label': `${file.path}, ${size}, ${state}` });
  }
}
