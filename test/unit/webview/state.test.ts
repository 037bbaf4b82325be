import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, restoreState } from '../../../src/webview/state';

describe('restoreState', () => {
  it('keeps a valid saved state', () => {
    const saved = {
      version: 1,
      tab: 'cache',
      page: { type: 'plan', kind: 'dataset', repoId: 'org/data', revision: 'v1' },
      catalog: { text: 'gpt', kind: 'model', statuses: ['ready', 'error'], sort: 'size', direction: 'desc' },
      hub: { kind: 'dataset', text: 'pile', sort: 'likes' },
      cache: { sort: 'lastUsed', filter: 'gemma 2b' },
    };
    expect(restoreState(structuredClone(saved))).toEqual(saved);
  });

  it('falls back to defaults for nothing, garbage or a damaged state, field by field', () => {
    for (const raw of [undefined, null, 42, 'x', [], {}]) expect(restoreState(raw)).toEqual(DEFAULT_STATE);
    const restored = restoreState({
      tab: 'settings',
      page: { type: 'detail', entryId: 5 },
      catalog: { text: 'x'.repeat(1000), kind: 'robot', statuses: ['ready', 'exploded'], sort: 'random', direction: 'up' },
      hub: { kind: 'space', text: 7, sort: 'trending' },
      cache: { sort: 'random', filter: 'y'.repeat(500) },
    });
    expect(restoreState(restored)).toEqual(restored);
    expect(restored).toEqual({
      version: 1,
      tab: 'catalog',
      page: null,
      catalog: { text: 'x'.repeat(200), kind: 'all', statuses: ['ready'], sort: 'name', direction: 'asc' },
      hub: { kind: 'model', text: '', sort: 'downloads' },
      cache: { sort: 'size', filter: 'y'.repeat(200) },
    });
  });
});
