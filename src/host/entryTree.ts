import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CatalogEntry, EntryFile } from '../core/catalog';
import { describeError } from '../core/errors';
import type { RepoKind } from '../core/repo';
import type { StudioApi } from '../core/studioTypes';
import type { EntryNode, FileNode, TreeNode } from './commandArgs';
import { entryItem, fileItem } from './entryView';
import { markdown, themeIcon, toTreeItem } from './treeItem';
import { DisposableStore } from './lifecycle';
import type { StudioHost } from './studioHost';

/** A row as VS Code renders it (for the integration tests' probe command). */
export interface RenderedRow {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly contextValue: string;
  readonly icon: string | undefined;
  readonly tooltip: string;
  readonly children: RenderedRow[];
}

/** How often live progress repaints changed rows; the engine emits up to ~10 updates per second per download. */
const REPAINT_MS = 200;

/**
 * The Models or the Datasets view. Rows are updated in place: each entry keeps one node object and a stable id, and a
 * change repaints only the rows it touched (coalesced), so selection, focus and expansion survive live progress.
 */
export class EntryTreeProvider extends DisposableStore implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = this.register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  private readonly entryNodes = new Map<string, EntryNode>();
  private readonly fileNodes = new Map<string, FileNode>();
  /** Each expanded entry's files as last listed, so rendering N file rows is not N catalog queries. */
  private readonly filesByEntry = new Map<string, Map<string, EntryFile>>();
  private readonly dirty = new Set<string>();
  private fullRefresh = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private view: vscode.TreeView<TreeNode> | undefined;

  constructor(
    readonly kind: RepoKind,
    private readonly host: StudioHost,
    private readonly onOpenFailed: (err: unknown) => void,
  ) {
    super();
    this.register(host.onDidChangeEntry((change) => this.onEntryChange(change.kind, change.entryId)));
    this.register(host.onDidProgress(({ entryId }) => this.markDirty(entryId)));
    this.register(host.onDidOpen(() => this.refresh()));
    this.register({ dispose: () => this.timer !== undefined && clearTimeout(this.timer) });
  }

  attach(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
  }

  /** Re-reads every row (Refresh, a reopened engine). */
  refresh(): void {
    this.fullRefresh = true;
    this.schedule();
  }

  /** The node for an entry of this view (for reveal), if the entry exists. */
  nodeFor(entryId: string): EntryNode | undefined {
    const entry = this.host.current?.catalog.getEntry(entryId);
    if (!entry || entry.kind !== this.kind) return undefined;
    return this.entryNode(entryId);
  }

  async getChildren(element?: TreeNode): Promise<TreeNode[]> {
    let studio: StudioApi;
    try {
      studio = await this.host.get();
    } catch (err) {
      this.onOpenFailed(err);
      if (this.view) this.view.message = `The catalog could not be opened: ${describeError(err)}`;
      return [];
    }
    if (this.view?.message) this.view.message = undefined;
    if (!element) {
      const entries = studio.catalog.search({ kind: this.kind, sort: 'name' }).items;
      const live = new Set(entries.map((e) => e.id));
      for (const id of this.entryNodes.keys()) if (!live.has(id)) this.forget(id);
      this.updateBadge(entries);
      return entries.map((e) => this.entryNode(e.id));
    }
    if (element.type === 'entry') {
      const files = studio.files(element.entryId);
      this.filesByEntry.set(element.entryId, new Map(files.map((f) => [f.path, f])));
      return files.map((f) => this.fileNode(element.entryId, f.path));
    }
    return [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const studio = this.host.current;
    const entry = studio?.catalog.getEntry(node.entryId);
    if (!studio || !entry) return new vscode.TreeItem('(removed)');
    return node.type === 'entry' ? this.entryTreeItem(studio, entry) : this.fileTreeItem(studio, entry, node);
  }

  /** The rows and their file rows exactly as getChildren / getTreeItem give them to VS Code. */
  async render(): Promise<RenderedRow[]> {
    const rows: RenderedRow[] = [];
    for (const node of await this.getChildren()) {
      const children = node.type === 'entry' ? await this.getChildren(node) : [];
      rows.push({ ...rendered(this.getTreeItem(node)), children: children.map((c) => ({ ...rendered(this.getTreeItem(c)), children: [] })) });
    }
    return rows;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.type === 'file' ? this.entryNode(node.entryId) : undefined;
  }

  private entryTreeItem(studio: StudioApi, entry: CatalogEntry): vscode.TreeItem {
    return toTreeItem(entryItem(entry, studio.progressOf(entry.id)));
  }

  private fileTreeItem(studio: StudioApi, entry: CatalogEntry, node: FileNode): vscode.TreeItem {
    const file = this.filesByEntry.get(entry.id)?.get(node.path) ?? studio.files(entry.id).find((f) => f.path === node.path);
    if (!file) return new vscode.TreeItem(node.path);
    const model = fileItem(entry, file, (base, rel) => path.join(base, ...rel.split('/')));
    const item = new vscode.TreeItem(model.label, vscode.TreeItemCollapsibleState.None);
    item.id = model.id;
    item.description = model.description;
    item.tooltip = markdown(model.tooltip);
    item.contextValue = model.contextValue;
    if (model.icon) item.iconPath = themeIcon(model.icon);
    if (model.localPath) {
      item.resourceUri = vscode.Uri.file(model.localPath);
      if (!model.icon) item.iconPath = vscode.ThemeIcon.File;
      // Opening a weights file as text would hang the editor; only small text-like files open on click.
      if (isTextLike(file.path) && file.size < 5_000_000) item.command = { command: 'vscode.open', title: 'Open', arguments: [item.resourceUri] };
    }
    return item;
  }

  private onEntryChange(change: 'entry-added' | 'entry-updated' | 'entry-removed', entryId: string): void {
    if (change === 'entry-updated' && this.entryNodes.has(entryId)) {
      this.markDirty(entryId);
      return;
    }
    const entry = this.host.current?.catalog.getEntry(entryId);
    if (change === 'entry-removed' ? this.entryNodes.has(entryId) : entry?.kind === this.kind) this.refresh();
  }

  private markDirty(entryId: string): void {
    if (!this.entryNodes.has(entryId)) return;
    this.dirty.add(entryId);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, REPAINT_MS);
  }

  private flush(): void {
    if (this.fullRefresh) {
      this.fullRefresh = false;
      this.dirty.clear();
      this.changed.fire(undefined);
      return;
    }
    const nodes = [...this.dirty].map((id) => this.entryNodes.get(id)).filter((n): n is EntryNode => n !== undefined);
    this.dirty.clear();
    if (nodes.length > 0) this.changed.fire(nodes);
    const studio = this.host.current;
    if (studio) this.updateBadge(studio.catalog.listEntries({ kind: this.kind }));
  }

  private updateBadge(entries: readonly CatalogEntry[]): void {
    if (!this.view) return;
    const active = entries.filter((e) => e.status === 'downloading' || e.status === 'queued').length;
    const label = this.kind === 'model' ? 'model' : 'dataset';
    this.view.badge = active > 0 ? { value: active, tooltip: `${active} ${label}${active === 1 ? '' : 's'} downloading` } : undefined;
  }

  private entryNode(entryId: string): EntryNode {
    let node = this.entryNodes.get(entryId);
    if (!node) {
      node = { type: 'entry', entryId };
      this.entryNodes.set(entryId, node);
    }
    return node;
  }

  private fileNode(entryId: string, filePath: string): FileNode {
    const key = `${entryId}/${filePath}`;
    let node = this.fileNodes.get(key);
    if (!node) {
      node = { type: 'file', entryId, path: filePath };
      this.fileNodes.set(key, node);
    }
    return node;
  }

  private forget(entryId: string): void {
    this.entryNodes.delete(entryId);
    this.dirty.delete(entryId);
    this.filesByEntry.delete(entryId);
    for (const key of this.fileNodes.keys()) if (key.startsWith(`${entryId}/`)) this.fileNodes.delete(key);
  }
}

function rendered(item: vscode.TreeItem): Omit<RenderedRow, 'children'> {
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : (item.tooltip ?? '');
  return {
    id: item.id ?? '',
    label,
    description: typeof item.description === 'string' ? item.description : '',
    contextValue: item.contextValue ?? '',
    icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined,
    tooltip,
  };
}

const TEXT_LIKE = /\.(json|jsonl|md|txt|yaml|yml|py|cfg|ini|csv|tsv|gitattributes)$|(^|\/)(README|LICENSE)[^/]*$/i;

function isTextLike(filePath: string): boolean {
  return TEXT_LIKE.test(filePath);
}
