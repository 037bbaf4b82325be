/**
 * Hostile and broken servers on loopback (issue 12, proof): a listing that paginates in a loop, endless JSON
 * bodies, slow-loris answers and transfers, a 100k-file tree, a backtracking-bait pattern, rate-limit windows and
 * redirects that try to take the token elsewhere. Each scenario must end — with a clear one-line error or with the
 * download done — within bounded time and memory, asserted by counting (requests, bytes sent) where possible.
 * Time limits are scaled down through the network settings so the suite takes seconds, not the minutes of real ones.
 */
import * as fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMistudioError, type MistudioError } from '../../../src/core/errors';
import { HubClient } from '../../../src/core/hub';
import { compilePatterns } from '../../../src/core/patterns';
import { openStudio } from '../../../src/core/studio';
import type { StudioOptions } from '../../../src/core/studioTypes';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { buildCliBundle, cliInProcess, errorLines, hasStackTrace, runNode, scratch, verifySnapshot, wasmPath, type Scratch } from './helpers';
import { createTally, writeTally } from './summary';

const tally = createTally();
/** What each scenario cost, printed at the end (and quoted in the report). */
const costs: string[] = [];
const MB = 1_000_000;
const COMMIT = 'c'.repeat(40);
const TOKEN = 'hf_hostile_test_token';

afterAll(async () => {
  console.log(`[robustness] hostileServer:\n  ${costs.join('\n  ')}`);
  await writeTally('hostileServer', tally);
});

/** Runs a scenario, recording its wall time and this process's RSS growth; both bounded. */
async function measured<T>(name: string, limits: { ms: number; rssMB: number }, run: () => Promise<T>): Promise<T> {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    return await run();
  } finally {
    clearInterval(sampler);
    const ms = performance.now() - started;
    const grewMB = (Math.max(peak, process.memoryUsage().rss) - rssBefore) / MB;
    costs.push(`${name}: ${Math.round(ms)} ms, RSS +${Math.round(grewMB)} MB`);
    expect(ms, `${name}: time`).toBeLessThan(limits.ms);
    expect(grewMB, `${name}: memory`).toBeLessThan(limits.rssMB);
    tally.scenarios += 1;
  }
}

// ── A raw server on loopback that answers whatever a scenario wants ────────────────────────────────────────────

interface Hostile {
  readonly url: string;
  readonly requests: Array<{ url: string; authorization: string | undefined }>;
  /** Body bytes this server wrote. */
  bytesSent: number;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse, server: Hostile) => void | Promise<void>;

async function hostileServer(route: Route): Promise<Hostile> {
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? '/', authorization: req.headers.authorization });
    void Promise.resolve(route(req, res, state)).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: Hostile = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: [],
    bytesSent: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}

function json(res: ServerResponse, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** Repo info as the Hub answers it, naming COMMIT. */
function info(res: ServerResponse, id: string): void {
  json(res, { _id: 'x', id, sha: COMMIT, private: false, gated: false, downloads: 0, likes: 0, tags: [] });
}

/** Writes `chunk` again and again until the client goes away or `limit` bytes went out; counts what was written. */
async function endless(res: ServerResponse, server: Hostile, opening: string, chunk: string, limit = 2_000 * MB): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const piece = Buffer.from(chunk.repeat(Math.max(1, Math.floor(64 * 1024 / chunk.length))));
  res.write(opening);
  while (!res.destroyed && server.bytesSent < limit) {
    server.bytesSent += piece.length;
    if (!res.write(piece)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
  }
  res.end();
}

async function failure(promise: Promise<unknown>): Promise<MistudioError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMistudioError(err)) throw new Error(`expected a MistudioError, got ${String(err)}`);
  return err;
}

/** The CLI in this process against `endpoint`: exit code and its one error line. */
async function cli(home: Scratch, endpoint: string, argv: readonly string[]): Promise<{ code: number; error: string; stderr: string }> {
  const result = await cliInProcess(argv, { ...home.env, HF_ENDPOINT: endpoint }, home.dir);
  const errors = errorLines(result.stderr);
  expect(errors.length, result.stderr).toBeLessThanOrEqual(1);
  expect(hasStackTrace(result.stderr)).toBe(false);
  return { code: result.code, error: errors[0] ?? '', stderr: result.stderr };
}

function withHome<T>(prefix: string, run: (home: Scratch) => Promise<T>): Promise<T> {
  const home = scratch(prefix);
  return run(home).finally(() => home.cleanup());
}

const treeUrl = (id: string): RegExp => new RegExp(`^/api/models/${id}/tree/${COMMIT}`);

describe('listings that never end', () => {
  it('a Link rel="next" pointing back at the same page: one page read, then a clear error', async () => {
    const server = await hostileServer((req, res, self) => {
      if (req.url?.startsWith('/api/models/loop/tree/revision/')) return info(res, 'loop/tree');
      json(res, [{ type: 'file', path: 'a.txt', size: 1, oid: 'o' }], { link: `<${self.url}${req.url}>; rel="next"` });
    });
    try {
      await measured('pagination loop (Link rel=next → the same page)', { ms: 10_000, rssMB: 200 }, () =>
        withHome('loop', async (home) => {
          const run = await cli(home, server.url, ['download', 'loop/tree']);
          expect(run.code).toBe(1);
          expect(run.error).toBe(`mistudio: error: ${server.url} paginates the file listing of loop/tree in a loop (page 2 links back to an earlier one): not reading further`);
        }),
      );
      expect(server.requests.filter((r) => treeUrl('loop/tree').test(r.url))).toHaveLength(1);
      tally.faultsInjected += 1;
    } finally {
      await server.close();
    }
  });

  it('a cursor cycling between two pages is caught too; a cursor new on every page stops at the page cap', async () => {
    let page = 0;
    const server = await hostileServer((req, res, self) => {
      if (req.url?.includes('/revision/')) return info(res, req.url.includes('cycle') ? 'cycle/tree' : 'fresh/tree');
      const cursor = new URL(req.url ?? '/', self.url).searchParams.get('cursor');
      const next = req.url?.includes('cycle') ? (cursor === 'b' ? 'a' : 'b') : String(++page);
      const base = (req.url ?? '').replace(/&cursor=.*$/, '');
      json(res, [], { link: `<${self.url}${base}&cursor=${next}>; rel="next"` });
    });
    try {
      await measured('pagination cycle and endless cursors (page cap 50)', { ms: 20_000, rssMB: 200 }, async () => {
        const client = new HubClient({ endpoint: server.url, limits: { maxListingPages: 50 } });
        const cycle = await failure(client.listFiles({ kind: 'model', repoId: 'cycle/tree' }, COMMIT));
        expect(cycle.message).toMatch(/paginates the file listing of cycle\/tree in a loop \(page 4 links back/);
        const fresh = await failure(client.listFiles({ kind: 'model', repoId: 'fresh/tree' }, COMMIT));
        expect(fresh.message).toBe(`${server.url} splits the file listing of fresh/tree into more than 50 pages: not reading further`);
      });
      expect(server.requests.filter((r) => treeUrl('cycle/tree').test(r.url))).toHaveLength(3);
      expect(server.requests.filter((r) => treeUrl('fresh/tree').test(r.url))).toHaveLength(50);
      tally.faultsInjected += 2;
    } finally {
      await server.close();
    }
  });
});

describe('answers that never end', () => {
  it('an endless tree page: stops at the 32 MB cap with "answered more than 32 MB", not at the heap’s end', async () => {
    const server = await hostileServer((req, res, self) => {
      if (req.url?.includes('/revision/')) return info(res, 'endless/tree');
      return endless(res, self, '[', '{"type":"directory","path":"d","oid":"x","size":0},');
    });
    try {
      await measured('endless JSON listing (default 32 MB cap)', { ms: 30_000, rssMB: 300 }, () =>
        withHome('endless', async (home) => {
          const run = await cli(home, server.url, ['download', 'endless/tree']);
          expect(run.code).toBe(1);
          expect(run.error).toBe(`mistudio: error: ${server.url} answered more than 32 MB for the file listing of endless/tree: not reading further`);
        }),
      );
      // What was on the wire when the client stopped: the cap plus what sockets buffer, not gigabytes.
      expect(server.bytesSent).toBeLessThan(48 * MB);
      tally.faultsInjected += 1;
    } finally {
      await server.close();
    }
  });

  it('an endless repo-info object and an endless list of files: the byte cap and the file cap', async () => {
    const server = await hostileServer((req, res, self) => {
      if (req.url?.includes('/revision/')) return endless(res, self, '{"sha":"', 'a', 200 * MB);
      return endless(res, self, '[', '{"type":"file","path":"f","oid":"x","size":1},', 200 * MB);
    });
    try {
      await measured('endless repo info and endless file list (caps 4 MB, 10,000 files)', { ms: 30_000, rssMB: 200 }, async () => {
        const client = new HubClient({ endpoint: server.url, limits: { maxJsonBytes: 4 * MB, maxListingFiles: 10_000 } });
        const infoError = await failure(client.repoInfo({ kind: 'model', repoId: 'endless/info' }, 'main'));
        expect(infoError.message).toBe(`${server.url} answered more than 4 MB for the repo info of endless/info: not reading further`);
        const filesError = await failure(client.listFiles({ kind: 'model', repoId: 'endless/files' }, COMMIT));
        expect(filesError.message).toBe(`${server.url} lists more than 10,000 entries in the file listing of endless/files: not reading further`);
      });
      expect(server.bytesSent).toBeLessThan(2 * 20 * MB);
      tally.faultsInjected += 2;
    } finally {
      await server.close();
    }
  });
});

describe('slow-loris', () => {
  it('metadata trickling a byte every 200 ms: cut at the request deadline, asked again, then a clear error', async () => {
    const server = await hostileServer(async (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 1000 && !res.destroyed; i++) {
        res.write(' ');
        await new Promise((r) => setTimeout(r, 200));
      }
      res.end();
    });
    try {
      await measured('slow-loris repo info (1 B / 200 ms, deadline 1 s, 3 attempts)', { ms: 10_000, rssMB: 100 }, async () => {
        const client = new HubClient({ endpoint: server.url, limits: { requestTimeoutMs: 1000 }, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10 } });
        const err = await failure(client.repoInfo({ kind: 'model', repoId: 'slow/info' }, 'main'));
        expect(err.message).toBe(`${server.url} answered too slowly: the repo info of slow/info was not complete after 1 s (3 attempts)`);
      });
      expect(server.requests).toHaveLength(3);
      tally.faultsInjected += 3;
    } finally {
      await server.close();
    }
  });

  it('a file trickling under the stall timeout: retried, then the download fails naming the slow host, and the slot is free', async () => {
    const repo: FakeRepo = { kind: 'model', id: 'slow/file', commits: [{ files: [{ path: 'weights.bin', content: seededBytes(64 * 1024, 5), lfs: true }] }] };
    const hub = await startFakeHub({ repos: [repo, ...demoRepos()] });
    // 1 byte every 100 ms (10 B/s), under a 1 s stall timeout; the floor: 200 B/s over 500 ms.
    hub.setFaults([{ kind: 'trickle', bytes: 1, everyMs: 100, match: { server: 'cdn', path: 'weights.bin' } }]);
    const home = scratch('slowfile');
    const studio = await openStudio(studioOptions(home, hub, { maxConcurrentDownloads: 1, network: { minBytesPerSecond: 200, throughputWindowMs: 500 } }));
    try {
      await measured('slow-loris transfer (1 B / 100 ms; floor 200 B/s over 0.5 s; 3 attempts)', { ms: 15_000, rssMB: 150 }, async () => {
        const slow = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: 'slow/file' })).id);
        expect(slow.status).toBe('error');
        expect(slow.errorMessage).toMatch(new RegExp(`^Download of weights\\.bin failed after 3 attempts: ${hub.cdnUrl} sent \\d+ B in \\d+ ms, slower than the minimum of 200 B/s$`));
        // The one download slot is free again: the next download runs.
        expect((await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-sae' })).id)).status).toBe('ready');
      });
      expect(hub.requests.filter((r) => r.server === 'cdn' && r.url.includes('weights.bin'))).toHaveLength(3);
      tally.faultsInjected += 3;
    } finally {
      await studio.close();
      await hub.close();
      home.cleanup();
    }
  });
});

describe('a 100k-file tree', () => {
  const N = 100_000;
  let hub: FakeHub;
  let bundle: { file: string; cleanup: () => void };
  let probe: string;
  beforeAll(async () => {
    const files = Array.from({ length: N }, (_, i) => ({ path: `d${i % 100}/file-${String(i).padStart(6, '0')}.txt`, content: `f${i}\n` }));
    hub = await startFakeHub({
      repos: [
        { kind: 'model', id: 'huge/model', commits: [{ files }] },
        { kind: 'dataset', id: 'huge/data', commits: [{ files }] },
      ],
      treePageSize: 1000,
    });
    bundle = await buildCliBundle();
    probe = path.join(path.dirname(bundle.file), 'vmhwm.cjs');
    // The child's peak resident memory (Linux VmHWM), written as it exits.
    fs.writeFileSync(
      probe,
      "const fs = require('fs'); process.on('exit', () => { const m = /^VmHWM:\\s+(\\d+)\\s+kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8')); fs.writeFileSync(process.env.MISTUDIO_VMHWM_FILE, String(Number(m[1]) * 1024)); });\n",
    );
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    bundle?.cleanup();
  });

  /** VmHWM of `mistudio <argv>` in a fresh process. */
  async function peakOf(home: Scratch, argv: readonly string[]): Promise<number> {
    const out = path.join(home.dir, 'vmhwm');
    const run = await runNode(['-r', probe, bundle.file, ...argv], { ...process.env, ...home.env, HF_ENDPOINT: hub.url, MISTUDIO_VMHWM_FILE: out });
    expect(run.code, run.stderr).toBe(0);
    return Number(fs.readFileSync(out, 'utf8'));
  }

  for (const kind of ['model', 'dataset'] as const) {
    it(`fetching one file of a 100k-file ${kind} costs ≤ 150 MB RSS above the idle CLI, one repo-info and one listing`, { timeout: 120_000 }, async () => {
      if (process.platform !== 'linux') return;
      const id = kind === 'model' ? 'huge/model' : 'huge/data';
      await withHome(`huge-${kind}`, async (home) => {
        const idle = await peakOf(home, ['list']);
        hub.resetStats();
        const peak = await measured(`100k-file ${kind} tree, one file (child process)`, { ms: 60_000, rssMB: 300 }, () =>
          peakOf(home, ['download', ...(kind === 'dataset' ? ['--dataset'] : []), id, '--include', 'd7/file-000007.txt']),
        );
        costs.push(`  ${kind}: child peak ${Math.round(peak / MB)} MB, idle ${Math.round(idle / MB)} MB, growth ${Math.round((peak - idle) / MB)} MB`);
        expect((peak - idle) / MB).toBeLessThanOrEqual(150);
        // 100,000 files and 100 folders at 1000 per page: 101 pages, asked once each; repo info once.
        expect(hub.requests.filter((r) => r.url.includes('/tree/'))).toHaveLength(101);
        expect(hub.requests.filter((r) => r.url.includes('/revision/'))).toHaveLength(1);
      });
    });
  }
});

describe('patterns that make backtracking matchers explode', () => {
  it('*e*e*e*e*e*e*e*.md against long names: linear, the plan answers at once', async () => {
    const long = `${'e'.repeat(200)}/`.repeat(8) + `${'e'.repeat(150)}.txt`;
    const repo: FakeRepo = { kind: 'model', id: 'redos/names', commits: [{ files: [{ path: long, content: 'x' }, { path: 'docs/eeeeeee.md', content: '# e\n' }] }] };
    const hub = await startFakeHub({ repos: [repo] });
    try {
      await measured('ReDoS bait pattern (*e*e*e*e*e*e*e*.md)', { ms: 5_000, rssMB: 100 }, async () => {
        const started = performance.now();
        const matches = compilePatterns({ include: ['*e*e*e*e*e*e*e*.md'] });
        expect(matches(`${'e'.repeat(100_000)}.txt`)).toBe(false);
        expect(performance.now() - started).toBeLessThan(1_000);
        await withHome('redos', async (home) => {
          const plan = await cli(home, hub.url, ['download', 'redos/names', '--include', '*e*e*e*e*e*e*e*.md']);
          expect(plan.code).toBe(0);
          expect(plan.stderr).toContain('redos/names@main (');
          expect(plan.stderr).toContain(': 1 file,');
        });
      });
      tally.faultsInjected += 1;
    } finally {
      await hub.close();
    }
  });
});

describe('429 windows with RateLimit headers', () => {
  it('a download under tight windows waits each reset out, shows it in the progress, and completes', async () => {
    const hub = await startFakeHub({ repos: demoRepos(), rateLimits: { api: { requests: 2, windowMs: 1000 }, resolvers: { requests: 6, windowMs: 1000 } } });
    const home = scratch('ratelimit');
    // The default five attempts: eight files compete for six requests a second.
    const studio = await openStudio(studioOptions(home, hub, { transfer: { stallTimeoutMs: 5_000 } }));
    const notes: number[] = [];
    const listener = studio.onDidProgress(({ progress }) => {
      if (progress.rateLimitResumeSeconds !== undefined) notes.push(progress.rateLimitResumeSeconds);
    });
    try {
      const entry = await measured('429 windows (api 2 / s, resolvers 6 / s), tiny-gpt2', { ms: 30_000, rssMB: 150 }, async () => {
        const plan = await studio.plan({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
        return studio.whenSettled((await studio.enqueue(plan)).id);
      });
      expect(entry.status, entry.errorMessage ?? '').toBe('ready');
      tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, demoRepos().find((r) => r.id === 'mistudio-demo/tiny-gpt2') as FakeRepo);
      const limited = hub.requests.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      // Each wait was announced, counting down from the reset (t + 1 s ≤ 3 s here).
      expect(notes.length).toBeGreaterThan(0);
      expect(Math.max(...notes)).toBeLessThanOrEqual(3);
      tally.faultsInjected += limited.length;
    } finally {
      listener.dispose();
      await studio.close();
      await hub.close();
      home.cleanup();
    }
  });

  it('a cancel during a long wait ends it at once; the CLI without a terminal says the wait once', async () => {
    const hub = await startFakeHub({ repos: demoRepos() });
    hub.setFaults([{ kind: 'rate-limit', resetSeconds: 55, match: { path: /\/revision\// } }]);
    const home = scratch('ratecancel');
    const studio = await openStudio(studioOptions(home, hub));
    try {
      await measured('429 with t=55, cancelled during the wait', { ms: 10_000, rssMB: 100 }, async () => {
        const entry = await studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-sae' });
        const waiting = new Promise<number>((resolve) => {
          const l = studio.onDidProgress(({ progress }) => {
            if (progress.rateLimitResumeSeconds !== undefined) {
              l.dispose();
              resolve(progress.rateLimitResumeSeconds);
            }
          });
        });
        expect(await waiting).toBe(56);
        const started = performance.now();
        await studio.cancel(entry.id);
        expect((await studio.whenSettled(entry.id)).status).toBe('cancelled');
        expect(performance.now() - started).toBeLessThan(2_000);
      });
      expect(hub.requests.filter((r) => r.url.includes('/revision/'))).toHaveLength(1);
      await withHome('ratecli', async (cliHome) => {
        // A file's resolve is rate-limited once: the job waits, and the CLI (no terminal here) says so once.
        hub.setFaults([{ kind: 'rate-limit', resetSeconds: 1, resource: 'resolvers', match: { path: /\/resolve\// }, times: 1 }]);
        const run = await cli(cliHome, hub.url, ['download', 'mistudio-demo/tiny-sae']);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr.match(/^mistudio: rate limited by the Hub, resuming in \d s$/gm)).toHaveLength(1);
        tally.faultsInjected += 1;
      });
      tally.faultsInjected += 1;
    } finally {
      await studio.close();
      await hub.close();
      home.cleanup();
    }
  });
});

describe('redirects that try to take the token elsewhere', () => {
  it('a mirror keeps the token on its own relative redirects, and never sends it to a CDN or a third host', async () => {
    const third = await hostileServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '4' });
      res.end('abcd');
    });
    const hub = await startFakeHub({
      repos: [
        {
          kind: 'model',
          id: 'mirror/repo',
          private: true,
          commits: [{ files: [{ path: 'config.json', content: '{"model_type":"m"}' }, { path: 'w.safetensors', content: seededBytes(4096, 9) }] }],
        },
      ],
      tokens: { [TOKEN]: { user: 'mirror-user' } },
    });
    // The mirror: the fake hub's answers, but a resolve of "elsewhere.bin" goes to a third host.
    const mirror = await hostileServer(async (req, res) => {
      if (req.url?.includes('/resolve/') && req.url.endsWith('/elsewhere.bin')) {
        res.writeHead(302, { location: `${third.url}/files/elsewhere.bin` });
        return void res.end();
      }
      const answer = await fetch(`${hub.url}${req.url}`, { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {}, redirect: 'manual' });
      const headers: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        // A mirror rewrites the Hub's absolute links to itself.
        if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection') headers[k] = v.replaceAll(hub.url, mirror.url);
      });
      res.writeHead(answer.status, headers);
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    const home = scratch('scope');
    try {
      await measured('redirect token scope (relative 307, CDN, third host)', { ms: 20_000, rssMB: 150 }, async () => {
        const studio = await openStudio({ ...studioOptions(home, hub), endpoint: mirror.url, token: () => TOKEN });
        try {
          const entry = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: 'mirror/repo' })).id);
          expect(entry.status, entry.errorMessage ?? '').toBe('ready');
        } finally {
          await studio.close();
        }
        const client = new HubClient({ endpoint: mirror.url, token: TOKEN });
        const commit = hub.commitSha('model', 'mirror/repo', 'main');
        expect((await client.readSmallFile({ kind: 'model', repoId: 'mirror/repo' }, commit, 'elsewhere.bin')).toString()).toBe('abcd');
      });
      // Everything the mirror saw carried the token (its relative 307s to /api/resolve-cache/… included) …
      expect(mirror.requests.length).toBeGreaterThan(3);
      expect(mirror.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
      expect(mirror.requests.some((r) => r.url.startsWith('/api/resolve-cache/'))).toBe(true);
      // … nothing the CDN or the third host saw did.
      const cdn = hub.requests.filter((r) => r.server === 'cdn');
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((r) => r.headers['authorization'] === undefined)).toBe(true);
      expect(third.requests).toHaveLength(1);
      expect(third.requests[0]?.authorization).toBeUndefined();
      tally.faultsInjected += 2;
    } finally {
      await third.close();
      await mirror.close();
      await hub.close();
      home.cleanup();
    }
  });
});

function studioOptions(home: Scratch, hub: FakeHub, extra: Partial<StudioOptions> = {}): StudioOptions {
  return {
    catalogFile: home.catalogFile,
    wasmPath,
    cacheRoot: home.cacheRoot,
    endpoint: hub.url,
    transfer: { stallTimeoutMs: 1_000, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 } },
    ...extra,
  };
}

