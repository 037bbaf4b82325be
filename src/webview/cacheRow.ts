import type { CachePartialRow, CacheRepoRow, CacheRowAction } from '../shared/protocol';
import type { CacheLine } from './cacheModel';
import { h, icon, replaceChildren, setAttrs, setText } from './dom';
import { formatAge, formatBytes, shortCommit } from './format';

interface ActionLook {
  readonly label: string;
  readonly icon: string;
  /** Shown with its words, not as an icon alone: the action the tab exists for. */
  readonly prominent?: boolean;
}

const ACTION_LOOKS: Readonly<Record<CacheRowAction, ActionLook>> = {
  addToCatalog: { label: 'Add to Catalog', icon: 'add', prominent: true },
  verify: { label: 'Verify', icon: 'verified' },
  deleteRevision: { label: 'Delete Revision from Disk', icon: 'trash' },
  deleteRepo: { label: 'Delete Repo from Disk', icon: 'trash' },
};

const KIND_LOOKS: Readonly<Record<CacheRepoRow['kind'], { readonly label: string; readonly icon: string }>> = {
  model: { label: 'Model', icon: 'symbol-class' },
  dataset: { label: 'Dataset', icon: 'database' },
  space: { label: 'Space', icon: 'rocket' },
};

const OWNER_LABELS: Readonly<Record<CachePartialRow['owner'], string>> = { ours: 'MechInterp Studio', legacy: 'an older download', foreign: 'huggingface_hub' };

const RESUMABLE_LABELS: Readonly<Record<NonNullable<CachePartialRow['resumableBy']> | 'nobody', string>> = {
  'this-catalog': 'resumable here',
  'other-catalog': 'resumable by another catalog',
  nobody: 'nobody can resume it',
};

interface RowParts {
  readonly chevron: HTMLSpanElement;
  readonly kindIcon: HTMLSpanElement;
  readonly name: HTMLSpanElement;
  readonly sub: HTMLSpanElement;
  readonly size: HTMLSpanElement;
  readonly age: HTMLSpanElement;
  readonly actions: HTMLDivElement;
  actionsKey: string;
}

const parts = new WeakMap<HTMLElement, RowParts>();

export function createCacheRow(): HTMLElement {
  const chevron = h('span', { className: 'chevron codicon', attrs: { 'aria-hidden': 'true' } });
  const kindIcon = h('span', { className: 'kind-icon codicon', attrs: { 'aria-hidden': 'true' } });
  const name = h('span', { className: 'cache-name' });
  const sub = h('span', { className: 'cache-sub' });
  const size = h('span', { className: 'cache-size' });
  const age = h('span', { className: 'cache-age' });
  const actions = h('div', { className: 'row-actions' });
  const row = h('div', { className: 'cache-row' }, [chevron, kindIcon, h('div', { className: 'cache-title' }, [name, sub]), size, age, actions]);
  parts.set(row, { chevron, kindIcon, name, sub, size, age, actions, actionsKey: '' });
  return row;
}

/** The words a line is known by: in its aria-label, and after an action's name on its buttons. */
export function lineSubject(line: CacheLine): string {
  if (line.type === 'repo') return line.repo.repoId;
  if (line.type === 'revision') return `${line.repo.repoId}@${line.revision.refs[0] ?? shortCommit(line.revision.commit)}`;
  return `${line.repo.repoId} partial ${line.partial.blobId.slice(0, 12)}`;
}

export function renderCacheRow(row: HTMLElement, line: CacheLine | undefined, expanded: boolean, busy: boolean): void {
  const p = parts.get(row);
  if (!p) return;
  if (!line) {
    row.className = 'cache-row placeholder';
    setAttrs(row, { 'data-key': null, 'aria-label': 'Loading', 'aria-expanded': null });
    return;
  }
  const text = describe(line);
  row.className = `cache-row cache-${line.type}${line.type !== 'repo' ? ' child' : ''}`;
  const hasChildren = line.type === 'repo' && line.repo.revisions.length + line.repo.partials.length > 0;
  setAttrs(row, {
    role: 'treeitem',
    'data-key': line.key,
    'aria-level': line.type === 'repo' ? 1 : 2,
    'aria-setsize': line.setSize,
    'aria-posinset': line.position,
    'aria-expanded': hasChildren ? (expanded ? 'true' : 'false') : null,
    'aria-label': `${text.name}, ${text.sub}, ${text.size}`,
  });
  p.chevron.className = `chevron codicon${hasChildren ? ` codicon-chevron-${expanded ? 'down' : 'right'}` : ''}`;
  p.kindIcon.className = `kind-icon codicon codicon-${text.icon}`;
  setText(p.name, text.name);
  p.name.title = text.name;
  setText(p.sub, text.sub);
  p.sub.title = text.sub;
  setText(p.size, text.size);
  setText(p.age, text.age);
  const actions = line.type === 'partial' ? [] : line.type === 'repo' ? line.repo.actions : line.revision.actions;
  const key = `${line.key}:${actions.join(',')}:${busy}`;
  if (p.actionsKey !== key) {
    p.actionsKey = key;
    replaceChildren(p.actions, actions.map((action) => actionButton(action, lineSubject(line), busy)));
  }
}

function actionButton(action: CacheRowAction, subject: string, busy: boolean): HTMLButtonElement {
  const look = ACTION_LOOKS[action];
  return h('button', {
    className: look.prominent ? 'secondary small' : 'icon-button',
    attrs: { type: 'button', 'data-cache-action': action, title: look.label, 'aria-label': `${look.label} ${subject}`, disabled: busy },
  }, look.prominent ? [icon(look.icon), ` ${look.label}`] : [icon(look.icon)]);
}

interface LineText {
  readonly icon: string;
  readonly name: string;
  readonly sub: string;
  readonly size: string;
  readonly age: string;
}

function describe(line: CacheLine): LineText {
  if (line.type === 'repo') {
    const { repo } = line;
    const revisions = `${repo.revisions.length} revision${repo.revisions.length === 1 ? '' : 's'}`;
    const sub = [
      KIND_LOOKS[repo.kind].label,
      revisions,
      ...(repo.refs.length > 0 ? [repo.refs.join(', ')] : []),
      `held by ${repo.heldBy}`,
      ...(repo.partialBytes > 0 ? [`${formatBytes(repo.partialBytes)} partial`] : []),
    ].join(' · ');
    return { icon: KIND_LOOKS[repo.kind].icon, name: repo.repoId, sub, size: formatBytes(repo.sizeOnDisk), age: `used ${ageOf(repo.lastAccessed)}` };
  }
  if (line.type === 'revision') {
    const { revision } = line;
    const sub = [shortCommit(revision.commit), `${revision.files} file${revision.files === 1 ? '' : 's'}`, `held by ${revision.heldBy}`].join(' · ');
    const detached = revision.refs.length === 0;
    return {
      icon: detached ? 'debug-disconnect' : 'git-commit',
      name: detached ? 'detached' : revision.refs.join(', '),
      sub,
      size: formatBytes(revision.sizeOnDisk),
      age: `modified ${ageOf(revision.lastModified)}`,
    };
  }
  const { partial } = line;
  const sub = [OWNER_LABELS[partial.owner], RESUMABLE_LABELS[partial.resumableBy ?? 'nobody']].join(' · ');
  return { icon: 'file', name: `Partial download ${partial.blobId.slice(0, 12)}…`, sub, size: formatBytes(partial.size), age: '' };
}

function ageOf(ms: number): string {
  return ms > 0 ? formatAge(ms) : 'unknown';
}
