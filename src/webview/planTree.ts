import { compilePatterns, type PathMatcher } from '../core/patterns';
import type { PlanFileRow } from '../shared/protocol';

/** Patterns as the user types them: separated by commas, spaces or new lines. */
export function parsePatterns(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export interface PlanSummary {
  readonly fileCount: number;
  readonly selectedCount: number;
  readonly selectedBytes: number;
  /** Selected bytes not already in the cache. */
  readonly toDownloadBytes: number;
  readonly totalBytes: number;
}

export interface TreeNode {
  readonly name: string;
  /** Folder paths end without a slash; "" is the root. */
  readonly path: string;
  readonly folder: boolean;
  readonly file?: PlanFileRow;
  readonly children: TreeNode[];
  size: number;
  selectedBytes: number;
  selectedCount: number;
  fileCount: number;
  selected: boolean;
}

export interface TreeRow {
  readonly node: TreeNode;
  readonly depth: number;
  readonly expanded: boolean;
}

/** The file tree with, per folder, the bytes and files the patterns keep; sorted folders first, then by name. */
export function buildTree(files: readonly PlanFileRow[], matcher: PathMatcher): { root: TreeNode; summary: PlanSummary } {
  const root = folderNode('', '');
  const folders = new Map<string, TreeNode>([['', root]]);
  let selectedCount = 0;
  let selectedBytes = 0;
  let toDownloadBytes = 0;
  let totalBytes = 0;
  for (const file of files) {
    const selected = matcher(file.path);
    const segments = file.path.split('/');
    let parent = root;
    const chain: TreeNode[] = [root];
    for (let i = 0; i < segments.length - 1; i++) {
      const path = segments.slice(0, i + 1).join('/');
      let folder = folders.get(path);
      if (!folder) {
        folder = folderNode(segments[i] as string, path);
        folders.set(path, folder);
        parent.children.push(folder);
      }
      parent = folder;
      chain.push(folder);
    }
    parent.children.push({
      name: segments[segments.length - 1] as string,
      path: file.path,
      folder: false,
      file,
      children: [],
      size: file.size,
      selectedBytes: selected ? file.size : 0,
      selectedCount: selected ? 1 : 0,
      fileCount: 1,
      selected,
    });
    for (const folder of chain) {
      folder.size += file.size;
      folder.fileCount++;
      if (selected) {
        folder.selectedBytes += file.size;
        folder.selectedCount++;
        folder.selected = true;
      }
    }
    totalBytes += file.size;
    if (selected) {
      selectedCount++;
      selectedBytes += file.size;
      if (!file.cached) toDownloadBytes += file.size;
    }
  }
  sortTree(root);
  return { root, summary: { fileCount: files.length, selectedCount, selectedBytes, toDownloadBytes, totalBytes } };
}

export function summarize(files: readonly PlanFileRow[], include: readonly string[], exclude: readonly string[]): PlanSummary {
  return buildTree(files, compilePatterns({ include, exclude })).summary;
}

/** The rows a tree shows with these folders open (the root itself is not a row). */
export function flattenTree(root: TreeNode, expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (node: TreeNode, depth: number): void => {
    for (const child of node.children) {
      const open = child.folder && expanded.has(child.path);
      rows.push({ node: child, depth, expanded: open });
      if (open) walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return rows;
}

function folderNode(name: string, path: string): TreeNode {
  return { name, path, folder: true, children: [], size: 0, selectedBytes: 0, selectedCount: 0, fileCount: 0, selected: false };
}

function sortTree(node: TreeNode): void {
  node.children.sort((a, b) => (a.folder !== b.folder ? (a.folder ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const child of node.children) if (child.folder) sortTree(child);
}
