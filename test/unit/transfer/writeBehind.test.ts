import { describe, expect, it } from 'vitest';
import { WriteBehind } from '../../../src/core/transfer/writeBehind';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('WriteBehind', () => {
  it('writes chunks at consecutive positions, batching what arrives during a write', async () => {
    const writes: Array<[number, string]> = [];
    const gates: Array<ReturnType<typeof deferred>> = [];
    const writer = new WriteBehind(100, async (position, chunks, bytes) => {
      expect(bytes).toBe(chunks.reduce((sum, c) => sum + c.length, 0));
      writes.push([position, Buffer.concat(chunks).toString()]);
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
    }, 1024);
    await writer.push(Buffer.from('ab')); // starts a write at once
    await writer.push(Buffer.from('cd')); // queued while the first write is in flight
    await writer.push(Buffer.from('ef'));
    expect(writes).toEqual([[100, 'ab']]);
    gates[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[100, 'ab'], [102, 'cdef']]); // one write for both queued chunks
    gates[1]!.resolve();
    await writer.flush();
    expect(writes).toHaveLength(2);
  });

  it('makes push wait once too much is queued (backpressure)', async () => {
    const gate = deferred();
    let calls = 0;
    const writer = new WriteBehind(0, async () => {
      calls++;
      if (calls === 1) await gate.promise;
    }, 10);
    await writer.push(Buffer.alloc(4)); // in flight
    let returned = false;
    const blocked = writer.push(Buffer.alloc(12)).then(() => (returned = true));
    await new Promise((r) => setImmediate(r));
    expect(returned).toBe(false);
    gate.resolve();
    await blocked;
    expect(returned).toBe(true);
    await writer.flush();
  });

  it('reports a write failure on the next push, on flush and from settle', async () => {
    const failure = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const writer = new WriteBehind(0, async () => {
      throw failure;
    }, 1024);
    await writer.push(Buffer.alloc(1));
    await expect(writer.flush()).rejects.toBe(failure);
    await expect(writer.push(Buffer.alloc(1))).rejects.toBe(failure);
    await expect(writer.settle()).resolves.toBe(failure);
  });
});
