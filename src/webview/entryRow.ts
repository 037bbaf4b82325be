import type { EntryStatus } from '../core/catalog/types';
import type { EntryAction, EntryRow, ProgressRow } from '../shared/protocol';
import { h, icon, replaceChildren, setAttrs, setText } from './dom';
import { STATUS_ICONS, STATUS_LABELS, formatAge, formatBytes, formatDuration, formatParameters, formatRate, rateLimitNote, waitingNote } from './format';

export interface ActionSpec {
  readonly action: EntryAction;
  readonly label: string;
  readonly icon: string;
}

const A: Readonly<Record<EntryAction, ActionSpec>> = {
  pause: { action: 'pause', label: 'Pause', icon: 'debug-pause' },
  resume: { action: 'resume', label: 'Resume', icon: 'debug-continue' },
  cancel: { action: 'cancel', label: 'Cancel', icon: 'close' },
  retry: { action: 'retry', label: 'Retry', icon: 'refresh' },
  redownload: { action: 'redownload', label: 'Re-download', icon: 'cloud-download' },
  delete: { action: 'delete', label: 'Delete', icon: 'trash' },
  reveal: { action: 'reveal', label: 'Reveal in File Explorer', icon: 'folder-opened' },
  openFolder: { action: 'openFolder', label: 'Open Folder in New Window', icon: 'empty-window' },
  copyPath: { action: 'copyPath', label: 'Copy Path', icon: 'copy' },
  copyId: { action: 'copyId', label: 'Copy Repo ID', icon: 'clippy' },
  copySnippet: { action: 'copySnippet', label: 'Copy Python Snippet', icon: 'code' },
  openOnHub: { action: 'openOnHub', label: 'Open on Hub', icon: 'link-external' },
  requestAccess: { action: 'requestAccess', label: 'Request Access', icon: 'key' },
};

/** The buttons a row has room for in each status, in the order they appear; the rest live in the tree's menus. */
const BUTTONS: Readonly<Record<EntryStatus, readonly EntryAction[]>> = {
  queued: ['pause', 'cancel'],
  downloading: ['pause', 'cancel'],
  paused: ['resume', 'cancel', 'delete'],
  error: ['retry', 'requestAccess', 'openOnHub', 'delete'],
  cancelled: ['retry', 'openOnHub', 'delete'],
  missing: ['redownload', 'openOnHub', 'delete'],
  ready: ['reveal', 'copyPath', 'copySnippet', 'openOnHub', 'delete'],
};

/** The row's buttons: those its status has room for that the host says the entry allows now. */
export function actionsFor(entry: Pick<EntryRow, 'status' | 'actions'>): readonly ActionSpec[] {
  return BUTTONS[entry.status].filter((a) => entry.actions.includes(a)).map((a) => A[a]);
}

export function actionButton(spec: ActionSpec, subject: string): HTMLButtonElement {
  return h('button', {
    className: `icon-button action-${spec.action}`,
    attrs: { type: 'button', 'data-action': spec.action, title: spec.label, 'aria-label': `${spec.label} ${subject}` },
  }, [icon(spec.icon)]);
}

/** Size, parameters and memory for a model; size, configs and splits for a dataset. */
export function factsLine(entry: EntryRow): string {
  const parts: string[] = [entry.bytesTotal > 0 ? formatBytes(entry.bytesTotal) : '—'];
  const f = entry.facts;
  if (entry.kind === 'model') {
    if (f.parameters !== undefined) parts.push(formatParameters(f.parameters));
    if (f.memory) parts.push(`${formatBytes(f.memory.bf16)} in bf16`);
  } else if (f.configs && f.configs.length > 0) {
    parts.push(f.configs.length === 1 ? '1 config' : `${f.configs.length} configs`);
    const splits = [...new Set(f.configs.flatMap((c) => c.splits))];
    if (splits.length > 0) parts.push(`splits: ${splits.join(', ')}`);
  }
  return parts.join(' · ');
}

/** The progress text: percentage, rate and time left while moving; what happened otherwise. */
export function progressLine(entry: EntryRow, progress: ProgressRow | undefined): string {
  const done = progress?.bytesDone ?? entry.bytesDone;
  const total = progress?.bytesTotal ?? entry.bytesTotal;
  const percent = total > 0 ? Math.floor((progress ? progress.fraction : done / total) * 100) : 0;
  switch (entry.status) {
    case 'downloading': {
      if (!progress) return total > 0 ? `${percent}% of ${formatBytes(total)}` : 'Starting…';
      const eta = progress.etaSeconds === null ? '' : ` · ${formatDuration(progress.etaSeconds)} left`;
      const notes = [waitingNote(progress.waitingFiles), rateLimitNote(progress.rateLimitResumeSeconds ?? undefined)].filter((n) => n !== undefined);
      return `${percent}% · ${formatRate(progress.bytesPerSecond)}${eta}${notes.map((n) => ` · ${n}`).join('')}`;
    }
    case 'queued':
      return 'Waiting for a free slot';
    case 'paused':
      return total > 0 ? `Paused at ${percent}% (${formatBytes(done)} of ${formatBytes(total)})` : 'Paused';
    case 'ready':
      return `Ready · ${formatAge(entry.updatedAt)}`;
    case 'error':
      return entry.errorMessage ?? 'Failed';
    case 'cancelled':
      return 'Cancelled';
    case 'missing':
      return 'Files are gone from the cache';
  }
}

export function fractionOf(entry: EntryRow, progress: ProgressRow | undefined): number {
  if (progress) return progress.fraction;
  if (entry.status === 'ready') return 1;
  return entry.bytesTotal > 0 ? Math.min(1, entry.bytesDone / entry.bytesTotal) : 0;
}

const SHOWS_BAR: ReadonlySet<EntryStatus> = new Set(['downloading', 'queued', 'paused']);

interface RowParts {
  readonly statusIcon: HTMLSpanElement;
  readonly name: HTMLSpanElement;
  readonly sub: HTMLSpanElement;
  readonly facts: HTMLSpanElement;
  readonly bar: HTMLDivElement;
  readonly fill: HTMLDivElement;
  readonly progressText: HTMLSpanElement;
  readonly actions: HTMLDivElement;
  actionsKey: string;
}

const parts = new WeakMap<HTMLElement, RowParts>();

export function createEntryRow(): HTMLElement {
  const statusIcon = h('span', { className: 'status-icon codicon', attrs: { 'aria-hidden': 'true' } });
  const name = h('span', { className: 'entry-name' });
  const sub = h('span', { className: 'entry-sub' });
  const facts = h('span', { className: 'entry-facts' });
  const fill = h('div', { className: 'bar-fill' });
  const bar = h('div', { className: 'bar', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 } }, [fill]);
  const progressText = h('span', { className: 'progress-text' });
  const actions = h('div', { className: 'row-actions' });
  const row = h('div', { className: 'entry-row' }, [
    statusIcon,
    h('div', { className: 'entry-title' }, [name, sub]),
    facts,
    h('div', { className: 'entry-progress' }, [bar, progressText]),
    actions,
  ]);
  parts.set(row, { statusIcon, name, sub, facts, bar, fill, progressText, actions, actionsKey: '' });
  return row;
}

/** Paints a row for an entry, or as a placeholder while its window is loading. */
export function renderEntryRow(row: HTMLElement, entry: EntryRow | undefined, progress: ProgressRow | undefined): void {
  const p = parts.get(row);
  if (!p) return;
  if (!entry) {
    row.className = 'entry-row placeholder';
    row.removeAttribute('data-entry-id');
    setAttrs(row, { 'aria-label': 'Loading', 'aria-busy': 'true' });
    p.statusIcon.className = 'status-icon codicon codicon-loading';
    setText(p.name, '…');
    for (const el of [p.sub, p.facts, p.progressText]) setText(el, '');
    p.bar.hidden = true;
    if (p.actionsKey !== '') {
      replaceChildren(p.actions, []);
      p.actionsKey = '';
    }
    return;
  }
  row.className = `entry-row status-${entry.status}`;
  const label = STATUS_LABELS[entry.status];
  const text = progressLine(entry, progress);
  setAttrs(row, { 'data-entry-id': entry.id, 'aria-busy': null, 'aria-label': `${entry.displayName}, ${entry.kind}, ${label}, ${text}` });
  p.statusIcon.className = `status-icon codicon codicon-${STATUS_ICONS[entry.status]}`;
  p.statusIcon.title = label;
  setText(p.name, entry.displayName);
  p.name.title = entry.repoId;
  setText(p.sub, `${entry.kind === 'model' ? 'Model' : 'Dataset'} · ${entry.revision} · ${label}`);
  const facts = factsLine(entry);
  setText(p.facts, facts);
  p.facts.title = facts;
  setText(p.progressText, text);
  p.progressText.title = text;
  const bar = SHOWS_BAR.has(entry.status);
  p.bar.hidden = !bar;
  if (bar) {
    const percent = Math.round(fractionOf(entry, progress) * 100);
    p.fill.style.width = `${percent}%`;
    setAttrs(p.bar, { 'aria-valuenow': percent, 'aria-label': `${entry.displayName} progress` });
  }
  const key = `${entry.id}:${entry.status}:${entry.actions.join(',')}`;
  if (p.actionsKey !== key) {
    p.actionsKey = key;
    replaceChildren(p.actions, actionsFor(entry).map((spec) => actionButton(spec, entry.displayName)));
  }
}
