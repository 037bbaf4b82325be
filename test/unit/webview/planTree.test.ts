import { describe, expect, it } from 'vitest';
import { compilePatterns } from '../../../src/core/patterns';
import type { PlanFileRow } from '../../../src/shared/protocol';
import { buildTree, flattenTree, parsePatterns, summarize } from '../../../src/webview/planTree';

const files: PlanFileRow[] = [
  { path: 'config.json', size: 100, cached: false },
  { path: 'model.safetensors', size: 10_000, cached: true },
  { path: 'original/params.json', size: 50, cached: false },
  { path: 'original/consolidated.00.pth', size: 20_000, cached: false },
  { path: 'tokenizer/tokenizer.json', size: 500, cached: false },
  { path: 'README.md', size: 10, cached: false },
];

describe('parsePatterns', () => {
  it('splits on spaces, commas and new lines and drops blanks', () => {
    expect(parsePatterns(' *.json, *.safetensors\noriginal/  ,, ')).toEqual(['*.json', '*.safetensors', 'original/']);
    expect(parsePatterns('')).toEqual([]);
  });
});

describe('plan totals', () => {
  it('counts everything without patterns, and what is left to download', () => {
    expect(summarize(files, [], [])).toEqual({ fileCount: 6, selectedCount: 6, selectedBytes: 30_660, toDownloadBytes: 20_660, totalBytes: 30_660 });
  });

  it('applies include then exclude with the same fnmatch rules as hf download', () => {
    // fnmatch: "*" crosses "/", so *.json also keeps original/params.json and tokenizer/tokenizer.json.
    expect(summarize(files, ['*.json'], [])).toMatchObject({ selectedCount: 3, selectedBytes: 650 });
    expect(summarize(files, ['*.json'], ['original/'])).toMatchObject({ selectedCount: 2, selectedBytes: 600 });
    expect(summarize(files, [], ['*.pth', '*.md'])).toMatchObject({ selectedCount: 4, selectedBytes: 10_650, toDownloadBytes: 650 });
    expect(summarize(files, ['*.JSON'], [])).toMatchObject({ selectedCount: 0, selectedBytes: 0 });
  });
});

describe('file tree', () => {
  it('nests folders first, sums sizes per folder and marks what the patterns keep', () => {
    const { root } = buildTree(files, compilePatterns({ include: ['*.json'] }));
    expect(root.children.map((c) => c.name)).toEqual(['original', 'tokenizer', 'README.md', 'config.json', 'model.safetensors']);
    const original = root.children[0];
    expect(original).toMatchObject({ folder: true, size: 20_050, selectedBytes: 50, selectedCount: 1, fileCount: 2, selected: true });
    expect(root.children.find((c) => c.name === 'model.safetensors')?.selected).toBe(false);
  });

  it('flattens only the open folders, with their depth', () => {
    const { root } = buildTree(files, () => true);
    expect(flattenTree(root, new Set()).map((r) => r.node.path)).toEqual(['original', 'tokenizer', 'README.md', 'config.json', 'model.safetensors']);
    const open = flattenTree(root, new Set(['original']));
    expect(open.map((r) => [r.node.path, r.depth, r.expanded])).toEqual([
      ['original', 0, true],
      ['original/consolidated.00.pth', 1, false],
      ['original/params.json', 1, false],
      ['tokenizer', 0, false],
      ['README.md', 0, false],
      ['config.json', 0, false],
      ['model.safetensors', 0, false],
    ]);
  });
});
