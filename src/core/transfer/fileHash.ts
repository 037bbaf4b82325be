import { createReadStream } from 'node:fs';
import { throwIfAborted } from '../errors';
import { createContentHash } from './prefixHasher';
import type { ExpectedHash } from './types';

/**
 * Whether a file on disk has the expected content hash (sha256, or git's blob sha1 over `size` bytes). Streams the
 * file; a file of another length never matches. Rejects with Cancelled on abort, and with the read error otherwise.
 */
export async function fileHashMatches(file: string, expected: ExpectedHash, size: number, signal?: AbortSignal): Promise<boolean> {
  throwIfAborted(signal);
  const hash = createContentHash(expected, size);
  let length = 0;
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > size) return false;
      hash.update(chunk);
    }
  } catch (err) {
    throwIfAborted(signal);
    throw err;
  } finally {
    stream.destroy();
  }
  return length === size && hash.digest('hex') === expected.hex;
}
