import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBodyCapped, readBodyPrefix, readJsonArray } from '../../../src/core/net/boundedBody';
import { JsonArrayError, JsonArrayReader } from '../../../src/core/net/jsonArray';
import { Rng } from '../robustness/helpers';

/** Feeds `text` in the given chunk sizes (cycled) and returns every element, as the reader hands them out. */
function readAll(text: string | Uint8Array, sizes: readonly number[] = [text.length], maxElementBytes = 1 << 20): unknown[] {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const reader = new JsonArrayReader(maxElementBytes);
  const out: unknown[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    out.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  reader.end();
  return out;
}

const SAMPLE = [
  { type: 'file', path: 'a/b "quoted" \\ back\\slash ]}[{,.txt', size: 3, oid: 'x' },
  { type: 'directory', path: 'ü/名前/😀', nested: [[], {}, [1, [2, [3]]], { a: { b: { c: null } } }] },
  'a string with \\" and ] and }',
  -1.5e3,
  true,
  false,
  null,
  0,
  [],
  {},
];

describe('JsonArrayReader', () => {
  it('hands out exactly what JSON.parse makes of the whole array, however the bytes are cut', () => {
    const text = JSON.stringify(SAMPLE, null, 2);
    expect(readAll(text)).toEqual(SAMPLE);
    // Every chunk size from one byte up: UTF-8 sequences, escapes and brackets split at every possible place.
    for (let size = 1; size <= 17; size++) expect(readAll(text, [size])).toEqual(SAMPLE);
    const rng = new Rng(12);
    for (let round = 0; round < 50; round++) {
      expect(readAll(JSON.stringify(SAMPLE), Array.from({ length: 7 }, () => rng.int(1, 40)))).toEqual(SAMPLE);
    }
  });

  it('reads empty arrays, whitespace and a byte order mark', () => {
    expect(readAll('[]')).toEqual([]);
    expect(readAll(' \n\t[ \r\n ] \n')).toEqual([]);
    expect(readAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[1, 2]')]))).toEqual([1, 2]);
    expect(readAll('[1,2 ,3]', [1])).toEqual([1, 2, 3]);
  });

  it('refuses what is not one well-formed array', () => {
    const bad: Array<[string, RegExp]> = [
      ['{"a": 1}', /not a JSON array/],
      ['[1,]', /value is missing/],
      ['[,1]', /value is missing/],
      ['[1 2]', /expected "," or "\]"/],
      ['[1]x', /goes on after/],
      ['[1][2]', /goes on after/],
      ['[1', /without its closing/],
      ['[{"a": 1}', /without its closing/],
      ['[', /without its closing/],
      ['', /without its closing/],
      ['[{"a": 1,}]', /not valid JSON/],
      ['[tru]', /not valid JSON/],
      ['[{"a": "\u0001"}]', /not valid JSON/],
    ];
    for (const [text, message] of bad) expect(() => readAll(text), text).toThrow(message);
    expect(() => readAll(Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]))).toThrow(/not valid UTF-8/);
  });

  it('an element larger than the cap fails at the cap, whether it arrives whole or in pieces', () => {
    const big = JSON.stringify([{ path: 'x'.repeat(5000) }]);
    expect(() => readAll(big, [big.length], 1000)).toThrow(JsonArrayError);
    expect(() => readAll(big, [7], 1000)).toThrow(/larger than 1000 bytes/);
    expect(readAll(big, [7], 10_000)).toEqual([{ path: 'x'.repeat(5000) }]);
  });
});

describe('bounded bodies', () => {
  const stream = (chunks: readonly string[]): ReadableStream<Uint8Array> =>
    new ReadableStream({
      start(controller) {
        for (const c of chunks) controller.enqueue(Buffer.from(c));
        controller.close();
      },
    });
  /** A body that never ends, counting what was pulled from it. */
  const endless = (): { body: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => boolean } => {
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1024;
        controller.enqueue(Buffer.from(`${'{"a":1},'.repeat(128)}`));
      },
      cancel() {
        cancelled = true;
      },
    });
    return { body, pulled: () => pulled, cancelled: () => cancelled };
  };

  it('readBodyCapped: the whole body up to the cap; beyond it, or announced beyond it, an error', async () => {
    expect((await readBodyCapped(stream(['ab', 'cd']), 4)).toString()).toBe('abcd');
    await expect(readBodyCapped(stream(['ab', 'cde']), 4)).rejects.toBeInstanceOf(BodyTooLargeError);
    await expect(readBodyCapped(stream(['ab']), 4, 10)).rejects.toBeInstanceOf(BodyTooLargeError);
    const source = endless();
    await expect(readBodyCapped(source.body, 64 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(source.pulled()).toBeLessThanOrEqual(64 * 1024 + 2048);
    expect(source.cancelled()).toBe(true);
  });

  it('readBodyPrefix: the first bytes only, the rest left unread', async () => {
    expect((await readBodyPrefix(stream(['abc', 'def', 'ghi']), 5)).toString()).toBe('abcde');
    expect((await readBodyPrefix(stream(['ab']), 5)).toString()).toBe('ab');
    const source = endless();
    expect((await readBodyPrefix(source.body, 10)).length).toBe(10);
    expect(source.cancelled()).toBe(true);
  });

  it('readJsonArray: elements as they come; an endless array stops at the byte cap', async () => {
    const seen: unknown[] = [];
    await readJsonArray(stream(['[{"a"', ':1},', '{"b":2}]']), { maxBytes: 100, maxElementBytes: 100 }, (v) => seen.push(v));
    expect(seen).toEqual([{ a: 1 }, { b: 2 }]);
    const source = endless();
    let count = 0;
    const opening = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from('['));
      },
      async pull(controller) {
        const reader = source.body.getReader();
        const { value } = await reader.read();
        reader.releaseLock();
        if (value) controller.enqueue(value);
      },
    });
    await expect(readJsonArray(opening, { maxBytes: 100_000, maxElementBytes: 100 }, () => count++)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(count).toBeGreaterThan(1000);
    expect(source.pulled()).toBeLessThanOrEqual(100_000 + 2048);
  });
});
