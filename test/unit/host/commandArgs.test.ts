import { describe, expect, it } from 'vitest';
import { entryIdOf, entryIdsFromArgs, fileArg, parseDeleteOptions, parseDownloadArgs, parsePatternList } from '../../../src/host/commandArgs';

const node = (entryId: string) => ({ type: 'entry' as const, entryId });

describe('entry arguments', () => {
  it('accepts tree nodes, { entryId } and id strings', () => {
    expect(entryIdOf(node('abc-1'))).toBe('abc-1');
    expect(entryIdOf({ entryId: 'abc' })).toBe('abc');
    expect(entryIdOf('abc')).toBe('abc');
  });

  it('refuses anything else', () => {
    for (const bad of [undefined, null, 42, '', 'a/b', '../x', { entryId: 3 }, { id: 'x' }, 'x'.repeat(200)]) expect(entryIdOf(bad)).toBeUndefined();
  });

  it('acts on the selection when the clicked row is part of it', () => {
    expect(entryIdsFromArgs([node('b'), [node('a'), node('b'), node('b')]])).toEqual(['a', 'b']);
  });

  it('acts only on the clicked row when it is outside the selection', () => {
    expect(entryIdsFromArgs([node('c'), [node('a'), node('b')]])).toEqual(['c']);
  });

  it('takes a list of ids from scripts, and nothing from the palette', () => {
    expect(entryIdsFromArgs([['a', 'b', 'a', 7]])).toEqual(['a', 'b']);
    expect(entryIdsFromArgs([])).toEqual([]);
  });

  it('recognises file rows', () => {
    expect(fileArg({ type: 'file', entryId: 'e', path: 'a/b.json' })).toEqual({ type: 'file', entryId: 'e', path: 'a/b.json' });
    expect(fileArg(node('e'))).toBeUndefined();
    expect(fileArg({ type: 'file', entryId: 'e', path: '' })).toBeUndefined();
  });

  it('skips the delete confirmation only when asked explicitly', () => {
    expect(parseDeleteOptions([node('a')])).toEqual({ confirm: true });
    expect(parseDeleteOptions([{ entryId: 'a', confirm: false }])).toEqual({ confirm: false });
    expect(parseDeleteOptions([{ entryId: 'a', confirm: 'no' }])).toEqual({ confirm: true });
  });
});

describe('download arguments', () => {
  it('means "ask" when nothing is passed', () => {
    expect(parseDownloadArgs('model', undefined)).toBeUndefined();
  });

  it('takes a repo id string (and still asks to confirm)', () => {
    expect(parseDownloadArgs('dataset', ' org/data ')).toEqual({ kind: 'dataset', repoId: 'org/data', confirm: true });
  });

  it('takes a full request', () => {
    expect(parseDownloadArgs('model', { repoId: 'org/m', revision: 'v1.0', include: ['*.json '], exclude: ['*.bin'], confirm: false })).toEqual({
      kind: 'model',
      repoId: 'org/m',
      revision: 'v1.0',
      include: ['*.json'],
      exclude: ['*.bin'],
      confirm: false,
    });
  });

  it.each([
    [{ repoId: '../etc' }, /Invalid repo id/],
    [{ repoId: 'a/b/c' }, /Invalid repo id/],
    [{ repoId: 42 }, /repoId must be a string/],
    [{ repoId: 'a/b', revision: '../x' }, /Invalid revision/],
    [{ repoId: 'a/b', revision: 3 }, /revision must be a string/],
    [{ repoId: 'a/b', include: '*.json' }, /include must be a list/],
    [{ repoId: 'a/b', exclude: [''] }, /exclude must be a list/],
    [{ repoId: 'a/b', confirm: 'no' }, /confirm must be true or false/],
    [[1, 2], /expected a repo id/],
  ])('refuses %j', (value, message) => {
    expect(() => parseDownloadArgs('model', value)).toThrow(message);
  });

  it('throws InvalidInput errors', () => {
    try {
      parseDownloadArgs('model', { repoId: 5 });
    } catch (err) {
      expect((err as { code?: string }).code).toBe('InvalidInput');
      return;
    }
    throw new Error('expected a throw');
  });
});

describe('parsePatternList', () => {
  it('splits on commas and spaces and drops empties', () => {
    expect(parsePatternList(' *.safetensors, *.json  tokenizer* ,,')).toEqual(['*.safetensors', '*.json', 'tokenizer*']);
    expect(parsePatternList('   ')).toEqual([]);
  });
});
