import { constants, promises as fs } from 'node:fs';

/**
 * The partial file as the engine sees it: positional writes from parallel parts, positional reads for hashing.
 * An interface so tests can inject ENOSPC or slow disks without a real tiny file system.
 */
export interface PartialFile {
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Writes `chunks` back to back from `position` in as few calls as it can (optional: else one `write` of their concatenation). */
  writev?(chunks: readonly Uint8Array[], position: number): Promise<void>;
  /** Reads up to `into.length` bytes at `position`; returns how many were read (fewer only at end of file). */
  read(into: Uint8Array, position: number): Promise<number>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * 'keep': the file as it is (its bytes may be resumed). 'empty': the caller keeps none of its bytes, and the opener
 * must return it empty — a fresh download then needs no look at what an earlier run left.
 */
export type PartialStart = 'keep' | 'empty';

export type OpenPartialFile = (path: string, start: PartialStart) => Promise<PartialFile>;

/** Opens (creating if needed) a partial file for positional reads and writes, emptied for 'empty'. */
export const openPartialFile: OpenPartialFile = async (path, start) => {
  // Not 'a'/'a+': on Linux, append mode ignores the write position.
  const handle = await fs.open(path, constants.O_RDWR | constants.O_CREAT | (start === 'empty' ? constants.O_TRUNC : 0), 0o644);
  return new FilePartial(handle);
};

class FilePartial implements PartialFile {
  private closed = false;

  constructor(private readonly handle: fs.FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset, position + offset);
      offset += bytesWritten;
    }
  }

  async writev(chunks: readonly Uint8Array[], position: number): Promise<void> {
    let pending = chunks;
    let at = position;
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending as Uint8Array[], at);
      at += bytesWritten;
      pending = afterWritten(pending, bytesWritten);
    }
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    let filled = 0;
    while (filled < into.length) {
      const { bytesRead } = await this.handle.read(into, filled, into.length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async truncate(length: number): Promise<void> {
    await this.handle.truncate(length);
  }

  async sync(): Promise<void> {
    await this.handle.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** What is left of `chunks` once the first `written` bytes are on disk (a short writev is rare, but legal). */
export function afterWritten(chunks: readonly Uint8Array[], written: number): readonly Uint8Array[] {
  let skip = written;
  let index = 0;
  while (index < chunks.length && skip >= chunks[index]!.length) {
    skip -= chunks[index]!.length;
    index++;
  }
  if (index === chunks.length) return [];
  const rest = chunks.slice(index);
  if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}
