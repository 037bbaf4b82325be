import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { openPartialFile, type OpenPartialFile, type PartialFile } from '../../../src/core/transfer/partialFile';
import type { ByteRange, ExpectedHash } from '../../../src/core/transfer/types';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function sha256Of(content: Buffer): ExpectedHash {
  return { algorithm: 'sha256', hex: createHash('sha256').update(content).digest('hex') };
}

export function gitSha1Of(content: Buffer): ExpectedHash {
  const hex = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
  return { algorithm: 'git-sha1', hex };
}

/** Records what downloadFile reports, and checks the reports are self-consistent. */
export class Reports {
  readonly deltas: number[] = [];
  readonly checkpoints: ByteRange[][] = [];

  readonly onProgress = (delta: number): void => {
    this.deltas.push(delta);
  };

  readonly onCheckpoint = (ranges: ByteRange[]): void => {
    this.checkpoints.push(ranges);
  };

  get progressSum(): number {
    return this.deltas.reduce((a, b) => a + b, 0);
  }

  get lastCheckpoint(): ByteRange[] | undefined {
    return this.checkpoints.at(-1);
  }

  /** Every checkpoint is sorted, disjoint, non-adjacent and inside [0, size). */
  expectWellFormedCheckpoints(size: number): void {
    for (const ranges of this.checkpoints) {
      let previousEnd = -1;
      for (const [start, end] of ranges) {
        expect(start).toBeGreaterThan(previousEnd);
        expect(end).toBeGreaterThan(start);
        expect(end).toBeLessThanOrEqual(size);
        previousEnd = end;
      }
    }
  }

  /** Without restarts, what a checkpoint holds is never lost by a later one. */
  expectMonotonicCheckpoints(): void {
    for (let i = 1; i < this.checkpoints.length; i++) {
      for (const [start, end] of this.checkpoints[i - 1]!) {
        expect(this.checkpoints[i]!.some(([s, e]) => s <= start && end <= e)).toBe(true);
      }
    }
  }
}

export function coveredBytes(ranges: readonly ByteRange[]): number {
  return ranges.reduce((sum, [s, e]) => sum + (e - s), 0);
}

/** A real partial file whose writes fail with `code` once `allowBytes` bytes have been written. */
export function failingWrites(allowBytes: number, code = 'ENOSPC'): { open: OpenPartialFile; written: () => number } {
  let written = 0;
  const open: OpenPartialFile = async (filePath, start) => {
    const real = await openPartialFile(filePath, start);
    const wrapped: PartialFile = {
      write: async (data, position) => {
        if (written + data.length > allowBytes) {
          throw Object.assign(new Error(`${code}: no space left on device, write`), { code, errno: -28, syscall: 'write' });
        }
        await real.write(data, position);
        written += data.length;
      },
      read: (into, position) => real.read(into, position),
      size: () => real.size(),
      truncate: (length) => real.truncate(length),
      sync: () => real.sync(),
      close: () => real.close(),
    };
    return wrapped;
  };
  return { open, written: () => written };
}

/** A PartialFile in memory, for tests of pieces that only need read/write. */
export class MemoryFile implements PartialFile {
  bytes = Buffer.alloc(0);

  async write(data: Uint8Array, position: number): Promise<void> {
    const end = position + data.length;
    if (end > this.bytes.length) {
      const grown = Buffer.alloc(end);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    Buffer.from(data.buffer, data.byteOffset, data.length).copy(this.bytes, position);
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    const available = Math.max(0, Math.min(into.length, this.bytes.length - position));
    this.bytes.copy(into, 0, position, position + available);
    return available;
  }

  async size(): Promise<number> {
    return this.bytes.length;
  }

  async truncate(length: number): Promise<void> {
    this.bytes = this.bytes.subarray(0, length);
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}
