import { createHash, type Hash } from 'node:crypto';
import type { PartialFile } from './partialFile';
import type { RangeSet } from './ranges';
import type { ExpectedHash } from './types';

const READ_BACK_CHUNK = 1024 * 1024;

/** A fresh hash of the kind `expected` names; git-sha1 is seeded with the git blob header. */
export function createContentHash(expected: ExpectedHash, size: number): Hash {
  if (expected.algorithm === 'sha256') return createHash('sha256');
  return createHash('sha1').update(`blob ${size}\0`);
}

/**
 * Hashes the file as its contiguous prefix grows, so verification costs no second pass over the finished file.
 * Bytes landing exactly at the hashed frontier are hashed from memory; when the frontier reaches bytes that other
 * parts already wrote further ahead (or bytes kept from an earlier run), they are read back from the file — while
 * the download runs, so from the OS cache. One read-back loop at a time keeps the hash updates in file order.
 */
export class PrefixHasher {
  private hash: Hash;
  private frontier = 0;
  private catchUp: Promise<void> | undefined;
  private failure: unknown;
  private generation = 0;
  private buffer: Buffer | undefined;

  constructor(
    private readonly expected: ExpectedHash,
    private readonly size: number,
    private readonly file: PartialFile,
    private readonly done: RangeSet,
  ) {
    this.hash = createContentHash(expected, size);
  }

  /** Bytes [0, hashedBytes) are in the hash. */
  get hashedBytes(): number {
    return this.frontier;
  }

  /** Call after `chunks` were written back to back from `position` and added to the done set. */
  landed(position: number, ...chunks: readonly Uint8Array[]): void {
    if (this.catchUp !== undefined) return; // the read-back loop will pick these bytes up from the file
    if (position === this.frontier) {
      for (const chunk of chunks) {
        this.hash.update(chunk);
        this.frontier += chunk.length;
      }
    }
    this.startCatchUpIfNeeded();
  }

  /** Starts hashing whatever the done set already holds at the frontier (e.g. a resumed prefix). */
  startCatchUpIfNeeded(): void {
    if (this.catchUp !== undefined || this.failure !== undefined) return;
    if (this.done.contiguousEnd(this.frontier) <= this.frontier) return;
    const generation = this.generation;
    this.catchUp = this.readBack(generation)
      .catch((err: unknown) => {
        if (generation === this.generation) this.failure = err;
      })
      .finally(() => {
        if (generation !== this.generation) return;
        this.catchUp = undefined;
        // Bytes that landed between the loop's last look and now would otherwise wait for the next chunk.
        this.startCatchUpIfNeeded();
      });
  }

  /** Waits until the hash has caught up with the done set; throws a read-back failure. */
  async settle(): Promise<void> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.catchUp === undefined) this.startCatchUpIfNeeded();
      if (this.catchUp === undefined) return;
      await this.catchUp;
    }
  }

  /** Waits for any read-back to stop, without throwing (before closing the file). */
  async idle(): Promise<void> {
    this.generation++;
    const running = this.catchUp;
    this.catchUp = undefined;
    if (running !== undefined) await running;
  }

  /** Starts over from byte 0 (the partial was truncated). */
  async reset(): Promise<void> {
    await this.idle();
    this.hash = createContentHash(this.expected, this.size);
    this.frontier = 0;
    this.failure = undefined;
  }

  digestHex(): string {
    return this.hash.digest('hex');
  }

  private async readBack(generation: number): Promise<void> {
    this.buffer ??= Buffer.allocUnsafe(READ_BACK_CHUNK);
    for (;;) {
      if (generation !== this.generation) return;
      const end = this.done.contiguousEnd(this.frontier);
      if (end <= this.frontier) return;
      const want = Math.min(end - this.frontier, this.buffer.length);
      const view = this.buffer.subarray(0, want);
      const got = await this.file.read(view, this.frontier);
      if (generation !== this.generation) return;
      if (got < want) throw new Error(`partial file is shorter than its recorded ranges (read ${got} of ${want} bytes)`);
      this.hash.update(view);
      this.frontier += want;
    }
  }
}
