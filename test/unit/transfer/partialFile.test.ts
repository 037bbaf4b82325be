import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { afterWritten, openPartialFile } from '../../../src/core/transfer/partialFile';

describe('openPartialFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-partial-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writev puts many chunks back to back at a position, around bytes already there', async () => {
    const file = await openPartialFile(path.join(dir, 'x.incomplete'), 'keep');
    try {
      await file.write(Buffer.from('0123456789'), 0);
      const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000 + i, 97 + (i % 26)));
      await file.writev!(chunks, 4);
      const expected = Buffer.concat([Buffer.from('0123'), ...chunks]);
      expect(await file.size()).toBe(expected.length);
      const back = Buffer.alloc(expected.length);
      expect(await file.read(back, 0)).toBe(expected.length);
      expect(back.equals(expected)).toBe(true);
    } finally {
      await file.close();
    }
  });

  it("'empty' opens a file an earlier run left as empty, 'keep' as it is", async () => {
    const leftover = path.join(dir, 'left.incomplete');
    fs.writeFileSync(leftover, 'bytes from an earlier run');
    const kept = await openPartialFile(leftover, 'keep');
    expect(await kept.size()).toBe(25);
    await kept.close();
    const emptied = await openPartialFile(leftover, 'empty');
    expect(await emptied.size()).toBe(0);
    await emptied.close();
    const created = await openPartialFile(path.join(dir, 'new.incomplete'), 'empty');
    expect(await created.size()).toBe(0);
    await created.close();
  });

  it('writev of subarrays writes only their bytes', async () => {
    const file = await openPartialFile(path.join(dir, 'y.incomplete'), 'keep');
    try {
      const big = Buffer.from('abcdefghijklmnopqrstuvwxyz');
      await file.writev!([big.subarray(2, 5), big.subarray(20)], 0);
      const back = Buffer.alloc(9);
      expect(await file.read(back, 0)).toBe(9);
      expect(back.toString()).toBe('cdeuvwxyz');
    } finally {
      await file.close();
    }
  });
});

describe('afterWritten (what a short writev leaves)', () => {
  const chunks = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fghi')];
  const text = (rest: readonly Uint8Array[]): string => Buffer.concat(rest).toString();
  it('drops whole chunks and cuts into the first one still pending', () => {
    expect(text(afterWritten(chunks, 0))).toBe('abcdefghi');
    expect(text(afterWritten(chunks, 2))).toBe('cdefghi');
    expect(text(afterWritten(chunks, 3))).toBe('defghi');
    expect(text(afterWritten(chunks, 6))).toBe('ghi');
    expect(afterWritten(chunks, 9)).toEqual([]);
    expect(text(chunks)).toBe('abcdefghi');
  });
});
