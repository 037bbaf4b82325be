import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scanCacheDir } from '@huggingface/hub';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCache } from '../../../src/core/cache';
import type { FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { bigRepo, cdnBytes, fileOf, repoFolder, sha256Hex, startEnv, waitForProgress, waitForStatus, type StudioEnv } from './helpers';

const SIZE = 1024 * 1024;
const BPS = 512 * 1024;
/** Bytes that may be re-sent after a stop: what was in flight between the last write and the abort. */
const SLACK = 96 * 1024;
/** A quiet period after a stop in which no request may start (a negative check, not a speed assertion). */
const QUIET_MS = 400;

const slow = bigRepo('test/slow', SIZE, 7);
const other = bigRepo('test/other', SIZE, 8);
const slowDataset = bigRepo('test/slow-data', SIZE, 9, 'dataset');
/** One blob under two paths: transferred once, resumed from whichever path carries its state. */
const twins: FakeRepo = {
  kind: 'model',
  id: 'test/twins',
  commits: [{ files: [{ path: 'a.bin', content: seededBytes(SIZE, 11) }, { path: 'copy/a.bin', content: seededBytes(SIZE, 11) }] }],
};
const WEIGHTS = 'weights.bin';
const PARQUET = 'data/train-00000-of-00001.parquet';

function blobsDir(env: StudioEnv, repoId: string, kind: 'model' | 'dataset' = 'model'): string {
  return path.join(repoFolder(env.cacheRoot, kind, repoId), 'blobs');
}

function partials(env: StudioEnv, repoId: string, kind: 'model' | 'dataset' = 'model'): string[] {
  const dir = blobsDir(env, repoId, kind);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.incomplete')) : [];
}

/** The transfer's range journals (blobs/<id>.incomplete.ranges), which must go wherever their partial goes. */
function journals(env: StudioEnv, repoId: string, kind: 'model' | 'dataset' = 'model'): string[] {
  const dir = blobsDir(env, repoId, kind);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.incomplete.ranges')) : [];
}

describe('Studio cancel, pause and resume', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [slow, other, slowDataset, twins], cdnBytesPerSecondPerConnection: BPS } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it.each([
    { kind: 'model' as const, repo: slow, file: WEIGHTS },
    { kind: 'dataset' as const, repo: slowDataset, file: PARQUET },
  ])('cancel of a $kind stops at once, starts no request afterwards, removes partials, marks it cancelled without error', async ({ kind, repo, file }) => {
    const { studio, hub } = env;
    const entry = await studio.enqueue({ kind, repoId: repo.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone >= 128 * 1024);
    expect(partials(env, repo.id, kind)).toHaveLength(1);
    // The journal is appended right after a write lands; give that append a moment to reach the file.
    for (let i = 0; i < 100 && journals(env, repo.id, kind).length === 0; i++) await sleep(20);
    expect(journals(env, repo.id, kind)).toEqual([`${sha256Hex(fileOf(repo, file))}.mistudio.incomplete.ranges`]);

    await studio.cancel(entry.id);
    const requestsAtCancel = hub.requests.length;
    const bytesAtCancel = cdnBytes(hub, file);
    const cancelled = studio.catalog.getEntry(entry.id)!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.errorCode).toBeNull();
    expect(cancelled.errorMessage).toBeNull();
    expect(partials(env, repo.id, kind)).toEqual([]);
    expect(journals(env, repo.id, kind)).toEqual([]);
    const big = studio.files(entry.id).find((f) => f.path === file)!;
    expect(big.state).toBe('pending');
    expect(big.bytesDone).toBe(0);
    expect(big.doneRanges).toEqual([]);
    expect(studio.catalog.listJobs({ entryId: entry.id })).toEqual([]);
    expect((await studio.whenSettled(entry.id)).status).toBe('cancelled');
    await studio.whenIdle();

    await sleep(QUIET_MS);
    expect(hub.requests.slice(requestsAtCancel)).toEqual([]);
    expect(cdnBytes(hub, file) - bytesAtCancel).toBeLessThanOrEqual(SLACK);
    expect(cdnBytes(hub, file)).toBeLessThan(SIZE);
    expect(fs.existsSync(path.join(blobsDir(env, repo.id, kind), sha256Hex(fileOf(repo, file))))).toBe(false);
  });

  it('pause keeps the partial and its ranges; resume completes without re-sending kept bytes', async () => {
    const { studio, hub } = env;
    const entry = await studio.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone >= SIZE * 0.3);
    await studio.pause(entry.id);
    const requestsAtPause = hub.requests.length;

    const paused = studio.catalog.getEntry(entry.id)!;
    expect(paused.status).toBe('paused');
    expect(paused.errorCode).toBeNull();
    const file = studio.files(entry.id).find((f) => f.path === WEIGHTS)!;
    expect(file.state).toBe('partial');
    expect(file.doneRanges.length).toBeGreaterThan(0);
    const kept = file.doneRanges.reduce((s, [a, b]) => s + (b - a), 0);
    expect(kept).toBe(file.bytesDone);
    expect(kept).toBeGreaterThanOrEqual(SIZE * 0.25);
    const [partial] = partials(env, slow.id);
    expect(partial).toBe(`${sha256Hex(fileOf(slow, WEIGHTS))}.mistudio.incomplete`);
    expect(fs.statSync(path.join(blobsDir(env, slow.id), partial!)).size).toBeGreaterThanOrEqual(Math.max(...file.doneRanges.map(([, b]) => b)));
    expect(paused.bytesDone).toBeGreaterThanOrEqual(kept);
    expect(studio.catalog.listJobs({ type: 'download', entryId: entry.id }).map((j) => j.state)).toEqual(['pending']);
    await sleep(QUIET_MS);
    expect(hub.requests.slice(requestsAtPause)).toEqual([]);
    // The paused partial's range journal sits beside it, and neither our scan nor huggingface_hub's minds it.
    expect(journals(env, slow.id)).toEqual([`${partial!}.ranges`]);
    expect((await scanCache(env.cacheRoot)).warnings).toEqual([]);
    expect((await scanCacheDir(env.cacheRoot)).warnings).toEqual([]);

    const sentBefore = cdnBytes(hub, WEIGHTS);
    const resumed = await studio.resume(entry.id);
    expect(['queued', 'downloading']).toContain(resumed.status);
    const done = await studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    expect(done.bytesDone).toBe(done.bytesTotal);
    const blob = fs.readFileSync(path.join(blobsDir(env, slow.id), sha256Hex(fileOf(slow, WEIGHTS))));
    expect(blob.equals(fileOf(slow, WEIGHTS))).toBe(true);
    expect(partials(env, slow.id)).toEqual([]);
    expect(journals(env, slow.id)).toEqual([]);
    // The resumed request asked for the rest only, and the CDN sent about that much.
    const ranges = hub.requests.slice(requestsAtPause).filter((r) => r.server === 'cdn').map((r) => String(r.headers.range ?? ''));
    expect(ranges.some((r) => /^bytes=[1-9]\d*-/.test(r))).toBe(true);
    expect(cdnBytes(hub, WEIGHTS) - sentBefore).toBeLessThanOrEqual(SIZE - kept + SLACK);
    expect(cdnBytes(hub, WEIGHTS)).toBeLessThanOrEqual(SIZE + SLACK);
    expect(studio.catalog.listJobs({ entryId: entry.id })).toEqual([]);
  });

  it('a blob stored under two paths is fetched once and resumes without re-sending', async () => {
    const { studio, hub } = env;
    const entry = await studio.enqueue({ kind: 'model', repoId: twins.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone >= SIZE * 0.3);
    await studio.pause(entry.id);
    const kept = Math.max(...studio.files(entry.id).map((f) => f.bytesDone));
    expect(kept).toBeGreaterThan(0);
    const sentBefore = cdnBytes(hub, 'a.bin');
    await studio.resume(entry.id);
    const done = await studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    expect(done.bytesDone).toBe(2 * SIZE);
    for (const p of ['a.bin', 'copy/a.bin']) expect(fs.readFileSync(path.join(done.snapshotPath!, p)).equals(fileOf(twins, p)), p).toBe(true);
    expect(cdnBytes(hub, 'a.bin') - sentBefore).toBeLessThanOrEqual(SIZE - kept + SLACK);
    expect(cdnBytes(hub, 'a.bin')).toBeLessThanOrEqual(SIZE + SLACK);
  });

  it('cancelling a paused entry removes the partial it kept', async () => {
    const { studio } = env;
    const entry = await studio.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone >= 64 * 1024);
    await studio.pause(entry.id);
    expect(partials(env, slow.id)).toHaveLength(1);
    await studio.cancel(entry.id);
    expect(studio.catalog.getEntry(entry.id)?.status).toBe('cancelled');
    expect(partials(env, slow.id)).toEqual([]);
    expect(studio.files(entry.id).every((f) => f.state === 'verified' || (f.bytesDone === 0 && f.doneRanges.length === 0))).toBe(true);
    // A cancelled entry can be downloaded again from scratch.
    const again = await studio.whenSettled((await studio.resume(entry.id)).id);
    expect(again.status).toBe('ready');
  });

  it('pause and cancel of entries still waiting for a slot never start them; resume queues them again', async () => {
    const { studio, hub } = env;
    studio.updateSettings({ maxConcurrentDownloads: 1 });
    const first = await studio.enqueue({ kind: 'model', repoId: slow.id });
    const waitingToPause = await studio.enqueue({ kind: 'model', repoId: other.id });
    const waitingToCancel = await studio.enqueue({ kind: 'model', repoId: 'test/slow', revision: hub.commitSha('model', slow.id, 'main') });
    expect(studio.catalog.getEntry(waitingToPause.id)?.status).toBe('queued');
    expect(studio.catalog.getEntry(waitingToCancel.id)?.status).toBe('queued');
    await waitForStatus(studio, first.id, 'downloading');

    await studio.pause(waitingToPause.id);
    await studio.cancel(waitingToCancel.id);
    expect(studio.catalog.getEntry(waitingToPause.id)?.status).toBe('paused');
    expect(studio.catalog.getEntry(waitingToCancel.id)?.status).toBe('cancelled');
    expect(studio.catalog.getEntry(first.id)?.status).toBe('downloading');
    expect(await studio.whenSettled(first.id)).toMatchObject({ status: 'ready' });
    await studio.whenIdle();
    expect(hub.requests.some((r) => r.url.includes(other.id))).toBe(false);
    expect(studio.catalog.getEntry(waitingToPause.id)?.status).toBe('paused');

    await studio.resume(waitingToPause.id);
    expect((await studio.whenSettled(waitingToPause.id)).status).toBe('ready');
  });
});

describe('Studio pause and resume of a file fetched in parallel ranges', () => {
  const big = bigRepo('test/parallel', 2 * SIZE, 10);
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({
      hub: { repos: [big], cdnBytesPerSecondPerConnection: BPS / 2 },
      studio: { maxConnectionsPerFile: 4, transfer: { minPartBytes: 256 * 1024 } },
    });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('keeps the ranges of every part and fetches only the gaps on resume', async () => {
    const { studio, hub } = env;
    const entry = await studio.enqueue({ kind: 'model', repoId: big.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone >= 2 * SIZE * 0.3);
    await studio.pause(entry.id);
    const file = studio.files(entry.id).find((f) => f.path === WEIGHTS)!;
    const kept = file.doneRanges.reduce((s, [a, b]) => s + (b - a), 0);
    expect(kept).toBe(file.bytesDone);
    // Several parts were under way: the kept bytes are not one prefix.
    expect(file.doneRanges.length).toBeGreaterThan(1);
    const parallel = hub.requests.filter((r) => r.server === 'cdn' && String(r.headers.range ?? '').startsWith('bytes='));
    expect(parallel.length).toBeGreaterThan(1);

    const sentBefore = cdnBytes(hub, WEIGHTS);
    await studio.resume(entry.id);
    const done = await studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    const blob = path.join(blobsDir(env, big.id), sha256Hex(fileOf(big, WEIGHTS)));
    expect(fs.readFileSync(blob).equals(fileOf(big, WEIGHTS))).toBe(true);
    expect(cdnBytes(hub, WEIGHTS) - sentBefore).toBeLessThanOrEqual(2 * SIZE - kept + 4 * SLACK);
  });
});
