/** Cancel mid-transfer and resume from the last checkpoint, against a bandwidth-capped fake CDN. */
import * as fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { closeSharedTransferAgent, downloadFile, type ByteRange, type DownloadFileOptions } from '../../../src/core/transfer/index';
import { RangeSet } from '../../../src/core/transfer/ranges';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { BIG, REPOS, TOKENS, WEIGHTS, headerOf, optionsFor, readIfExists } from './fixtures';
import { Reports, coveredBytes, tempDir } from './helpers';

const CDN_BYTES_PER_SECOND = 1_000_000;
/** The fake CDN writes a paced response in chunks of a twentieth of its per-connection rate (test/fake-hub/send.ts). */
const CDN_CHUNK_BYTES = CDN_BYTES_PER_SECOND / 20;
const CONNECTIONS = 4;

/** The counter's value once it has stopped moving for 200 ms (at most 5 s). */
async function settledCount(read: () => number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let last = read();
  for (;;) {
    await delay(200);
    const now = read();
    if (now === last || Date.now() > deadline) return now;
    last = now;
  }
}

let hub: FakeHub;
let tmp: { dir: string; cleanup: () => void };

beforeAll(async () => {
  hub = await startFakeHub({ repos: REPOS, tokens: TOKENS, cdnBytesPerSecondPerConnection: CDN_BYTES_PER_SECOND });
});
afterAll(async () => {
  await hub.close();
  await closeSharedTransferAgent();
});
beforeEach(() => {
  tmp = tempDir('mistudio-resume-');
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
  tmp.cleanup();
});

interface Interrupted {
  readonly error: unknown;
  readonly reports: Reports;
  readonly requestsAtAbort: number;
  readonly checkpointsAtAbort: number;
}

/** Starts a download and aborts it once `abortAfterBytes` have landed, as a user's Cancel/Pause (or a kill) would. */
async function interrupt(options: DownloadFileOptions, abortAfterBytes: number): Promise<Interrupted> {
  const controller = new AbortController();
  const reports = new Reports();
  let requestsAtAbort = -1;
  let checkpointsAtAbort = -1;
  const error = await downloadFile({
    ...options,
    signal: controller.signal,
    onCheckpoint: reports.onCheckpoint,
    onProgress: (delta) => {
      reports.onProgress(delta);
      if (!controller.signal.aborted && reports.progressSum >= abortAfterBytes) {
        requestsAtAbort = hub.requests.length;
        checkpointsAtAbort = reports.checkpoints.length;
        controller.abort();
      }
    },
  }).catch((e: unknown) => e);
  return { error, reports, requestsAtAbort, checkpointsAtAbort };
}

describe('cancel', () => {
  it('aborts every in-flight request, throws Cancelled, keeps the partial and emits a last checkpoint', async () => {
    const options = optionsFor(hub, tmp.dir, 'big.safetensors');
    const run = await interrupt({ ...options, connections: CONNECTIONS, minPartBytes: 512 * 1024 }, 400_000);
    expect(isMistudioError(run.error, 'Cancelled')).toBe(true);
    expect(fs.existsSync(options.finalPath)).toBe(false);
    expect(fs.existsSync(options.partialPath)).toBe(true);

    // A checkpoint after the abort, describing exactly the bytes that landed.
    expect(run.reports.checkpoints.length).toBeGreaterThan(run.checkpointsAtAbort);
    expect(coveredBytes(run.reports.lastCheckpoint!)).toBe(run.reports.progressSum);
    run.reports.expectWellFormedCheckpoints(BIG.length);

    // The server saw no request after the abort, and its responses stopped: nothing more is sent later. The fake
    // CDN (in this process) may still count the one chunk per connection it had handed to its socket when the abort
    // came, until it sees the connection close; after that the count must not move.
    expect(hub.requests.length).toBe(run.requestsAtAbort);
    const sentAtReturn = hub.bytesSent({ server: 'cdn' });
    const settled = await settledCount(() => hub.bytesSent({ server: 'cdn' }));
    expect(settled - sentAtReturn).toBeLessThanOrEqual(CONNECTIONS * CDN_CHUNK_BYTES);
    await delay(300);
    expect(hub.requests.length).toBe(run.requestsAtAbort);
    expect(hub.bytesSent({ server: 'cdn' })).toBe(settled);
    expect(settled).toBeLessThan(BIG.length);
  });

  it('a cancel during a retry wait ends the wait and sends nothing more', async () => {
    hub.setFaults([{ kind: 'status', status: 503, retryAfterSeconds: 30, match: { server: 'hub' } }]);
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const controller = new AbortController();
    const pending = downloadFile({ ...options, signal: controller.signal, retry: { maxAttempts: 10 } });
    while (hub.requests.length === 0) await delay(5);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'Cancelled' });
    await delay(100);
    expect(hub.requests).toHaveLength(1);
  });

  it('an already aborted signal throws Cancelled without any request', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await expect(downloadFile({ ...options, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'Cancelled' });
    expect(hub.requests).toHaveLength(0);
  });
});

describe('resume from a checkpoint (after a kill or pause)', () => {
  it('fetches only the missing tail, seeding the hash from the kept prefix', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const first = await interrupt(options, 300_000);
    expect(isMistudioError(first.error, 'Cancelled')).toBe(true);
    const doneRanges = first.reports.lastCheckpoint!;
    const kept = coveredBytes(doneRanges);
    expect(doneRanges).toEqual([[0, kept]]);
    hub.resetStats();

    const reports = new Reports();
    const result = await downloadFile({ ...options, resume: { doneRanges }, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(result).toEqual({ bytesTransferred: WEIGHTS.length - kept, resumedBytes: kept, restarted: false });
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.map((r) => headerOf(r.headers, 'range'))).toEqual([`bytes=${kept}-${WEIGHTS.length - 1}`]);
    expect(hub.bytesSent({ server: 'cdn' })).toBe(WEIGHTS.length - kept); // kept bytes are not sent again
    expect(kept + reports.progressSum).toBe(WEIGHTS.length);
    reports.expectMonotonicCheckpoints();
  });

  it('resumes a parallel download from scattered ranges and requests only the gaps', async () => {
    const options = { ...optionsFor(hub, tmp.dir, 'big.safetensors'), connections: 4, minPartBytes: 512 * 1024 };
    const first = await interrupt(options, 1_500_000);
    expect(isMistudioError(first.error, 'Cancelled')).toBe(true);
    const doneRanges = first.reports.lastCheckpoint!;
    const kept = coveredBytes(doneRanges);
    expect(doneRanges.length).toBeGreaterThan(1); // several parts were in flight
    hub.resetStats();

    const result = await downloadFile({ ...options, resume: { doneRanges } });
    expect(readIfExists(options.finalPath)?.equals(BIG)).toBe(true);
    expect(result.resumedBytes).toBe(kept);
    expect(result.bytesTransferred).toBe(BIG.length - kept); // every missing byte written once, no kept byte again
    const keptSet = new RangeSet(doneRanges);
    for (const r of hub.requests.filter((x) => x.server === 'cdn')) {
      const match = /^bytes=(\d+)-(\d+)$/.exec(headerOf(r.headers, 'range') ?? '');
      expect(match).not.toBeNull();
      const start = Number(match![1]);
      const end = Number(match![2]) + 1;
      // The requested range overlaps no kept range.
      expect(keptSet.missing(BIG.length).some(([s, e]) => s <= start && end <= e)).toBe(true);
    }
  });

  it('does not trust ranges the partial file cannot hold: starts clean and withdraws them from progress', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    fs.mkdirSync(`${tmp.dir}/blobs`, { recursive: true });
    fs.writeFileSync(options.partialPath, WEIGHTS.subarray(0, 1000));
    const claimed: ByteRange[] = [[0, 500_000]];
    const reports = new Reports();
    const result = await downloadFile({ ...options, resume: { doneRanges: claimed }, onProgress: reports.onProgress });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(reports.deltas[0]).toBe(-500_000);
    expect(500_000 + reports.progressSum).toBe(WEIGHTS.length);
    expect(result.resumedBytes).toBe(0);
    expect(headerOf(hub.requests.find((r) => r.server === 'cdn')!.headers, 'range')).toBeUndefined();
  });

  it('starts clean when the partial file is gone', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const result = await downloadFile({ ...options, resume: { doneRanges: [[0, 200_000]] } });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(result.resumedBytes).toBe(0);
    expect(hub.bytesSent({ server: 'cdn' })).toBe(WEIGHTS.length);
  });

  it('ignores junk left in a partial without resume state', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    fs.mkdirSync(`${tmp.dir}/blobs`, { recursive: true });
    fs.writeFileSync(options.partialPath, Buffer.alloc(WEIGHTS.length + 999, 0xaa));
    await downloadFile(options);
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });

  it('ignores junk left in a partial when the caller kept no ranges (what a download job passes for a new file)', async () => {
    const options = { ...optionsFor(hub, tmp.dir, 'weights.bin'), resume: { doneRanges: [] } };
    fs.mkdirSync(`${tmp.dir}/blobs`, { recursive: true });
    fs.writeFileSync(options.partialPath, Buffer.alloc(WEIGHTS.length + 999, 0xaa));
    await downloadFile(options);
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });

  it('ignores junk left in a partial whose range journal is gone (the partial is kept open, then emptied)', async () => {
    const options = { ...optionsFor(hub, tmp.dir, 'weights.bin'), rangeJournalPath: `${tmp.dir}/blobs/weights.ranges` };
    fs.mkdirSync(`${tmp.dir}/blobs`, { recursive: true });
    fs.writeFileSync(options.partialPath, Buffer.alloc(WEIGHTS.length + 999, 0xaa));
    const result = await downloadFile(options);
    expect(result.resumedBytes).toBe(0);
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });
});
