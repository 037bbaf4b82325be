import { constants, promises as fs } from 'node:fs';

/**
 * The partial file as the engine sees it: positional writes from parallel parts, positional reads for hashing.
 * An interface so tests can inject ENOSPC or slow disks without a real tiny file system.
 */
export interface PartialFile {
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Reads up to `into.length` bytes at `position`; returns how many were read (fewer only at end of file). */
  read(into: Uint8Array, position: number): Promise<number>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenPartialFile = (path: string) => Promise<PartialFile>;

/** Opens (creating if needed, never truncating) a partial file for positional reads and writes. */
export const openPartialFile: OpenPartialFile = async (path) => {
  // Not 'a'/'a+': on Linux, append mode ignores the write position.
  const handle = await fs.open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
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
