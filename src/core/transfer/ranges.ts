import type { ByteRange } from './types';

/** A sorted set of disjoint, non-adjacent half-open byte ranges: what is safely in the partial file. */
export class RangeSet {
  private ranges: ByteRange[] = [];
  private covered = 0;

  constructor(initial: Iterable<readonly [number, number]> = []) {
    for (const [start, end] of initial) this.add(start, end);
  }

  get coveredBytes(): number {
    return this.covered;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** Adds [start, end); returns how many bytes were not covered before. */
  add(start: number, end: number): number {
    if (end <= start) return 0;
    // Hot path, once per received chunk: the chunk extends a range without reaching the next one.
    for (let i = 0; i < this.ranges.length; i++) {
      const range = this.ranges[i]!;
      if (range[1] !== start) continue;
      const next = this.ranges[i + 1];
      if (next !== undefined && next[0] <= end) break;
      range[1] = end;
      this.covered += end - start;
      return end - start;
    }
    // Ranges are few (one per part), so a linear merge is simpler and fast enough.
    const merged: ByteRange[] = [];
    let newStart = start;
    let newEnd = end;
    let overlap = 0;
    let inserted = false;
    for (const range of this.ranges) {
      const [s, e] = range;
      if (e < newStart) {
        merged.push(range);
      } else if (s > newEnd) {
        if (!inserted) merged.push([newStart, newEnd]);
        inserted = true;
        merged.push(range);
      } else {
        overlap += Math.max(0, Math.min(e, end) - Math.max(s, start));
        newStart = Math.min(newStart, s);
        newEnd = Math.max(newEnd, e);
      }
    }
    if (!inserted) merged.push([newStart, newEnd]);
    this.ranges = merged;
    const added = end - start - overlap;
    this.covered += added;
    return added;
  }

  /** The end of the covered run that contains (or starts at) `from`; `from` itself when nothing covers it. */
  contiguousEnd(from: number): number {
    for (const [s, e] of this.ranges) {
      if (s <= from && from <= e) return e;
      if (s > from) break;
    }
    return from;
  }

  covers(start: number, end: number): boolean {
    return this.contiguousEnd(start) >= end;
  }

  /** The gaps in [0, size). */
  missing(size: number): ByteRange[] {
    const gaps: ByteRange[] = [];
    let cursor = 0;
    for (const [s, e] of this.ranges) {
      if (s >= size) break;
      if (s > cursor) gaps.push([cursor, s]);
      cursor = Math.max(cursor, e);
    }
    if (cursor < size) gaps.push([cursor, size]);
    return gaps;
  }

  toArray(): ByteRange[] {
    return this.ranges.map(([s, e]): ByteRange => [s, e]);
  }

  clear(): void {
    this.ranges = [];
    this.covered = 0;
  }
}

/** Ranges a caller claims are done, if they are well-formed and inside [0, size); otherwise undefined. */
export function validRanges(ranges: ReadonlyArray<readonly [number, number]>, size: number): ByteRange[] | undefined {
  const result: ByteRange[] = [];
  for (const range of ranges) {
    const [start, end] = range;
    const ok = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end && end <= size;
    if (!ok) return undefined;
    result.push([start, end]);
  }
  return result;
}

/** Bytes covered by possibly overlapping, possibly malformed ranges (malformed ones count as nothing). */
export function claimedBytes(ranges: ReadonlyArray<readonly [number, number]>): number {
  const set = new RangeSet();
  for (const [start, end] of ranges) {
    if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0) set.add(start, end);
  }
  return set.coveredBytes;
}

/**
 * Splits the gaps into parts for parallel range requests: about `maxParts` pieces of similar size, none below
 * `minPartBytes` unless the gap itself is smaller (a gap is never merged with another: they are not adjacent).
 */
export function planParts(gaps: readonly ByteRange[], maxParts: number, minPartBytes: number): ByteRange[] {
  const total = gaps.reduce((sum, [s, e]) => sum + (e - s), 0);
  if (total === 0) return [];
  const partCount = Math.max(1, Math.min(maxParts, Math.floor(total / minPartBytes)));
  const target = Math.ceil(total / partCount);
  const parts: ByteRange[] = [];
  for (const [start, end] of gaps) {
    const length = end - start;
    const pieces = Math.max(1, Math.min(Math.round(length / target), Math.floor(length / minPartBytes)));
    const pieceSize = Math.ceil(length / pieces);
    for (let s = start; s < end; s += pieceSize) parts.push([s, Math.min(end, s + pieceSize)]);
  }
  return parts;
}
