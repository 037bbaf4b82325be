import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub, type FakeRepo, type FaultRule, type RequestRecord } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { auditCache, cliInProcess, errorLines, hasStackTrace, repoFolder, scratch, verifySnapshot, type CliResult, type Scratch } from './helpers';
import { createTally, writeTally } from './summary';

const SIZE = 384 * 1024;
const WEIGHTS = 'weights.bin';
const NOTES = 'notes.txt';

function faultyRepo(kind: 'model' | 'dataset'): FakeRepo {
  return {
    kind,
    id: kind === 'model' ? 'faults/model' : 'faults/data',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"model_type": "faulty"}\n' },
          // A regular git file large enough to cut mid-body, served by the hub itself (verified by git sha1).
          { path: NOTES, content: seededBytes(8 * 1024, 3).toString('base64'), lfs: false },
          { path: WEIGHTS, content: seededBytes(SIZE, 4), lfs: true },
        ],
      },
    ],
  };
}

const cdn = { path: WEIGHTS, server: 'cdn' } as const;
const hubResolve = (file: string) => ({ path: file, server: 'hub' }) as const;

const requestsFor = (hub: FakeHub, server: 'hub' | 'cdn', file: string): RequestRecord[] =>
  hub.requests.filter((r) => r.server === server && r.url.split('?')[0]!.endsWith(`/${file}`));

interface Scenario {
  readonly name: string;
  readonly kind?: 'model' | 'dataset';
  readonly faults: FaultRule[];
  /** How the first run must end. */
  readonly outcome: 'ready' | { readonly code: string; readonly message: RegExp };
  /** The CLI plans before it adds the entry: a failure there leaves no catalog entry at all. */
  readonly failsWhilePlanning?: true;
  /** Asserts the fault really happened (from the hub's request log) and returns how many faulty answers were sent. */
  readonly injected: (hub: FakeHub) => number;
}

const scenarios: Scenario[] = [
  {
    name: 'dropped connection mid-body → resumed with Range',
    faults: [{ kind: 'drop-after', bytes: 100_000, match: cdn, times: 1 }],
    outcome: 'ready',
    injected: (hub) => {
      const reqs = requestsFor(hub, 'cdn', WEIGHTS);
      expect(reqs.map((r) => String(r.headers.range ?? ''))).toContain(`bytes=100000-${SIZE - 1}`);
      return 1;
    },
  },
  {
    name: 'dropped connection of a dataset file → the same resume path',
    kind: 'dataset',
    faults: [{ kind: 'drop-after', bytes: 64 * 1024, match: cdn, times: 2 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'cdn', WEIGHTS).length).toBe(3);
      return 2;
    },
  },
  {
    name: 'HTTP 500 twice from the CDN → retried',
    faults: [{ kind: 'status', status: 500, match: cdn, times: 2 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'cdn', WEIGHTS).map((r) => r.status)).toEqual([500, 500, 200]);
      return 2;
    },
  },
  {
    name: 'HTTP 503 twice from the hub resolve endpoint → retried',
    faults: [{ kind: 'status', status: 503, match: hubResolve(WEIGHTS), times: 2 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'hub', WEIGHTS).map((r) => r.status)).toEqual([503, 503, 302]);
      return 2;
    },
  },
  {
    name: 'HTTP 429 with Retry-After → waited and retried',
    faults: [{ kind: 'status', status: 429, retryAfterSeconds: 1, match: cdn, times: 1 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'cdn', WEIGHTS).map((r) => r.status)).toEqual([429, 200]);
      return 1;
    },
  },
  {
    name: 'a stall mid-body shorter than the watchdog → the transfer carries on',
    faults: [{ kind: 'stall', afterBytes: 64 * 1024, ms: 1_500, match: cdn, times: 1 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'cdn', WEIGHTS).length).toBeGreaterThanOrEqual(1);
      return 1;
    },
  },
  {
    name: 'a stalled answer while planning (tree listing) → planning waits it out',
    faults: [{ kind: 'stall', afterBytes: 1, ms: 1_000, match: { server: 'hub', path: /\/api\/models\/.+\/tree\// }, times: 1 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(hub.requests.some((r) => r.server === 'hub' && r.url.includes('/tree/'))).toBe(true);
      return 1;
    },
  },
  {
    name: 'truncated LFS body (clean end, fewer bytes) → completed with Range',
    faults: [{ kind: 'truncate', bytes: 150_000, match: cdn, times: 1 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'cdn', WEIGHTS).map((r) => String(r.headers.range ?? ''))).toContain(`bytes=150000-${SIZE - 1}`);
      return 1;
    },
  },
  {
    name: 'truncated regular file from the hub → completed',
    faults: [{ kind: 'truncate', bytes: 3_000, match: hubResolve(NOTES), times: 1 }],
    outcome: 'ready',
    injected: (hub) => {
      expect(requestsFor(hub, 'hub', NOTES).length).toBeGreaterThanOrEqual(2);
      return 1;
    },
  },
  {
    name: 'a server that ignores Range after a drop → the file restarts cleanly',
    faults: [
      { kind: 'drop-after', bytes: 100_000, match: cdn, times: 1 },
      { kind: 'ignore-range', match: cdn },
    ],
    outcome: 'ready',
    injected: (hub) => {
      const reqs = requestsFor(hub, 'cdn', WEIGHTS);
      expect(reqs.map((r) => r.status)).toEqual([200, 200]);
      expect(String(reqs[1]!.headers.range ?? '')).not.toBe('');
      return 2;
    },
  },
  {
    name: 'wrong bytes in the LFS body → ChecksumMismatch, nothing placed',
    faults: [{ kind: 'corrupt', match: cdn, times: 1 }],
    outcome: { code: 'ChecksumMismatch', message: /checksum mismatch/i },
    injected: () => 1,
  },
  {
    name: 'wrong bytes in a regular file → its git sha1 check fails',
    faults: [{ kind: 'corrupt', match: hubResolve(NOTES), times: 1 }],
    outcome: { code: 'ChecksumMismatch', message: /checksum mismatch/i },
    injected: () => 1,
  },
  {
    name: '302 to a CDN that answers 404 → EntryNotFound naming the file',
    faults: [{ kind: 'not-found', match: cdn }],
    outcome: { code: 'EntryNotFound', message: new RegExp(WEIGHTS) },
    injected: (hub) => {
      expect(requestsFor(hub, 'hub', WEIGHTS).map((r) => r.status)).toContain(302);
      return requestsFor(hub, 'cdn', WEIGHTS).filter((r) => r.status === 404).length;
    },
  },
  {
    name: 'HTTP 503 on every CDN request → gives up with one clear line',
    faults: [{ kind: 'status', status: 503, match: cdn }],
    outcome: { code: 'Http', message: /Download of weights\.bin failed .*HTTP 503/ },
    injected: (hub) => requestsFor(hub, 'cdn', WEIGHTS).filter((r) => r.status === 503).length,
  },
  {
    name: 'HTTP 503 twice on the tree listing while planning → asked again with backoff, ready',
    faults: [{ kind: 'status', status: 503, match: { server: 'hub', path: /\/api\/models\/.+\/tree\// }, times: 2 }],
    outcome: 'ready',
    injected: (hub) => {
      const tree = hub.requests.filter((r) => r.url.includes('/tree/')).map((r) => r.status);
      // The CLI's plan retried through both 503s; the download job lists again later, answered at once.
      expect(tree.slice(0, 3)).toEqual([503, 503, 200]);
      expect(tree.slice(3).every((status) => status === 200)).toBe(true);
      return 2;
    },
  },
  {
    name: 'HTTP 503 on every tree listing while planning → one clear line once retries run out, nothing written',
    faults: [{ kind: 'status', status: 503, match: { server: 'hub', path: /\/api\/models\/.+\/tree\// } }],
    outcome: { code: 'Http', message: /answered HTTP 503/ },
    failsWhilePlanning: true,
    injected: (hub) => {
      const tree = hub.requests.filter((r) => r.url.includes('/tree/')).map((r) => r.status);
      // The metadata retry policy: five attempts in all, every one answered 503.
      expect(tree).toEqual([503, 503, 503, 503, 503]);
      return tree.length;
    },
  },
];

interface Run extends CliResult {
  readonly entry: { status: string; error: { code: string; message: string } | null } | undefined;
}

async function download(home: Scratch, hub: FakeHub, repo: FakeRepo): Promise<Run> {
  const env = { ...home.env, HF_ENDPOINT: hub.url };
  const r = await cliInProcess(['download', repo.id, ...(repo.kind === 'dataset' ? ['--dataset'] : [])], env, home.dir);
  const list = await cliInProcess(['list', '--json'], env, home.dir);
  const entries = JSON.parse(list.stdout) as Array<{ repoId: string; status: string; error: { code: string; message: string } | null }>;
  expect(entries.filter((e) => e.repoId === repo.id).length).toBeLessThanOrEqual(1);
  return { ...r, entry: entries.find((e) => e.repoId === repo.id) };
}

describe.concurrent('faults from the fake hub, end to end through the CLI', () => {
  const tally = createTally();
  afterAll(async () => {
    await writeTally('faultsCli', tally);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', { timeout: 60_000 }, async (_name, scenario) => {
    const repo = faultyRepo(scenario.kind ?? 'model');
    const hub = await startFakeHub({ repos: [repo] });
    const home = scratch('faults');
    try {
      hub.setFaults(scenario.faults);
      const first = await download(home, hub, repo);
      // Evidence of the fault, read before any retry adds requests of its own.
      const injected = scenario.injected(hub);
      expect(injected).toBeGreaterThan(0);
      const folder = repoFolder(home.cacheRoot, repo.kind, repo.id);
      expect(hasStackTrace(first.stderr), first.stderr).toBe(false);
      // Nothing half-visible, whatever the outcome: no wrong blob, no link to a missing blob or a partial.
      expect(auditCache(home.cacheRoot).problems).toEqual([]);

      if (scenario.outcome === 'ready') {
        expect(first.stderr).not.toMatch(/error/i);
        expect(first.code).toBe(0);
        expect(first.entry?.status).toBe('ready');
        tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, repo);
        expect([...auditCache(home.cacheRoot).partials.keys()]).toEqual([]);
      } else {
        expect(first.code).toBe(1);
        const lines = errorLines(first.stderr);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(scenario.outcome.message);
        expect(lines[0]!.length).toBeLessThan(300);
        // A failed download never writes the ref, so no tool sees a half-populated revision as the branch head.
        expect(fs.existsSync(path.join(folder, 'refs', 'main'))).toBe(false);
        if (scenario.failsWhilePlanning) {
          expect(first.entry).toBeUndefined();
          expect(fs.existsSync(folder)).toBe(false);
        } else {
          expect(first.entry?.status).toBe('error');
          expect(first.entry?.error?.code).toBe(scenario.outcome.code);
        }
        // With the fault gone, the same command resumes and ends verified.
        hub.setFaults([]);
        const retry = await download(home, hub, repo);
        expect(retry.stderr).not.toMatch(/error/i);
        expect(retry.code).toBe(0);
        expect(retry.entry?.status).toBe('ready');
        tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, repo);
        expect(auditCache(home.cacheRoot).problems).toEqual([]);
        expect([...auditCache(home.cacheRoot).partials.keys()]).toEqual([]);
      }
      tally.faultsInjected += injected;
      tally.scenarios += 1;
    } finally {
      hub.setFaults([]);
      await hub.close();
      home.cleanup();
    }
  });
});
