import * as vscode from 'vscode';
import type { CacheInventory, InventoryRepo, InventoryRevision } from '../core/cacheInventory';
import { describeError, isCancellation } from '../core/errors';
import type { RenderedRow } from './entryTree';
import { CACHE_SORT_LABELS, filterRepos, headerText, partialItem, partialsItem, repoItem, repoKey, revisionItem, sortRepos, type CacheItemModel, type CacheSort } from './cacheView';
import { DisposableStore } from './lifecycle';
import { toTreeItem } from './treeItem';
import type { StudioHost } from './studioHost';

export type CacheNode =
  | { readonly type: 'cacheRepo'; readonly key: string }
  | { readonly type: 'cacheRevision'; readonly key: string; readonly commit: string }
  | { readonly type: 'cachePartials'; readonly key: string }
  | { readonly type: 'cachePartial'; readonly key: string; readonly path: string };

/** Repaints while a scan streams repos in: often enough to watch it fill, rarely enough to stay cheap. */
const STREAM_REPAINT_MS = 300;
/** After the catalog or a cleanup changed the cache, wait this long for more changes before reading it again. */
const RESCAN_DELAY_MS = 1_500;

export interface CacheTreeState {
  readonly sort: CacheSort;
  readonly filter: string;
}

/**
 * The Cache view: every repo in the Hugging Face cache — whoever put it there — with its revisions, who holds each, and
 * its partial downloads. The cache is read when the view is first shown and again after anything changes it (a
 * download finishes, a delete's cleanup ends, Refresh); repos appear as they are read, so a cache of a thousand repos
 * shows its first screen long before the scan ends.
 */
export class CacheTreeProvider extends DisposableStore implements vscode.TreeDataProvider<CacheNode> {
  private readonly changed = this.register(new vscode.EventEmitter<CacheNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  private inventory: CacheInventory | undefined;
  /** Repos of the scan in progress, by key, until it ends. */
  private streaming: Map<string, InventoryRepo> | undefined;
  private scanning: AbortController | undefined;
  private scanDone: Promise<void> | undefined;
  private stale = true;
  private repaint: ReturnType<typeof setTimeout> | undefined;
  private rescan: ReturnType<typeof setTimeout> | undefined;
  private view: vscode.TreeView<CacheNode> | undefined;
  private viewId: string | undefined;
  private readonly nodes = new Map<string, CacheNode>();

  constructor(
    private readonly host: StudioHost,
    private state: CacheTreeState,
    private readonly onStateChange: (state: CacheTreeState) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(host.onDidChangeEntry((change) => {
      // Who holds what changed, or files landed: read again soon (progress ticks alone do not count).
      if (change.kind !== 'entry-updated' || this.host.current?.catalog.getEntry(change.entryId)?.status === 'ready') this.scheduleRescan();
    }));
    this.register(host.onDidChangeCleanup(({ running }) => running === 0 && this.scheduleRescan()));
    this.register(host.onDidOpen(() => this.scheduleRescan()));
    this.register({
      dispose: () => {
        this.scanning?.abort();
        if (this.repaint) clearTimeout(this.repaint);
        if (this.rescan) clearTimeout(this.rescan);
      },
    });
  }

  attach(view: vscode.TreeView<CacheNode>, viewId: string): void {
    this.view = view;
    this.viewId = viewId;
    this.register(view.onDidChangeVisibility((e) => e.visible && this.stale && void this.refresh()));
    this.updateHeader();
  }

  get current(): CacheInventory | undefined {
    return this.inventory;
  }

  get sort(): CacheSort {
    return this.state.sort;
  }

  get filter(): string {
    return this.state.filter;
  }

  setSort(sort: CacheSort): void {
    this.setState({ ...this.state, sort });
  }

  setFilter(filter: string): void {
    this.setState({ ...this.state, filter: filter.trim() });
  }

  /** Reads the cache again (aborting a scan still running) and resolves once it is read. */
  refresh(): Promise<void> {
    this.scanning?.abort();
    const controller = new AbortController();
    this.scanning = controller;
    this.stale = false;
    this.streaming = new Map();
    const run = (async () => {
      try {
        const studio = await this.host.get();
        const read = (): Promise<CacheInventory> =>
          studio.inventory({
            signal: controller.signal,
            onRepo: (repo, p) => {
              if (controller.signal.aborted) return;
              this.streaming?.set(repoKey(repo), repo);
              this.setMessage(`Reading the cache: ${p.reposDone.toLocaleString('en-US')} of ${p.reposTotal.toLocaleString('en-US')} repos…`);
              this.scheduleRepaint();
            },
          });
        const inventory = this.viewId ? await vscode.window.withProgress({ location: { viewId: this.viewId } }, read) : await read();
        if (controller.signal.aborted) return;
        this.inventory = inventory;
        this.streaming = undefined;
        for (const warning of inventory.warnings) this.log.warn(`Cache: ${warning}`);
        this.setMessage(undefined);
        this.changed.fire(undefined);
      } catch (err) {
        if (controller.signal.aborted || isCancellation(err)) return;
        this.streaming = undefined;
        this.stale = true;
        this.log.error(`Reading the cache: ${describeError(err)}`);
        this.setMessage(`The cache could not be read: ${describeError(err)}`);
      } finally {
        if (this.scanning === controller) this.scanning = undefined;
        this.updateHeader();
      }
    })();
    this.scanDone = run;
    return run;
  }

  /** Resolves once the scan running now (if any) has ended. */
  async whenScanned(): Promise<void> {
    await this.scanDone;
  }

  getChildren(element?: CacheNode): CacheNode[] {
    if (!element) {
      if (!this.inventory && !this.streaming && !this.scanning) void this.refresh();
      const repos = filterRepos(this.repos(), this.state.filter);
      return sortRepos(repos, this.state.sort).map((r) => this.node({ type: 'cacheRepo', key: repoKey(r) }));
    }
    const repo = this.repo(element.key);
    if (!repo) return [];
    if (element.type === 'cacheRepo') {
      const revisions = repo.revisions.map((r) => this.node({ type: 'cacheRevision', key: element.key, commit: r.commit }));
      return repo.partials.length > 0 ? [...revisions, this.node({ type: 'cachePartials', key: element.key })] : revisions;
    }
    if (element.type === 'cachePartials') return repo.partials.map((p) => this.node({ type: 'cachePartial', key: element.key, path: p.path }));
    return [];
  }

  getTreeItem(node: CacheNode): vscode.TreeItem {
    const model = this.model(node);
    return model ? toTreeItem(model) : new vscode.TreeItem('(gone)');
  }

  getParent(node: CacheNode): CacheNode | undefined {
    if (node.type === 'cacheRepo') return undefined;
    if (node.type === 'cachePartial') return this.node({ type: 'cachePartials', key: node.key });
    return this.node({ type: 'cacheRepo', key: node.key });
  }

  repo(key: string): InventoryRepo | undefined {
    return this.streaming?.get(key) ?? this.inventory?.repos.find((r) => repoKey(r) === key);
  }

  revisionOf(node: CacheNode): { repo: InventoryRepo; revision: InventoryRevision } | undefined {
    if (node.type !== 'cacheRevision') return undefined;
    const repo = this.repo(node.key);
    const revision = repo?.revisions.find((r) => r.commit === node.commit);
    return repo && revision ? { repo, revision } : undefined;
  }

  /** Rows as VS Code gets them, two levels deep (for the integration tests' probe). */
  render(): RenderedRow[] {
    const row = (node: CacheNode, children: RenderedRow[]): RenderedRow => {
      const m = this.model(node);
      return { id: m?.id ?? '', label: m?.label ?? '', description: m?.description ?? '', contextValue: m?.contextValue ?? '', icon: m?.icon.id, tooltip: m?.tooltip ?? '', children };
    };
    return this.getChildren().map((repo) => row(repo, this.getChildren(repo).map((child) => row(child, []))));
  }

  private repos(): InventoryRepo[] {
    if (!this.streaming) return [...(this.inventory?.repos ?? [])];
    // While a new scan streams in, what it has not reached yet still shows as last read.
    const merged = new Map((this.inventory?.repos ?? []).map((r) => [repoKey(r), r]));
    for (const [key, repo] of this.streaming) merged.set(key, repo);
    return [...merged.values()];
  }

  private model(node: CacheNode): CacheItemModel | undefined {
    const repo = this.repo(node.key);
    if (!repo) return undefined;
    switch (node.type) {
      case 'cacheRepo':
        return repoItem(repo);
      case 'cacheRevision': {
        const revision = repo.revisions.find((r) => r.commit === node.commit);
        return revision ? revisionItem(repo, revision) : undefined;
      }
      case 'cachePartials':
        return partialsItem(repo);
      case 'cachePartial': {
        const partial = repo.partials.find((p) => p.path === node.path);
        return partial ? partialItem(repo, partial) : undefined;
      }
    }
  }

  /** One node object per row, so VS Code keeps selection and expansion across repaints. */
  private node<T extends CacheNode>(node: T): T {
    const id = JSON.stringify(node);
    const known = this.nodes.get(id);
    if (known) return known as T;
    this.nodes.set(id, node);
    return node;
  }

  private setState(state: CacheTreeState): void {
    this.state = state;
    this.onStateChange(state);
    void vscode.commands.executeCommand('setContext', 'mistudio.cacheFiltered', state.filter !== '');
    this.updateHeader();
    this.changed.fire(undefined);
  }

  private scheduleRepaint(): void {
    if (this.repaint) return;
    this.repaint = setTimeout(() => {
      this.repaint = undefined;
      this.changed.fire(undefined);
    }, STREAM_REPAINT_MS);
  }

  private scheduleRescan(): void {
    this.stale = true;
    if (!this.view?.visible) return;
    if (this.rescan) clearTimeout(this.rescan);
    this.rescan = setTimeout(() => {
      this.rescan = undefined;
      void this.refresh();
    }, RESCAN_DELAY_MS);
  }

  private setMessage(message: string | undefined): void {
    if (!this.view) return;
    const filter = this.state.filter ? `Showing repos matching "${this.state.filter}"` : undefined;
    this.view.message = message ?? filter;
  }

  private updateHeader(): void {
    if (!this.view) return;
    const sortNote = this.state.sort === 'size' ? '' : ` · by ${CACHE_SORT_LABELS[this.state.sort].toLowerCase()}`;
    this.view.description = this.inventory ? `${headerText(this.inventory)}${sortNote}` : undefined;
    if (!this.scanning) this.setMessage(undefined);
  }
}
