import { describe, expect, it } from 'vitest';
import { compilePathGlob } from '../../../src/core/glob/pathGlob';

// data_files globs as `datasets` resolves them (fsspec glob = Python 3.13 glob.translate, recursive, hidden files in).
// Expected answers follow glob.translate's regex for each pattern, worked out by hand (no fsspec on the test machines).
const PATHS = [
  'train.parquet',
  'data/train-00000.parquet',
  'data/train-00001.parquet',
  'data/test-00000.parquet',
  'data/sub/train-00002.parquet',
  'data/.hidden/train-x.parquet',
  'data/',
  'data',
  'a/b/c/d.parquet',
  'a/d.parquet',
  'x.json',
];

const CASES: ReadonlyArray<[string, string[]]> = [
  ['data/train-*', ['data/train-00000.parquet', 'data/train-00001.parquet']],
  ['data/*', ['data/train-00000.parquet', 'data/train-00001.parquet', 'data/test-00000.parquet']],
  ['*.parquet', ['train.parquet']],
  ['**/*.parquet', ['train.parquet', 'data/train-00000.parquet', 'data/train-00001.parquet', 'data/test-00000.parquet', 'data/sub/train-00002.parquet', 'data/.hidden/train-x.parquet', 'a/b/c/d.parquet', 'a/d.parquet']],
  ['data/**', ['data/train-00000.parquet', 'data/train-00001.parquet', 'data/test-00000.parquet', 'data/sub/train-00002.parquet', 'data/.hidden/train-x.parquet', 'data/']],
  ['data/**/train-*', ['data/train-00000.parquet', 'data/train-00001.parquet', 'data/sub/train-00002.parquet', 'data/.hidden/train-x.parquet']],
  ['a/**/d.parquet', ['a/b/c/d.parquet', 'a/d.parquet']],
  ['*/d.parquet', ['a/d.parquet']],
  ['data/train-0000?.parquet', ['data/train-00000.parquet', 'data/train-00001.parquet']],
  ['data/[!t]*', []],
  ['data/t[a-e]st-*', ['data/test-00000.parquet']],
  ['data/train**', ['data/train-00000.parquet', 'data/train-00001.parquet']],
  ['data', ['data']],
];

describe('data_files path globs', () => {
  for (const [pattern, expected] of CASES) {
    it(pattern, () => {
      const glob = compilePathGlob(pattern);
      expect(PATHS.filter((p) => glob.matches(p))).toEqual(expected);
    });
  }

  it('a set never matches the folder separator', () => {
    expect(compilePathGlob('a[!x]b').matches('a/b')).toBe(false);
    expect(compilePathGlob('a[!x]b').matches('a-b')).toBe(true);
  });
});
