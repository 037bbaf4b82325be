/** downloadFile under the fake Hub's injected faults: every retry path, Range ignored, corruption, full disks. */
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { closeSharedTransferAgent, downloadFile } from '../../../src/core/transfer/index';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { BIG, CONFIG, REPOS, TOKENS, WEIGHTS, headerOf, optionsFor, readIfExists } from './fixtures';
import { Reports, coveredBytes, failingWrites, sha256Of, tempDir } from './helpers';

let hub: FakeHub;
let tmp: { dir: string; cleanup: () => void };

beforeAll(async () => {
  hub = await startFakeHub({ repos: REPOS, tokens: TOKENS });
});
afterAll(async () => {
  await hub.close();
  await closeSharedTransferAgent();
});
beforeEach(() => {
  tmp = tempDir('mistudio-faults-');
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
  tmp.cleanup();
});

const cdnRequests = (): FakeHub['requests'] => hub.requests.filter((r) => r.server === 'cdn');

/**
 * After dropped connections: the client wrote every byte exactly once (bytesTransferred = size, so no kept byte
 * was fetched again), each retry asked only for a later start, and the last request carried exactly the rest.
 * (The server may have sent more than the client kept: bytes still in undici's buffers die with the socket.)
 */
function expectResumedWithoutResending(bytesTransferred: number, requests: number): void {
  expect(bytesTransferred).toBe(WEIGHTS.length);
  const cdn = cdnRequests();
  expect(cdn).toHaveLength(requests);
  expect(headerOf(cdn[0]!.headers, 'range')).toBeUndefined();
  const starts = cdn.slice(1).map((r) => Number(/^bytes=(\d+)-(\d+)$/.exec(headerOf(r.headers, 'range') ?? '')?.[1]));
  for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1]!);
  expect(starts[0]).toBeGreaterThan(0);
  const last = cdn.at(-1)!;
  expect(last.bodyBytesSent).toBe(WEIGHTS.length - starts.at(-1)!);
}

describe('retries continue from where the bytes stopped', () => {
  it('a dropped connection resumes with Range, and kept bytes are not sent again', async () => {
    hub.setFaults([{ kind: 'drop-after', bytes: 300_000, match: { server: 'cdn' }, times: 1 }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const reports = new Reports();
    const result = await downloadFile({ ...options, onProgress: reports.onProgress });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expectResumedWithoutResending(result.bytesTransferred, 2);
    expect(reports.progressSum).toBe(WEIGHTS.length);
  });

  it('a truncated body (clean end, fewer bytes than announced) is retried from its end', async () => {
    hub.setFaults([{ kind: 'truncate', bytes: 70_000, match: { server: 'cdn' }, times: 1 }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile(options);
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(hub.bytesSent({ server: 'cdn' })).toBe(WEIGHTS.length);
    expect(headerOf(cdnRequests()[1]!.headers, 'range')).toBe(`bytes=70000-${WEIGHTS.length - 1}`);
  });

  it('a trickle under the throughput floor (slow-loris) is cut and retried without fresh attempts, then fails naming the host', async () => {
    // 8 bytes every 40 ms: always under the stall timeout, far under 2 kB/s.
    hub.setFaults([{ kind: 'trickle', bytes: 8, everyMs: 40, match: { server: 'cdn' } }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const started = Date.now();
    const error = await downloadFile({ ...options, stallTimeoutMs: 5_000, throughputFloor: { minBytesPerSecond: 2_000, windowMs: 300 }, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }).catch(
      (e: unknown) => e,
    );
    expect(isMistudioError(error, 'Http'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^Download of weights.bin failed after 3 attempts: ${hub.cdnUrl} sent \\d+ B in \\d+ ms, slower than the minimum of 2 kB/s$`));
    expect(cdnRequests()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a slow but steady transfer above the floor completes', async () => {
    hub.setFaults([{ kind: 'trickle', bytes: 16 * 1024, everyMs: 5, match: { server: 'cdn' }, times: 1 }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, throughputFloor: { minBytesPerSecond: 2_000, windowMs: 300 } });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(cdnRequests()).toHaveLength(1);
  });

  it('a stalled response is aborted after stallTimeoutMs and resumed', async () => {
    hub.setFaults([{ kind: 'stall', afterBytes: 50_000, ms: 20_000, match: { server: 'cdn' }, times: 1 }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, stallTimeoutMs: 300 });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(cdnRequests()).toHaveLength(2);
    expect(headerOf(cdnRequests()[1]!.headers, 'range')).toBe(`bytes=50000-${WEIGHTS.length - 1}`);
  });

  it('500, 503 and 429 are retried until the file arrives', async () => {
    hub.setFaults([
      { kind: 'status', status: 500, match: { server: 'hub' }, times: 1 },
      { kind: 'status', status: 503, match: { server: 'hub' }, times: 1 },
      { kind: 'status', status: 429, match: { server: 'hub' }, times: 1 },
    ]);
    const options = optionsFor(hub, tmp.dir, 'config.json');
    await downloadFile(options);
    expect(readIfExists(options.finalPath)?.equals(CONFIG)).toBe(true);
    // The last answer is the Hub's relative 307 to /api/resolve-cache/…, where the file comes from.
    expect(hub.requests.map((r) => r.status)).toEqual([500, 503, 429, 307, 200]);
  });

  it('honours Retry-After before retrying', async () => {
    hub.setFaults([{ kind: 'status', status: 429, retryAfterSeconds: 1, match: { server: 'hub' }, times: 1 }]);
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const started = Date.now();
    await downloadFile({ ...options, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    // A lower bound only: backoff alone would have waited at most 5 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(hub.requests.map((r) => r.status)).toEqual([429, 307, 200]);
  });

  it('gives up after maxAttempts with an error naming the file and cause', async () => {
    hub.setFaults([{ kind: 'status', status: 503, match: { server: 'hub' } }]);
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const error = await downloadFile({ ...options, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Http')).toBe(true);
    expect((error as Error).message).toMatch(/config\.json.*after 3 attempts.*503/);
    expect(hub.requests).toHaveLength(3);
  });

  it('persistent 429 ends as RateLimited with the server’s wait', async () => {
    hub.setFaults([{ kind: 'status', status: 429, retryAfterSeconds: 0, match: { server: 'hub' } }]);
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const error = await downloadFile({ ...options, retry: { maxAttempts: 2, baseDelayMs: 1 } }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'RateLimited')).toBe(true);
    expect((error as { details: { retryAfterSeconds?: number } }).details.retryAfterSeconds).toBe(0);
  });

  it('progress on a failing connection earns fresh attempts', async () => {
    // Four drops in a row, each after some bytes: with maxAttempts 2 this only succeeds if progress resets the count.
    hub.setFaults([{ kind: 'drop-after', bytes: 100_000, match: { server: 'cdn' }, times: 4 }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const result = await downloadFile({ ...options, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expectResumedWithoutResending(result.bytesTransferred, 5);
  });

  it('retries parallel parts independently and still verifies', async () => {
    hub.setFaults([
      { kind: 'drop-after', bytes: 200_000, match: { server: 'cdn' }, times: 2 },
      { kind: 'status', status: 502, match: { server: 'cdn' }, times: 1 },
    ]);
    const options = optionsFor(hub, tmp.dir, 'big.safetensors');
    const reports = new Reports();
    await downloadFile({ ...options, connections: 4, minPartBytes: 512 * 1024, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint });
    expect(readIfExists(options.finalPath)?.equals(BIG)).toBe(true);
    expect(reports.progressSum).toBe(BIG.length);
    reports.expectWellFormedCheckpoints(BIG.length);
    reports.expectMonotonicCheckpoints();
  });
});

describe('servers that ignore Range', () => {
  it('a resume answered with 200 truncates and restarts cleanly (restarted: true)', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const kept = 400_000;
    fs.mkdirSync(`${tmp.dir}/blobs`, { recursive: true });
    fs.writeFileSync(options.partialPath, WEIGHTS.subarray(0, kept));
    hub.setFaults([{ kind: 'ignore-range', match: { server: 'cdn' } }]);
    const reports = new Reports();
    const result = await downloadFile({ ...options, resume: { doneRanges: [[0, kept]] }, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(result).toMatchObject({ restarted: true, resumedBytes: 0, bytesTransferred: WEIGHTS.length });
    expect(reports.deltas).toContain(-kept); // the discarded bytes leave the progress
    expect(kept + reports.progressSum).toBe(WEIGHTS.length);
    expect(reports.checkpoints.some((c) => c.length === 0)).toBe(true); // the caller learns the partial was emptied
    expect(cdnRequests()).toHaveLength(1); // the 200 body itself was used for the restart
  });

  it('a fresh parallel download answered with 200 continues as one stream without discarding anything', async () => {
    hub.setFaults([{ kind: 'ignore-range', match: { server: 'cdn' } }]);
    const options = optionsFor(hub, tmp.dir, 'big.safetensors');
    const reports = new Reports();
    const result = await downloadFile({ ...options, connections: 4, minPartBytes: 512 * 1024, onProgress: reports.onProgress });
    expect(readIfExists(options.finalPath)?.equals(BIG)).toBe(true);
    expect(result.restarted).toBe(false);
    expect(cdnRequests()).toHaveLength(1);
    expect(reports.progressSum).toBe(BIG.length);
  });

  it('a 200 to a later part while others stream restarts the file single-stream', async () => {
    hub.setFaults([
      { kind: 'stall', afterBytes: 1, ms: 1, match: { server: 'cdn' }, times: 1 }, // first part: harmless, consumes this rule
      { kind: 'ignore-range', match: { server: 'cdn' }, times: 1 }, // the next range request gets the whole file
    ]);
    const options = optionsFor(hub, tmp.dir, 'big.safetensors');
    const reports = new Reports();
    const result = await downloadFile({ ...options, connections: 3, minPartBytes: 512 * 1024, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint });
    expect(readIfExists(options.finalPath)?.equals(BIG)).toBe(true);
    expect(result.restarted).toBe(true);
    expect(reports.progressSum).toBe(BIG.length);
    reports.expectWellFormedCheckpoints(BIG.length);
  });
});

describe('verification', () => {
  it('a corrupted byte → ChecksumMismatch, the partial is deleted and finalPath never appears', async () => {
    hub.setFaults([{ kind: 'corrupt', atByte: 123_456, match: { server: 'cdn' } }]);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const reports = new Reports();
    const error = await downloadFile({ ...options, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'ChecksumMismatch')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^Checksum mismatch for weights\\.bin: expected sha256 ${sha256Of(WEIGHTS).hex}, got [0-9a-f]{64}$`));
    expect(fs.existsSync(options.partialPath)).toBe(false);
    expect(fs.existsSync(options.finalPath)).toBe(false);
    expect(reports.lastCheckpoint).toEqual([]);
    expect(reports.progressSum).toBe(0);
  });

  it('a corrupted byte in a parallel part is caught too', async () => {
    hub.setFaults([{ kind: 'corrupt', atByte: 5_000_000, match: { server: 'cdn' } }]);
    const options = optionsFor(hub, tmp.dir, 'big.safetensors');
    const error = await downloadFile({ ...options, connections: 4, minPartBytes: 512 * 1024 }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'ChecksumMismatch')).toBe(true);
    expect(fs.existsSync(options.finalPath)).toBe(false);
    expect(fs.existsSync(options.partialPath)).toBe(false);
  });

  it('a wrong expected git-sha1 fails the same way', async () => {
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const error = await downloadFile({ ...options, expectedHash: { algorithm: 'git-sha1', hex: '0'.repeat(40) } }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'ChecksumMismatch')).toBe(true);
    expect((error as Error).message).toContain('config.json');
    expect(fs.existsSync(options.finalPath)).toBe(false);
  });
});

describe('disk full', () => {
  it('ENOSPC → NoSpace; the partial and a checkpoint of what was written are kept for resume', async () => {
    const failing = failingWrites(500_000);
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const reports = new Reports();
    const error = await downloadFile({ ...options, openFile: failing.open, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'NoSpace')).toBe(true);
    expect((error as Error).message).toContain('weights.bin');
    expect(fs.existsSync(options.finalPath)).toBe(false);
    expect(fs.statSync(options.partialPath).size).toBe(failing.written());
    expect(coveredBytes(reports.lastCheckpoint ?? [])).toBe(failing.written());
    expect(reports.progressSum).toBe(failing.written());
    expect(cdnRequests()).toHaveLength(1); // a full disk is not retried

    // Space freed: resuming from that checkpoint fetches only the rest.
    hub.resetStats();
    const resumed = await downloadFile({ ...options, resume: { doneRanges: reports.lastCheckpoint ?? [] } });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(resumed.resumedBytes).toBe(failing.written());
    expect(hub.bytesSent({ server: 'cdn' })).toBe(WEIGHTS.length - failing.written());
  });

  it('EDQUOT is reported as NoSpace too', async () => {
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const error = await downloadFile({ ...options, openFile: failingWrites(0, 'EDQUOT').open }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'NoSpace')).toBe(true);
  });
});
