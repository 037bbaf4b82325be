/**
 * Issue 10, "shared cache, many processes": real `mistudio` processes (the bundled CLI, as `npm run build` makes it)
 * on ONE catalog file and ONE Hugging Face cache, against the fake hub over real sockets. The CDN is capped per
 * connection so that transfers last seconds and overlap; nothing here asserts a duration, only generous deadlines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogEntry } from '../../../src/core/catalog';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import {
  auditCache,
  buildCliBundle,
  contentOf,
  errorLines,
  filesOf,
  isLfs,
  repoFolder,
  runNode,
  scratch,
  sha256Hex,
  startNode,
  verifySnapshot,
  waitFor,
  wasmPath,
  type ChildRun,
  type Scratch,
  type StartedNode,
} from '../robustness/helpers';
import { copyCatalog } from '../support/catalogCopy';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Per CDN connection: a 1 MiB file takes about 4 s, so every download is still moving when the others start. */
const CDN_BYTES_PER_SECOND = 256 * KiB;

function repo(kind: FakeRepo['kind'], id: string, files: Record<string, Buffer | string>): FakeRepo {
  return { kind, id, commits: [{ files: Object.entries(files).map(([p, content]) => ({ path: p, content, lfs: typeof content !== 'string' })) }] };
}

// No *.safetensors here: a download reads a safetensors header with small Range requests of its own, which would
// blur the count of bytes each blob took from the CDN.
const alpha = repo('model', 'many/alpha', {
  'config.json': '{"model_type": "gpt2", "n_layer": 2}\n',
  'pytorch_model.bin': seededBytes(1280 * KiB, 101),
  'tokenizer.json': seededBytes(160 * KiB, 102),
});
const beta = repo('model', 'many/beta', { 'config.json': '{"model_type": "llama"}\n', 'weights.bin': seededBytes(MiB, 111) });
const gamma = repo('dataset', 'many/gamma', {
  'README.md': '# gamma\n',
  'data/train-00000-of-00001.parquet': seededBytes(MiB, 121),
  'data/test-00000-of-00001.parquet': seededBytes(256 * KiB, 122),
});
/** Downloaded by two processes at once: its blob must leave the CDN once. */
const shared = repo('model', 'many/shared', { 'config.json': '{"model_type": "gpt2"}\n', 'pytorch_model.bin': seededBytes(2 * MiB, 131) });
/** In the catalog before the crowd starts; removed while it runs. */
const oldModel = repo('model', 'many/old-model', { 'config.json': '{}\n', 'weights.bin': seededBytes(192 * KiB, 141) });
const oldData = repo('dataset', 'many/old-data', { 'README.md': '# old\n', 'data/all.parquet': seededBytes(192 * KiB, 151) });
/** In the catalog before, and left alone: removals and everyone's saves must not disturb it. */
const untouched = repo('model', 'many/untouched', { 'config.json': '{}\n', 'weights.bin': seededBytes(128 * KiB, 161) });
/** The kill -9 case: its owner dies with half of it landed (see STALL_AT). */
const takeover = repo('model', 'many/takeover', { 'config.json': '{}\n', 'weights.bin': seededBytes(MiB, 171) });
/** Where the CDN holds the owner's connection in the kill -9 case. */
const STALL_AT = 512 * KiB;

const FRESH = [alpha, beta, gamma];
const REMOVED = [oldModel, oldData];
const repoKey = (r: FakeRepo): string => `${r.kind}:${r.id}`;
const listedKey = (e: Listed): string => `${e.kind}:${e.repoId}`;

/** What `mistudio list --json` prints per entry (the fields this test reads). */
interface Listed {
  readonly repoId: string;
  readonly kind: string;
  readonly status: string;
}

/** CDN requests for one blob, whichever path or process asked for it (the URL names the blob's sha256). */
function cdnRequestsOfBlob(hub: FakeHub, content: Buffer): FakeHub['requests'] {
  const marker = `/${sha256Hex(content)}/`;
  return hub.requests.filter((r) => r.server === 'cdn' && r.url.includes(marker) && r.method === 'GET');
}

function cdnBytesOfBlob(hub: FakeHub, content: Buffer): number {
  return cdnRequestsOfBlob(hub, content).reduce((sum, r) => sum + r.bodyBytesSent, 0);
}

/**
 * The most repos whose CDN bytes grew within one sampling interval, over the sampler's life: proof that the
 * downloads really overlapped in time (each transfer lasts seconds at the cap, the interval is a quarter second).
 */
function sampleOverlap(hub: FakeHub, intervalMs = 250): { stop(): number } {
  const last = new Map<string, number>();
  let most = 0;
  const timer = setInterval(() => {
    const now = new Map<string, number>();
    for (const r of hub.requests) {
      if (r.server !== 'cdn') continue;
      // /{kind}s/{owner}/{name}/{sha256}/{path}
      const repoPath = r.url.split('/').slice(1, 4).join('/');
      now.set(repoPath, (now.get(repoPath) ?? 0) + r.bodyBytesSent);
    }
    const moving = [...now].filter(([k, bytes]) => bytes > (last.get(k) ?? 0)).length;
    most = Math.max(most, moving);
    for (const [k, bytes] of now) last.set(k, bytes);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return most;
    },
  };
}

/** The catalog's entry as another process would find it on disk now (a copy, taken under the catalog lock). */
async function entryOnDisk(home: Scratch, target: FakeRepo): Promise<CatalogEntry | undefined> {
  const copy = path.join(home.dir, 'catalog-copy.sqlite');
  await waitFor(() => copyCatalog(home.catalogFile, copy), 'the catalog lock, to copy the catalog', 10_000, 10);
  const catalog = await openCatalog({ file: copy, wasmPath });
  try {
    return catalog.findEntry(target.kind, target.id, 'main');
  } finally {
    await catalog.close();
  }
}

describe('many mistudio processes on one catalog and one cache', () => {
  let hub: FakeHub;
  let cliJs: string;
  let removeBundle: () => void = () => undefined;
  const homes: Scratch[] = [];
  const started: StartedNode[] = [];

  beforeAll(async () => {
    hub = await startFakeHub({
      repos: [...FRESH, shared, ...REMOVED, untouched, takeover],
      cdnBytesPerSecondPerConnection: CDN_BYTES_PER_SECOND,
    });
    const bundle = await buildCliBundle();
    cliJs = bundle.file;
    removeBundle = bundle.cleanup;
  });
  afterEach(() => {
    hub.setFaults([]);
    // A failed assertion must not leave CLIs running into the next test (only ours, by their handles).
    for (const p of started.splice(0)) if (!p.exited()) p.child.kill('SIGKILL');
  });
  afterAll(async () => {
    await hub?.close();
    for (const home of homes) home.cleanup();
    removeBundle();
  });

  function newHome(name: string): { home: Scratch; env: NodeJS.ProcessEnv } {
    const home = scratch(name);
    homes.push(home);
    const env: NodeJS.ProcessEnv = { ...process.env, ...home.env, HF_ENDPOINT: hub.url };
    delete env.MISTUDIO_DEBUG;
    delete env.HF_HUB_OFFLINE;
    return { home, env };
  }

  function cli(args: readonly string[], env: NodeJS.ProcessEnv): StartedNode {
    const child = startNode([cliJs, ...args], env);
    started.push(child);
    return child;
  }

  const kindFlag = (r: FakeRepo): string[] => (r.kind === 'dataset' ? ['--dataset'] : []);
  const downloadArgs = (r: FakeRepo): string[] => ['download', r.id, ...kindFlag(r)];
  const rmArgs = (r: FakeRepo): string[] => ['rm', r.id, ...kindFlag(r)];

  /** A clean exit: code 0, and not one error or warning line (no process here crashes, so none is expected). */
  function expectClean(run: ChildRun, label: string): void {
    expect(errorLines(run.stderr), `${label}: ${run.stderr}`).toEqual([]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('mistudio: warning:')), label).toEqual([]);
    expect({ code: run.code, signal: run.signal }, `${label}: ${run.stderr}`).toEqual({ code: 0, signal: null });
  }

  it('downloads (one repo by two processes at once), removals and a list poller, all at once', { timeout: 90_000 }, async () => {
    const { home, env } = newHome('many');
    const before = [...REMOVED, untouched];
    const setup = await Promise.all(before.map((r) => runNode([cliJs, ...downloadArgs(r)], env)));
    setup.forEach((run, i) => expectClean(run, `setup download of ${before[i]!.id}`));
    hub.resetStats();

    const phaseStarted = Date.now();
    const overlap = sampleOverlap(hub);
    const downloads = [...FRESH, shared, shared].map((r) => ({ repo: r, proc: cli(downloadArgs(r), env) }));
    const downloadersAlive = (r: FakeRepo): boolean => downloads.some((d) => d.repo === r && !d.proc.exited());
    // The removals start once bytes flow: the downloaders are then saving progress into the same catalog.
    await waitFor(() => hub.bytesSent({ server: 'cdn' }) > 0, 'the first CDN bytes');
    const removals = REMOVED.map((r) => {
      const proc = cli(rmArgs(r), env);
      const removal = { repo: r, proc, removedAt: Number.POSITIVE_INFINITY };
      void proc.result.then((run) => {
        if (run.code === 0) removal.removedAt = Date.now();
      });
      return removal;
    });

    // The poller: `list --json` again and again while anything runs. Each `list` is itself a full process on the
    // catalog (it reconciles at start), so it is one more writer in the crowd, not only an observer.
    const pausedWhileOwnerLived: string[] = [];
    const unexpectedStatus: string[] = [];
    const resurrected: string[] = [];
    const failedPolls: string[] = [];
    let polls = 0;
    let downloadingSightings = 0;
    const busy = (): boolean => [...downloads, ...removals].some((p) => !p.proc.exited());
    while (busy()) {
      const pollStarted = Date.now();
      const alive = new Set([...FRESH, shared].filter(downloadersAlive).map(repoKey));
      const gone = new Set(removals.filter((r) => r.removedAt < pollStarted).map((r) => repoKey(r.repo)));
      const run = await cli(['list', '--json'], env).result;
      polls += 1;
      if (run.code !== 0 || errorLines(run.stderr).length > 0) {
        failedPolls.push(`poll ${polls}: exit ${run.code}: ${run.stderr}`);
        continue;
      }
      for (const e of JSON.parse(run.stdout) as Listed[]) {
        const where = `poll ${polls}: ${listedKey(e)} ${e.status}`;
        if (e.status === 'paused' && alive.has(listedKey(e))) pausedWhileOwnerLived.push(where);
        else if (!['queued', 'downloading', 'ready'].includes(e.status)) unexpectedStatus.push(where);
        if (gone.has(listedKey(e))) resurrected.push(where);
        if (e.status === 'downloading') downloadingSightings += 1;
      }
    }
    const mostMovingAtOnce = overlap.stop();
    const phaseMs = Date.now() - phaseStarted;

    const downloadRuns = await Promise.all(downloads.map((d) => d.proc.result));
    downloadRuns.forEach((run, i) => expectClean(run, `download of ${downloads[i]!.repo.id}`));
    for (const r of removals) expectClean(await r.proc.result, `rm of ${r.repo.id}`);
    expect(failedPolls).toEqual([]);
    expect(pausedWhileOwnerLived, 'entries shown paused while the process downloading them lived').toEqual([]);
    expect(unexpectedStatus).toEqual([]);
    expect(resurrected, 'removed entries that came back after their rm had finished').toEqual([]);
    // Without these the checks above would hold vacuously: the poller saw downloads in flight, and they overlapped.
    expect(downloadingSightings, 'entries the poller saw downloading').toBeGreaterThan(0);
    expect(mostMovingAtOnce, 'repos whose CDN transfers moved at the same moment').toBeGreaterThanOrEqual(2);

    // The two downloads of one repo: one entry, one snapshot, and its blob left the CDN exactly once.
    const sharedRuns = downloadRuns.filter((_, i) => downloads[i]!.repo === shared);
    const sharedBlob = contentOf(filesOf(shared).find(isLfs)!);
    expect(sharedRuns.map((r) => r.stdout.trim())).toEqual(Array(2).fill(sharedRuns[0]!.stdout.trim()));
    // No blob of any download was sent twice (a second, parallel download of anything would show here).
    const sentPerBlob = [...FRESH, shared].flatMap((r) => filesOf(r).filter(isLfs).map((f) => ({ file: `${r.id}/${f.path}`, size: contentOf(f).length, sent: cdnBytesOfBlob(hub, contentOf(f)) })));
    expect(sentPerBlob.filter((b) => b.sent !== b.size)).toEqual([]);

    // The end state: what was downloaded is ready and byte-exact, what was removed is gone and stays gone.
    const final = await runNode([cliJs, 'list', '--json'], env);
    expectClean(final, 'final list');
    const listed = (JSON.parse(final.stdout) as Listed[]).map((e) => `${listedKey(e)} ${e.status}`).sort();
    expect(listed).toEqual([...FRESH, shared, untouched].map((r) => `${repoKey(r)} ready`).sort());
    let verifiedBytes = 0;
    for (const r of [...FRESH, shared, untouched]) verifiedBytes += verifySnapshot(hub, home.cacheRoot, r);
    for (const r of REMOVED) expect(fs.existsSync(repoFolder(home.cacheRoot, r.kind, r.id)), `${r.id} left in the cache`).toBe(false);
    const audit = auditCache(home.cacheRoot);
    expect(audit.problems).toEqual([]);
    expect([...audit.partials.keys()]).toEqual([]);

    console.log(
      `[many processes] ${downloads.length} downloads + ${removals.length} rm + ${polls} list polls on one catalog in ${(phaseMs / 1000).toFixed(1)} s; ` +
        `${mostMovingAtOnce} repos moving at once; ${downloadingSightings} in-flight sightings; ${verifiedBytes} bytes verified; ` +
        `the blob both fetched: ${cdnBytesOfBlob(hub, sharedBlob)} CDN bytes for ${sharedBlob.length}`,
    );
  });

  it('kill -9 of the CLI owning a download: a second CLI already following it takes it over and finishes it', { timeout: 90_000 }, async () => {
    const { home, env } = newHome('many-kill');
    hub.resetStats();
    const weights = contentOf(filesOf(takeover).find((f) => f.path === 'weights.bin')!);
    const partial = path.join(repoFolder(home.cacheRoot, 'model', takeover.id), 'blobs', `${sha256Hex(weights)}.mistudio.incomplete`);
    const partialSize = (): number => fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
    const phaseStarted = Date.now();

    // A known moment mid-transfer: the CDN sends the first half and then holds the connection open, so the owner is
    // alive and downloading for as long as the test needs, however slowly this machine starts the second process.
    hub.setFaults([{ kind: 'stall', afterBytes: STALL_AT, ms: 60_000, times: 1, match: { server: 'cdn', path: new RegExp(sha256Hex(weights)) } }]);
    const owner = cli(downloadArgs(takeover), env);
    await waitFor(() => partialSize() >= STALL_AT || owner.exited(), 'the owner to land the first half');
    const ownerId = (await entryOnDisk(home, takeover))?.owner;
    expect(ownerId, 'the downloading entry names its owner').toEqual(expect.any(String));

    const follower = cli(downloadArgs(takeover), env);
    // Its plan line comes just before it enqueues and starts following the entry.
    await waitFor(() => follower.output().stderr.includes(`${takeover.id}@main (`) || follower.exited(), 'the second process to plan');
    // Longer than one owner check (2 s): time enough to start a second download or take this one, if it would.
    await sleep(2_500);
    expect(owner.exited(), `the owner still downloads: ${owner.output().stderr}`).toBe(false);
    expect(follower.exited(), `the follower still follows: ${follower.output().stderr}`).toBe(false);
    expect(cdnRequestsOfBlob(hub, weights), 'CDN requests for the blob while its owner lives').toHaveLength(1);
    expect((await entryOnDisk(home, takeover))?.owner, 'the entry still belongs to the first process').toBe(ownerId);

    owner.child.kill('SIGKILL');
    const killed = await owner.result;
    expect(killed.signal).toBe('SIGKILL');
    const sentBeforeKill = cdnBytesOfBlob(hub, weights);
    expect(sentBeforeKill).toBe(STALL_AT);

    const finished = await follower.result;
    expectClean(finished, 'the follower');
    verifySnapshot(hub, home.cacheRoot, takeover);
    const afterKill = cdnRequestsOfBlob(hub, weights).slice(1);
    const rangeStart = (header: unknown): number => Number(/^bytes=(\d+)-/.exec(String(header ?? ''))?.[1] ?? 0);
    expect(afterKill.length, 'the follower fetched the rest').toBeGreaterThan(0);
    expect(rangeStart(afterKill[0]!.headers.range), 'the follower resumed from the kept bytes').toBeGreaterThan(0);
    // Sent twice: what the owner had received but not recorded when it died. Nothing was in flight during the stall,
    // so this is ~0; the bound (two seconds at the cap, a catalog checkpoint and more) leaves room for a slow journal.
    const resent = cdnBytesOfBlob(hub, weights) - weights.length;
    expect(resent).toBeLessThanOrEqual(2 * CDN_BYTES_PER_SECOND);

    const final = await runNode([cliJs, 'list', '--json'], env);
    expectClean(final, 'final list');
    expect((JSON.parse(final.stdout) as Listed[]).map((e) => `${listedKey(e)} ${e.status}`)).toEqual([`${repoKey(takeover)} ready`]);
    expect([...auditCache(home.cacheRoot).partials.keys()]).toEqual([]);

    console.log(
      `[many processes] kill -9 takeover of a ${weights.length}-byte blob: ${sentBeforeKill} sent before the kill, ` +
        `${cdnBytesOfBlob(hub, weights) - sentBeforeKill} after, ${resent} re-sent; ${((Date.now() - phaseStarted) / 1000).toFixed(1)} s`,
    );
  });
});
