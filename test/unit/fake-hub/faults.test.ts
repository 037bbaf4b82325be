/** Each fault kind does what tests of the transfer engine rely on. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';

const BIG = seededBytes(300 * 1024, 99);
const SMALL = Buffer.from('{"hello": "world"}\n');
const REPO: FakeRepo = {
  kind: 'model',
  id: 'acme/faulty',
  commits: [{ files: [{ path: 'weights.bin', content: BIG }, { path: 'config.json', content: SMALL }] }],
};

let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({ repos: [REPO] });
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
});
afterAll(async () => {
  await hub.close();
});

const weightsUrl = (): string => `${hub.url}/acme/faulty/resolve/main/weights.bin`;
const configUrl = (): string => `${hub.url}/acme/faulty/resolve/main/config.json`;

async function cdnUrl(): Promise<string> {
  const res = await fetch(weightsUrl(), { method: 'HEAD', redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}

async function bytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

describe('fake hub faults', () => {
  it('serves the file intact without faults, through the redirect', async () => {
    const res = await fetch(weightsUrl());
    expect(res.status).toBe(200);
    expect((await bytes(res)).equals(BIG)).toBe(true);
    expect(hub.bytesSent({ path: 'weights.bin', server: 'cdn' })).toBe(BIG.length);
  });

  it('drop-after destroys the connection after N body bytes', async () => {
    hub.setFaults([{ kind: 'drop-after', bytes: 1000, match: { server: 'cdn' }, times: 1 }]);
    const res = await fetch(weightsUrl());
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(hub.bytesSent({ server: 'cdn' })).toBe(1000);
    // times: 1 — the next download is clean.
    expect((await bytes(await fetch(weightsUrl()))).equals(BIG)).toBe(true);
  });

  it('a resumed range request only costs the missing bytes', async () => {
    hub.setFaults([{ kind: 'drop-after', bytes: 100_000, match: { path: 'weights.bin' }, times: 1 }]);
    const first = await fetch(weightsUrl());
    await expect(first.arrayBuffer()).rejects.toThrow();
    const rest = await fetch(weightsUrl(), { headers: { Range: 'bytes=100000-' } });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes 100000-${BIG.length - 1}/${BIG.length}`);
    expect((await bytes(rest)).equals(BIG.subarray(100_000))).toBe(true);
    expect(hub.bytesSent({ path: 'weights.bin', server: 'cdn' })).toBe(BIG.length);
  });

  it('status answers the injected code with Retry-After, then counts down', async () => {
    hub.setFaults([{ kind: 'status', status: 503, retryAfterSeconds: 7, match: { path: 'config.json' }, times: 2 }]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(configUrl());
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
    }
    const ok = await fetch(configUrl());
    expect(ok.status).toBe(200);
    expect((await bytes(ok)).equals(SMALL)).toBe(true);
  });

  it('status 429 applies to API calls too', async () => {
    hub.setFaults([{ kind: 'status', status: 429, retryAfterSeconds: 3, match: { path: /^\/api\/models\// } }]);
    const res = await fetch(`${hub.url}/api/models/acme/faulty`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });

  it('stall pauses after N bytes and then finishes the body', async () => {
    hub.setFaults([{ kind: 'stall', afterBytes: 5000, ms: 50, match: { server: 'cdn' }, times: 1 }]);
    const res = await fetch(weightsUrl());
    expect((await bytes(res)).equals(BIG)).toBe(true);
  });

  it('a long stall sends nothing past the stall point', async () => {
    hub.setFaults([{ kind: 'stall', afterBytes: 5000, ms: 60_000, match: { server: 'cdn' }, times: 1 }]);
    const controller = new AbortController();
    const res = await fetch(weightsUrl(), { signal: controller.signal });
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 5000) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.length;
    }
    expect(received).toBe(5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(hub.bytesSent({ server: 'cdn' })).toBe(5000);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('truncate ends the response cleanly after N bytes', async () => {
    hub.setFaults([{ kind: 'truncate', bytes: 12_345, match: { server: 'cdn' }, times: 1 }]);
    const res = await fetch(weightsUrl());
    expect(res.headers.get('content-length')).toBeNull();
    const body = await bytes(res);
    expect(body.length).toBe(12_345);
    expect(body.equals(BIG.subarray(0, 12_345))).toBe(true);
  });

  it('corrupt flips one byte at the given file offset, same length', async () => {
    hub.setFaults([{ kind: 'corrupt', atByte: 200_000, match: { server: 'cdn' } }]);
    // A range that does not cover the byte stays clean.
    const clean = await bytes(await fetch(weightsUrl(), { headers: { Range: 'bytes=0-999' } }));
    expect(clean.equals(BIG.subarray(0, 1000))).toBe(true);
    const body = await bytes(await fetch(weightsUrl()));
    expect(body.length).toBe(BIG.length);
    const diffs = [...body.keys()].filter((i) => body[i] !== BIG[i]);
    expect(diffs).toEqual([200_000]);
  });

  it('corrupt without atByte changes the body', async () => {
    hub.setFaults([{ kind: 'corrupt', match: { path: 'config.json' }, times: 1 }]);
    const body = await bytes(await fetch(configUrl()));
    expect(body.length).toBe(SMALL.length);
    expect(body.equals(SMALL)).toBe(false);
  });

  it('ignore-range answers 200 with the full body', async () => {
    hub.setFaults([{ kind: 'ignore-range', match: { server: 'cdn' }, times: 1 }]);
    const res = await fetch(weightsUrl(), { headers: { Range: 'bytes=100-199' } });
    expect(res.status).toBe(200);
    expect((await bytes(res)).equals(BIG)).toBe(true);
  });

  it('not-found on the CDN after the hub redirect', async () => {
    hub.setFaults([{ kind: 'not-found', match: { server: 'cdn' }, times: 1 }]);
    const res = await fetch(weightsUrl());
    expect(res.status).toBe(404);
    expect(hub.requests.map((r) => [r.server, r.status])).toEqual([
      ['hub', 302],
      ['cdn', 404],
    ]);
  });

  it('rules apply in order and match by method', async () => {
    hub.setFaults([
      { kind: 'status', status: 500, match: { method: 'HEAD' } },
      { kind: 'status', status: 502 },
    ]);
    expect((await fetch(configUrl(), { method: 'HEAD' })).status).toBe(500);
    expect((await fetch(configUrl())).status).toBe(502);
  });

  it('the CDN rejects a tampered signature and answers 416 to a range past the end', async () => {
    const location = await cdnUrl();
    const tampered = location.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === 'a' ? 'b' : 'a'}`);
    expect((await fetch(tampered)).status).toBe(403);
    const res = await fetch(location, { headers: { Range: `bytes=${BIG.length}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${BIG.length}`);
  });
});

describe('fake hub bandwidth cap', () => {
  it('never sends faster than the per-connection cap', async () => {
    const capped = await startFakeHub({ repos: [REPO], cdnBytesPerSecondPerConnection: 100_000 });
    try {
      const controller = new AbortController();
      const started = Date.now();
      const res = await fetch(`${capped.url}/acme/faulty/resolve/main/weights.bin`, { signal: controller.signal });
      const reader = res.body!.getReader();
      let received = 0;
      while (received < 20_000) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value.length;
      }
      const sent = capped.bytesSent({ server: 'cdn' });
      const elapsedSeconds = (Date.now() - started) / 1000;
      // An upper bound only: a slow machine sends less, never more.
      expect(sent).toBeGreaterThanOrEqual(20_000);
      expect(sent).toBeLessThanOrEqual(100_000 * elapsedSeconds + 64 * 1024);
      controller.abort();
      await reader.cancel().catch(() => undefined);
    } finally {
      await capped.close();
    }
  });
});
