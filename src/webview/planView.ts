import { compilePatterns } from '../core/patterns';
import type { RepoKind } from '../core/repo';
import type { PlanView as Plan } from '../shared/protocol';
import { isCancelledError } from './client';
import type { AppContext, View } from './context';
import { h, icon, replaceChildren, setAttrs, setText } from './dom';
import { formatBytes, shortCommit } from './format';
import { buildTree, flattenTree, parsePatterns, type PlanSummary, type TreeNode, type TreeRow } from './planTree';
import { VirtualList } from './virtualList';

export const TREE_ROW_HEIGHT = 24;

/**
 * The plan for one download: the repo's file tree with sizes, include / exclude patterns whose effect on the totals
 * updates as you type (matched here with the same fnmatch rules the engine uses), the revision, and the free space
 * on the cache's disk. Start enqueues exactly what the patterns keep.
 */
export class PlanView implements View {
  readonly element: HTMLElement;
  readonly include: HTMLInputElement;
  readonly exclude: HTMLInputElement;
  readonly revision: HTMLInputElement;
  readonly startButton: HTMLButtonElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private readonly summaryLine: HTMLElement;
  private readonly spaceLine: HTMLElement;
  private readonly badges: HTMLElement;
  private readonly tree: VirtualList;
  private plan: Plan | undefined;
  private rows: TreeRow[] = [];
  private root: TreeNode | undefined;
  private summary: PlanSummary | undefined;
  private readonly expanded = new Set<string>();
  private inFlight: AbortController | undefined;
  private starting = false;
  private requestedRevision: string | undefined;
  private patternsFilled = false;

  constructor(
    private readonly ctx: AppContext,
    readonly kind: RepoKind,
    readonly repoId: string,
    revision: string,
  ) {
    this.revision = h('input', {
      attrs: { type: 'text', 'aria-label': 'Revision (branch, tag or commit)', spellcheck: 'false', placeholder: 'main' },
      on: {
        keydown: (e) => {
          if (e.key === 'Enter') this.load();
        },
        change: () => this.load(),
      },
    });
    this.revision.value = revision;
    this.include = h('input', {
      attrs: { type: 'text', 'aria-label': 'Include patterns', placeholder: 'e.g. *.safetensors *.json (empty: everything)', spellcheck: 'false' },
      on: { input: () => this.applyPatterns() },
    });
    this.exclude = h('input', {
      attrs: { type: 'text', 'aria-label': 'Exclude patterns', placeholder: 'e.g. *.bin original/', spellcheck: 'false' },
      on: { input: () => this.applyPatterns() },
    });
    this.startButton = h('button', { className: 'primary', attrs: { type: 'button', disabled: true }, on: { click: () => void this.start() } }, [
      icon('cloud-download'),
      ' Start download',
    ]);
    this.status = h('div', { className: 'summary', attrs: { 'aria-live': 'polite' } });
    this.summaryLine = h('div', { className: 'plan-summary', attrs: { 'aria-live': 'polite' } });
    this.spaceLine = h('div', { className: 'plan-space' });
    this.badges = h('div', { className: 'badges' });
    this.tree = new VirtualList({
      rowHeight: TREE_ROW_HEIGHT,
      label: 'Files in the repo',
      className: 'file-tree',
      overscan: 10,
      createRow: () => h('div', { className: 'tree-row' }),
      renderRow: (row, index) => this.renderTreeRow(row, index),
      onActivate: (index) => this.toggle(index),
      onKey: (index, event) => {
        const node = this.rows[index]?.node;
        if (!node?.folder) return false;
        if (event.key === 'ArrowRight' && !this.expanded.has(node.path)) return this.toggle(index), true;
        if (event.key === 'ArrowLeft' && this.expanded.has(node.path)) return this.toggle(index), true;
        if (event.key === ' ') return this.toggle(index), true;
        return false;
      },
    });
    this.body = h('div', { className: 'plan-body', attrs: { hidden: true } }, [
      h('div', { className: 'form-grid' }, [
        h('label', { text: 'Revision' }),
        this.revision,
        h('label', { text: 'Include' }),
        this.include,
        h('label', { text: 'Exclude' }),
        this.exclude,
      ]),
      h('p', { className: 'hint', text: 'Patterns work like hf download --include / --exclude; separate several with spaces or commas. A pattern ending in / means a whole folder.' }),
      this.summaryLine,
      this.spaceLine,
      this.tree.element,
      h('div', { className: 'plan-actions' }, [
        this.startButton,
        h('button', { className: 'secondary', text: 'Cancel', attrs: { type: 'button' }, on: { click: () => ctx.back() } }),
      ]),
    ]);
    this.element = h('section', { className: 'view plan-view', attrs: { 'aria-label': `Download ${repoId}` } }, [
      h('div', { className: 'page-header' }, [
        h('button', { className: 'icon-button', attrs: { type: 'button', 'aria-label': 'Back', title: 'Back' }, on: { click: () => ctx.back() } }, [icon('arrow-left')]),
        icon(kind === 'model' ? 'symbol-class' : 'database', 'kind-icon'),
        h('h2', { text: repoId }),
        this.badges,
      ]),
      this.status,
      this.body,
    ]);
    this.load();
  }

  get currentPlan(): Plan | undefined {
    return this.plan;
  }

  get currentSummary(): PlanSummary | undefined {
    return this.summary;
  }

  shown(focus: boolean): void {
    this.tree.layout();
    if (focus) (this.plan ? this.include : this.revision).focus();
  }

  dispose(): void {
    this.inFlight?.abort();
    this.tree.dispose();
  }

  private load(): void {
    const revision = this.revision.value.trim() || 'main';
    if (revision === this.requestedRevision && (this.inFlight || this.plan)) return;
    this.requestedRevision = revision;
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    this.startButton.disabled = true;
    setText(this.status, `Reading ${this.repoId}@${revision} from the Hub…`);
    this.element.setAttribute('aria-busy', 'true');
    this.ctx.client.request('plan', { kind: this.kind, repoId: this.repoId, revision }, { signal: controller.signal }).then(
      (plan) => {
        if (this.inFlight !== controller) return;
        this.inFlight = undefined;
        this.element.removeAttribute('aria-busy');
        const first = !this.patternsFilled;
        this.patternsFilled = true;
        this.plan = plan;
        this.status.removeAttribute('role');
        if (first) {
          this.include.value = plan.include.join(' ');
          this.exclude.value = plan.exclude.join(' ');
        }
        setText(this.status, `Commit ${shortCommit(plan.commit)}${plan.license ? ` · license ${plan.license}` : ''} · ${plan.files.length} files`);
        replaceChildren(this.badges, [
          plan.gated ? h('span', { className: 'badge gated' }, [icon('lock'), ' Gated']) : null,
          plan.private ? h('span', { className: 'badge private' }, [icon('eye-closed'), ' Private']) : null,
          plan.inCatalog ? h('span', { className: 'badge in-catalog' }, [icon('library'), ' Already in catalog']) : null,
        ]);
        this.body.hidden = false;
        this.applyPatterns();
        this.tree.layout();
      },
      (err: unknown) => {
        if (isCancelledError(err) || this.inFlight !== controller) return;
        this.inFlight = undefined;
        this.element.removeAttribute('aria-busy');
        const message = err instanceof Error ? err.message : String(err);
        setText(this.status, message);
        this.status.setAttribute('role', 'alert');
        // Forget the previous plan: Start must never download a revision other than the one shown.
        this.plan = undefined;
        this.rows = [];
        this.tree.setCount(0);
        setText(this.summaryLine, '');
        setText(this.spaceLine, '');
        this.body.hidden = false; // the revision field stays, so a typo can be fixed
        this.startButton.disabled = true;
      },
    );
  }

  private applyPatterns(): void {
    const plan = this.plan;
    if (!plan) return;
    const include = parsePatterns(this.include.value);
    const exclude = parsePatterns(this.exclude.value);
    const { root, summary } = buildTree(plan.files, compilePatterns({ include, exclude }));
    this.root = root;
    this.summary = summary;
    if (this.expanded.size === 0 && root.children.length <= 20) {
      for (const child of root.children) if (child.folder) this.expanded.add(child.path);
    }
    this.rows = flattenTree(root, this.expanded);
    this.tree.setCount(this.rows.length);
    setText(
      this.summaryLine,
      `${summary.selectedCount} of ${summary.fileCount} files · ${formatBytes(summary.selectedBytes)} of ${formatBytes(summary.totalBytes)}` +
        (summary.toDownloadBytes !== summary.selectedBytes ? ` · ${formatBytes(summary.toDownloadBytes)} to download (the rest is already cached)` : ''),
    );
    const short = summary.toDownloadBytes > plan.freeBytes;
    setText(this.spaceLine, `${formatBytes(plan.freeBytes)} free on the disk holding ${plan.cacheRoot}${short ? ' — not enough for this download' : ''}`);
    this.spaceLine.classList.toggle('warning', short);
    this.startButton.disabled = this.starting || summary.selectedCount === 0 || short;
  }

  private toggle(index: number): void {
    const node = this.rows[index]?.node;
    if (!node?.folder || !this.root) return;
    if (this.expanded.has(node.path)) this.expanded.delete(node.path);
    else this.expanded.add(node.path);
    this.rows = flattenTree(this.root, this.expanded);
    this.tree.setCount(this.rows.length);
    this.tree.refresh();
  }

  private renderTreeRow(row: HTMLElement, index: number): void {
    const item = this.rows[index];
    if (!item) return;
    const { node, depth } = item;
    row.className = `tree-row${node.selected ? '' : ' excluded'}`;
    const sizeText = node.folder
      ? `${formatBytes(node.selectedBytes)} of ${formatBytes(node.size)} · ${node.selectedCount}/${node.fileCount} files`
      : formatBytes(node.size);
    const chevron = node.folder ? icon(item.expanded ? 'chevron-down' : 'chevron-right', 'chevron') : h('span', { className: 'chevron' });
    const kindIcon = icon(node.folder ? 'folder' : 'file');
    const name = h('span', { className: 'tree-name', text: node.name });
    const tags = [h('span', { className: 'tree-size', text: sizeText })];
    if (node.file?.cached) tags.unshift(h('span', { className: 'tag', text: 'cached' }));
    if (!node.selected) tags.unshift(h('span', { className: 'tag', text: 'excluded' }));
    const indent = h('span', { className: 'indent' });
    indent.style.width = `${depth * 16}px`;
    replaceChildren(row, [indent, chevron, kindIcon, name, ...tags]);
    setAttrs(row, {
      'aria-label': `${node.folder ? 'Folder' : 'File'} ${node.path}, ${sizeText}${node.selected ? '' : ', excluded'}`,
      'aria-expanded': node.folder ? String(item.expanded) : null,
      'aria-level': depth + 1,
    });
  }

  private async start(): Promise<void> {
    const plan = this.plan;
    if (!plan || this.starting) return;
    this.starting = true;
    this.startButton.disabled = true;
    try {
      const { entry } = await this.ctx.client.request('download', {
        kind: plan.kind,
        repoId: plan.repoId,
        revision: plan.revision,
        include: parsePatterns(this.include.value),
        exclude: parsePatterns(this.exclude.value),
      });
      this.ctx.notify(`Downloading ${entry.displayName}`);
      this.ctx.showTab('catalog');
    } catch (err) {
      if (!isCancelledError(err)) this.ctx.notify(`Could not start the download: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      this.starting = false;
      this.applyPatterns();
    }
  }
}
