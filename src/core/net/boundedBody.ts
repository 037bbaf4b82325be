import { JsonArrayReader } from './jsonArray';

/**
 * Reading a response body without trusting its server: never more than a cap into memory, whatever Content-Length
 * says or does not say (an endless body stops at the cap, not at the heap's end). The caller's deadline is the
 * signal the request was made with; it ends a body that trickles.
 */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
  }
}

type Body = ReadableStream<Uint8Array> | null;

/** The whole body, at most `maxBytes` of it; BodyTooLargeError beyond. */
export async function readBodyCapped(body: Body, maxBytes: number, declaredLength?: number): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > maxBytes) {
    await body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  await forEachChunk(body, (chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(chunk);
  });
  return Buffer.concat(chunks, total);
}

/**
 * The first `maxBytes` of the body (fewer if it is shorter); the rest is not read and the body is closed. For a
 * Range request a server may ignore: its 200 carries the whole file, of which only the start is wanted.
 */
export async function readBodyPrefix(body: Body, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  await forEachChunk(body, (chunk) => {
    const take = Math.min(chunk.length, maxBytes - total);
    if (take > 0) chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
    total += take;
    return total >= maxBytes;
  });
  return Buffer.concat(chunks, total);
}

/**
 * A JSON array body, element by element as bytes arrive (net/jsonArray.ts): `onElement` sees each one parsed; the
 * body may not exceed `maxBytes` in all nor `maxElementBytes` for one element.
 */
export async function readJsonArray(body: Body, limits: { maxBytes: number; maxElementBytes: number }, onElement: (value: unknown) => void): Promise<void> {
  const reader = new JsonArrayReader(limits.maxElementBytes);
  let total = 0;
  await forEachChunk(body, (chunk) => {
    total += chunk.length;
    if (total > limits.maxBytes) throw new BodyTooLargeError(limits.maxBytes);
    for (const value of reader.push(chunk)) onElement(value);
  });
  reader.end();
}

/** Feeds every chunk to `take` until the body ends or `take` returns true; the body is closed either way. */
async function forEachChunk(body: Body, take: (chunk: Uint8Array) => boolean | void): Promise<void> {
  if (body === null) return;
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      if (take(value) === true) return;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
