import { describe, expect, it } from 'vitest';
import { RangeSet, claimedBytes, planParts, validRanges } from '../../../src/core/transfer/ranges';

describe('RangeSet', () => {
  it('merges overlapping and adjacent ranges and counts only new bytes', () => {
    const set = new RangeSet();
    expect(set.add(10, 20)).toBe(10);
    expect(set.add(30, 40)).toBe(10);
    expect(set.add(20, 30)).toBe(10); // bridges both: adjacent on each side
    expect(set.toArray()).toEqual([[10, 40]]);
    expect(set.add(5, 15)).toBe(5);
    expect(set.add(12, 18)).toBe(0);
    expect(set.toArray()).toEqual([[5, 40]]);
    expect(set.coveredBytes).toBe(35);
  });

  it('keeps separate ranges sorted', () => {
    const set = new RangeSet([
      [50, 60],
      [0, 10],
      [20, 30],
    ]);
    expect(set.toArray()).toEqual([
      [0, 10],
      [20, 30],
      [50, 60],
    ]);
    expect(set.add(25, 55)).toBe(20);
    expect(set.toArray()).toEqual([
      [0, 10],
      [20, 60],
    ]);
  });

  it('answers the contiguous end and the gaps', () => {
    const set = new RangeSet([
      [0, 10],
      [20, 30],
    ]);
    expect(set.contiguousEnd(0)).toBe(10);
    expect(set.contiguousEnd(5)).toBe(10);
    expect(set.contiguousEnd(10)).toBe(10);
    expect(set.contiguousEnd(15)).toBe(15);
    expect(set.contiguousEnd(20)).toBe(30);
    expect(set.covers(0, 10)).toBe(true);
    expect(set.covers(0, 11)).toBe(false);
    expect(set.missing(40)).toEqual([
      [10, 20],
      [30, 40],
    ]);
    expect(new RangeSet().missing(7)).toEqual([[0, 7]]);
    expect(new RangeSet([[0, 7]]).missing(7)).toEqual([]);
  });

  it('ignores empty ranges and clears', () => {
    const set = new RangeSet();
    expect(set.add(5, 5)).toBe(0);
    expect(set.isEmpty).toBe(true);
    set.add(1, 2);
    set.clear();
    expect(set.isEmpty).toBe(true);
    expect(set.coveredBytes).toBe(0);
  });
});

describe('validRanges / claimedBytes', () => {
  it('accepts well-formed ranges inside the file', () => {
    expect(validRanges([[0, 10], [20, 30]], 30)).toEqual([[0, 10], [20, 30]]);
  });
  it('rejects ranges outside the file, reversed, empty or fractional', () => {
    expect(validRanges([[0, 31]], 30)).toBeUndefined();
    expect(validRanges([[10, 5]], 30)).toBeUndefined();
    expect(validRanges([[5, 5]], 30)).toBeUndefined();
    expect(validRanges([[-1, 5]], 30)).toBeUndefined();
    expect(validRanges([[0.5, 5]], 30)).toBeUndefined();
  });
  it('counts claimed bytes without double-counting overlaps', () => {
    expect(claimedBytes([[0, 10], [5, 15]])).toBe(15);
    expect(claimedBytes([])).toBe(0);
  });
});

describe('planParts', () => {
  const MiB = 1024 * 1024;
  const total = (parts: Array<[number, number]>): number => parts.reduce((s, [a, b]) => s + b - a, 0);

  it('uses one part for a file smaller than two minimum parts', () => {
    expect(planParts([[0, 20 * MiB]], 8, 16 * MiB)).toEqual([[0, 20 * MiB]]);
    expect(planParts([[0, 100]], 8, 16 * MiB)).toEqual([[0, 100]]);
  });

  it('splits a large gap into at most maxParts contiguous parts of at least the minimum size', () => {
    const parts = planParts([[0, 1000 * MiB]], 8, 16 * MiB);
    expect(parts).toHaveLength(8);
    expect(total(parts)).toBe(1000 * MiB);
    for (let i = 1; i < parts.length; i++) expect(parts[i]![0]).toBe(parts[i - 1]![1]);
    for (const [a, b] of parts) expect(b - a).toBeGreaterThanOrEqual(16 * MiB);
  });

  it('plans only the gaps, covering each exactly', () => {
    const gaps: Array<[number, number]> = [
      [10 * MiB, 60 * MiB],
      [100 * MiB, 101 * MiB],
      [200 * MiB, 400 * MiB],
    ];
    const parts = planParts(gaps, 4, 16 * MiB);
    expect(total(parts)).toBe(total(gaps));
    for (const [a, b] of parts) expect(gaps.some(([s, e]) => a >= s && b <= e)).toBe(true);
    expect(parts.filter(([a]) => a >= 200 * MiB).length).toBeGreaterThan(1);
  });

  it('returns nothing when nothing is missing', () => {
    expect(planParts([], 8, 1)).toEqual([]);
  });
});
