import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PrefixHasher } from '../../../src/core/transfer/prefixHasher';
import { RangeSet } from '../../../src/core/transfer/ranges';
import { MemoryFile, gitSha1Of, sha256Of } from './helpers';

function content(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/** Lands `chunks` (offset, length) in the given order, as parallel parts would. */
async function landAll(hasher: PrefixHasher, file: MemoryFile, done: RangeSet, data: Buffer, chunks: Array<[number, number]>): Promise<void> {
  for (const [offset, length] of chunks) {
    const chunk = data.subarray(offset, offset + length);
    await file.write(chunk, offset);
    done.add(offset, offset + length);
    hasher.landed(offset, chunk);
  }
}

describe('PrefixHasher', () => {
  const data = content(5 * 1024 * 1024 + 123);

  it('hashes in-order chunks from memory without reading the file', async () => {
    const file = new MemoryFile();
    let reads = 0;
    const read = file.read.bind(file);
    file.read = async (into, position) => {
      reads++;
      return read(into, position);
    };
    const done = new RangeSet();
    const hasher = new PrefixHasher(sha256Of(data), data.length, file, done);
    const chunks: Array<[number, number]> = [];
    for (let offset = 0; offset < data.length; offset += 65_536) chunks.push([offset, Math.min(65_536, data.length - offset)]);
    await landAll(hasher, file, done, data, chunks);
    await hasher.settle();
    expect(reads).toBe(0);
    expect(hasher.hashedBytes).toBe(data.length);
    expect(hasher.digestHex()).toBe(sha256Of(data).hex);
  });

  it('gets the same digest when parts land out of order (reading ahead parts back)', async () => {
    const file = new MemoryFile();
    const done = new RangeSet();
    const hasher = new PrefixHasher(sha256Of(data), data.length, file, done);
    const third = Math.floor(data.length / 3);
    // Interleave three parts, the last ones first, with uneven chunk sizes.
    const chunks: Array<[number, number]> = [];
    for (let i = 0; i < third; i += 100_000) {
      chunks.push([2 * third + i, Math.min(100_000, 3 * third - (2 * third + i))]);
      chunks.push([third + i, Math.min(100_000, 2 * third - (third + i))]);
      chunks.push([i, Math.min(100_000, third - i)]);
    }
    chunks.push([3 * third, data.length - 3 * third]); // the remainder after three equal parts
    await landAll(hasher, file, done, data, chunks.filter(([, l]) => l > 0));
    await hasher.settle();
    expect(done.covers(0, data.length)).toBe(true);
    expect(hasher.hashedBytes).toBe(data.length);
    expect(hasher.digestHex()).toBe(sha256Of(data).hex);
  });

  it('seeds from a kept prefix read back once, then continues from memory (git-sha1)', async () => {
    const file = new MemoryFile();
    const kept = 3 * 1024 * 1024;
    await file.write(data.subarray(0, kept), 0);
    const done = new RangeSet([[0, kept]]);
    const hasher = new PrefixHasher(gitSha1Of(data), data.length, file, done);
    hasher.startCatchUpIfNeeded();
    await hasher.settle();
    expect(hasher.hashedBytes).toBe(kept);
    await landAll(hasher, file, done, data, [[kept, data.length - kept]]);
    await hasher.settle();
    const expected = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
    expect(hasher.digestHex()).toBe(expected);
  });

  it('reset starts over from byte 0', async () => {
    const file = new MemoryFile();
    const done = new RangeSet();
    const hasher = new PrefixHasher(sha256Of(data), data.length, file, done);
    await landAll(hasher, file, done, data, [[0, 1000]]);
    await hasher.reset();
    done.clear();
    await file.truncate(0);
    await landAll(hasher, file, done, data, [[0, data.length]]);
    await hasher.settle();
    expect(hasher.digestHex()).toBe(sha256Of(data).hex);
  });

  it('reports a partial file shorter than its ranges as a failure', async () => {
    const file = new MemoryFile();
    await file.write(data.subarray(0, 10), 0);
    const done = new RangeSet([[0, 1000]]); // claims more than the file holds
    const hasher = new PrefixHasher(sha256Of(data), data.length, file, done);
    hasher.startCatchUpIfNeeded();
    await expect(hasher.settle()).rejects.toThrow(/shorter/);
  });
});
