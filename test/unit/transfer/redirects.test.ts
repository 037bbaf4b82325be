/**
 * Protocol corners the fake Hub does not produce, on small purpose-built servers on 127.0.0.1: relative and
 * chained redirects, redirect loops, bad Content-Range, expired CDN URLs and connection reuse.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { closeSharedTransferAgent, downloadFile } from '../../../src/core/transfer/index';
import { openPartialFile } from '../../../src/core/transfer/partialFile';
import { seededBytes } from '../../fake-hub/safetensors';
import { readIfExists } from './fixtures';
import { sha256Of, tempDir } from './helpers';

interface Seen {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly range: string | undefined;
}

interface TestServer {
  readonly url: string;
  readonly seen: Seen[];
  connections: number;
  close(): Promise<void>;
}

async function startServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '/', authorization: req.headers.authorization, range: req.headers.range });
    handle(req, res);
  });
  const state = { connections: 0 };
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get connections() {
      return state.connections;
    },
    set connections(value: number) {
      state.connections = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Serves `content` with Range support. */
function serveBytes(content: Buffer, req: IncomingMessage, res: ServerResponse): void {
  const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (match === null) {
    res.writeHead(200, { 'content-length': content.length });
    res.end(content);
    return;
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? content.length - 1 : Math.min(Number(match[2]), content.length - 1);
  res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${content.length}` });
  res.end(content.subarray(start, end + 1));
}

const CONTENT = seededBytes(300_000, 3);
const servers: TestServer[] = [];
let tmp: { dir: string; cleanup: () => void };

beforeEach(() => {
  tmp = tempDir('mistudio-redirects-');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  tmp.cleanup();
});
afterAll(async () => {
  await closeSharedTransferAgent();
});

async function server(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const s = await startServer(handle);
  servers.push(s);
  return s;
}

function target(name = 'file.bin', content = CONTENT): { partialPath: string; finalPath: string; size: number; expectedHash: ReturnType<typeof sha256Of> } {
  const finalPath = path.join(tmp.dir, name);
  return { partialPath: `${finalPath}.incomplete`, finalPath, size: content.length, expectedHash: sha256Of(content) };
}

describe('redirects', () => {
  it('follows relative 307/301/308/303 hops on the same origin, keeping the token and the Range', async () => {
    const s = await server((req, res) => {
      const next: Record<string, [number, string]> = {
        '/org/repo/resolve/main/file.bin': [307, '../../../renamed/resolve/main/file.bin'],
        '/org/renamed/resolve/main/file.bin': [301, '/storage/a'],
        '/storage/a': [308, 'b?x=1'],
        '/storage/b?x=1': [303, '/storage/final'],
      };
      const hop = next[req.url ?? ''];
      if (hop) {
        res.writeHead(hop[0], { location: hop[1] });
        res.end();
      } else serveBytes(CONTENT, req, res);
    });
    const finalPath = path.join(tmp.dir, 'file.bin');
    // Resume from 100 000 so every hop carries a Range header.
    const partial = await openPartialFile(`${finalPath}.incomplete`, 'keep');
    await partial.write(CONTENT.subarray(0, 100_000), 0);
    await partial.close();
    await downloadFile({ ...target(), url: `${s.url}/org/repo/resolve/main/file.bin`, token: 'hf_secret', resume: { doneRanges: [[0, 100_000]] } });
    expect(readIfExists(finalPath)?.equals(CONTENT)).toBe(true);
    expect(s.seen.map((r) => r.url)).toEqual([
      '/org/repo/resolve/main/file.bin',
      '/org/renamed/resolve/main/file.bin',
      '/storage/a',
      '/storage/b?x=1',
      '/storage/final',
    ]);
    for (const r of s.seen) {
      expect(r.authorization).toBe('Bearer hf_secret');
      expect(r.range).toBe(`bytes=100000-${CONTENT.length - 1}`);
    }
  });

  it('drops the token when a redirect leaves the origin, even on the way back', async () => {
    const cdn = await server((req, res) => {
      if (req.url === '/bounce') {
        res.writeHead(302, { location: `${hub.url}/final` });
        res.end();
      } else serveBytes(CONTENT, req, res);
    });
    const hub = await server((req, res) => {
      if (req.url === '/final') return serveBytes(CONTENT, req, res);
      res.writeHead(302, { location: `${cdn.url}/bounce` });
      res.end();
    });
    await downloadFile({ ...target(), url: `${hub.url}/x/resolve/main/file.bin`, token: 'hf_secret' });
    expect(cdn.seen.map((r) => r.authorization)).toEqual([undefined]);
    // Back on the credential origin the token is allowed again; it never went to the other host.
    expect(hub.seen.map((r) => r.authorization)).toEqual(['Bearer hf_secret', 'Bearer hf_secret']);
  });

  it('stops after 10 redirects with a clear error', async () => {
    const s = await server((req, res) => {
      res.writeHead(302, { location: `/loop/${s.seen.length}` });
      res.end();
    });
    const error = await downloadFile({ ...target(), url: `${s.url}/a/resolve/main/file.bin` }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Http')).toBe(true);
    expect((error as Error).message).toMatch(/file\.bin.*redirects/);
    expect(s.seen).toHaveLength(11);
  });
});

describe('Content-Range validation', () => {
  it('refuses a 206 for other bytes than asked', async () => {
    const s = await server((req, res) => {
      res.writeHead(206, { 'content-length': 10, 'content-range': `bytes 0-9/${CONTENT.length}` });
      res.end(CONTENT.subarray(0, 10));
    });
    const t = target();
    const partial = await openPartialFile(t.partialPath, 'keep');
    await partial.write(CONTENT.subarray(0, 50), 0);
    await partial.close();
    const error = await downloadFile({ ...t, url: `${s.url}/f`, resume: { doneRanges: [[0, 50]] } }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Http')).toBe(true);
    expect((error as Error).message).toContain('bytes 0-9');
    expect(readIfExists(t.finalPath)).toBeUndefined();
  });

  it('refuses a 206 whose total differs from the expected size', async () => {
    const s = await server((req, res) => {
      res.writeHead(206, { 'content-length': 10, 'content-range': `bytes 50-59/999999` });
      res.end(CONTENT.subarray(50, 60));
    });
    const t = target();
    const partial = await openPartialFile(t.partialPath, 'keep');
    await partial.write(CONTENT.subarray(0, 50), 0);
    await partial.close();
    const error = await downloadFile({ ...t, url: `${s.url}/f`, resume: { doneRanges: [[0, 50]] } }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Http')).toBe(true);
    expect((error as Error).message).toMatch(/999999.*expected 300000/);
  });

  it('continues with a new request when the server sends a shorter range than asked', async () => {
    const s = await server((req, res) => {
      const start = Number(/^bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const end = Math.min(start + 99_999, CONTENT.length - 1); // at most 100 000 bytes per answer
      if (req.headers.range === undefined) return serveBytes(CONTENT.subarray(0, 0), req, res);
      res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${CONTENT.length}` });
      res.end(CONTENT.subarray(start, end + 1));
    });
    const t = target();
    const partial = await openPartialFile(t.partialPath, 'keep');
    await partial.write(CONTENT.subarray(0, 1), 0);
    await partial.close();
    await downloadFile({ ...t, url: `${s.url}/f`, resume: { doneRanges: [[0, 1]] } });
    expect(readIfExists(t.finalPath)?.equals(CONTENT)).toBe(true);
    expect(s.seen.map((r) => r.range)).toEqual([`bytes=1-299999`, `bytes=100001-299999`, `bytes=200001-299999`]);
  });
});

describe('remembered CDN URLs', () => {
  it('a 403 from the CDN on a fresh redirect is a refusal, not an expiry: Unauthorized, no retry loop', async () => {
    const cdn = await server((req, res) => {
      res.writeHead(403);
      res.end('denied');
    });
    const hub = await server((req, res) => {
      res.writeHead(302, { location: `${cdn.url}/blob?sig=1` });
      res.end();
    });
    const error = await downloadFile({ ...target(), url: `${hub.url}/r/resolve/main/file.bin` }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Unauthorized')).toBe(true);
    expect(hub.seen).toHaveLength(1);
    expect(cdn.seen).toHaveLength(1);
  });

  it('parts that find the remembered URL expired fetch a fresh one and finish', async () => {
    const big = seededBytes(4 * 1024 * 1024, 5);
    let valid = new Set(['0']);
    let issued = 0;
    const cdn = await server((req, res) => {
      const sig = new URL(req.url ?? '/', 'http://x').searchParams.get('sig') ?? '';
      if (!valid.has(sig)) {
        res.writeHead(403);
        res.end('expired');
        return;
      }
      // After the first part started, the first signature expires for everyone else.
      if (sig === '0') valid = new Set(['1', '2', '3', '4', '5', '6', '7', '8']);
      serveBytes(big, req, res);
    });
    const hub = await server((req, res) => {
      res.writeHead(302, { location: `${cdn.url}/blob?sig=${issued++}` });
      res.end();
    });
    const t = target('big.bin', big);
    await downloadFile({ ...t, url: `${hub.url}/r/resolve/main/big.bin`, connections: 4, minPartBytes: 256 * 1024 });
    expect(readIfExists(t.finalPath)?.equals(big)).toBe(true);
    expect(hub.seen.length).toBeGreaterThan(1); // went back to the Hub for a fresh URL
    expect(cdn.seen.filter((r) => r.url.includes('sig=0'))).not.toHaveLength(0);
  });
});

describe('stalls and unreachable hosts', () => {
  it('a server that never sends headers is abandoned after stallTimeoutMs and retried', async () => {
    const s = await server((req, res) => {
      if (s.seen.length === 1) return; // hang the first request forever
      serveBytes(CONTENT, req, res);
    });
    const t = target();
    await downloadFile({ ...t, url: `${s.url}/f`, stallTimeoutMs: 200, retry: { baseDelayMs: 1 } });
    expect(readIfExists(t.finalPath)?.equals(CONTENT)).toBe(true);
    expect(s.seen).toHaveLength(2);
  });

  it('a refused connection ends as Offline naming the host and the file', async () => {
    const s = await server(() => undefined);
    const url = `${s.url}/org/repo/resolve/main/weights.bin`;
    await s.close();
    servers.length = 0;
    const error = await downloadFile({ ...target(), url, retry: { maxAttempts: 2, baseDelayMs: 1 } }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Offline')).toBe(true);
    expect((error as Error).message).toContain(new URL(url).host);
    expect((error as Error).message).toContain('weights.bin');
  });
});

describe('a host that has answered', () => {
  it('and then refuses a connection is retried, as a drop-out mid-download, and resumed where it stopped', async () => {
    const gone = await startServer(() => undefined);
    await gone.close(); // its port now refuses connections
    let answered = 0;
    const s = await server((req, res) => {
      if (answered++ > 0) return serveBytes(CONTENT, req, res);
      res.writeHead(200, { 'content-length': CONTENT.length });
      res.write(CONTENT.subarray(0, 100_000), () => res.destroy()); // some bytes, then the connection breaks
    });
    let dispatches = 0;
    class RefusingSecondRequest extends Agent {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        dispatches++;
        return super.dispatch(dispatches === 2 ? { ...options, origin: gone.url } : options, handler);
      }
    }
    const agent = new RefusingSecondRequest();
    const t = target();
    await downloadFile({ ...t, url: `${s.url}/org/repo/resolve/main/weights.bin`, dispatcher: agent, retry: { baseDelayMs: 1 } });
    await agent.close();
    expect(readIfExists(t.finalPath)?.equals(CONTENT)).toBe(true);
    expect(dispatches).toBe(3);
    expect(s.seen.map((r) => r.range)).toEqual([undefined, 'bytes=100000-299999']);
  });
});

describe('dispatcher', () => {
  it('sends every request through the given undici dispatcher (e.g. a proxy agent)', async () => {
    let dispatched = 0;
    class CountingAgent extends Agent {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        dispatched++;
        return super.dispatch(options, handler);
      }
    }
    const agent = new CountingAgent();
    const s = await server((req, res) => serveBytes(CONTENT, req, res));
    const t = target();
    await downloadFile({ ...t, url: `${s.url}/f`, dispatcher: agent });
    await agent.close();
    expect(readIfExists(t.finalPath)?.equals(CONTENT)).toBe(true);
    expect(dispatched).toBe(1);
  });
});

describe('connection reuse', () => {
  it('downloads many small files over a handful of keep-alive connections', async () => {
    const small = seededBytes(2_000, 9);
    const s = await server((req, res) => serveBytes(small, req, res));
    for (let i = 0; i < 30; i++) {
      const t = target(`f${i}.bin`, small);
      await downloadFile({ ...t, url: `${s.url}/r/resolve/main/f${i}.bin` });
      expect(readIfExists(t.finalPath)?.equals(small)).toBe(true);
    }
    expect(s.seen).toHaveLength(30);
    expect(s.connections).toBeLessThanOrEqual(2);
  });
});
