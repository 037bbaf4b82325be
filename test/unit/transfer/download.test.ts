/** downloadFile against the fake Hub: plain and LFS files, auth across origins, parallel ranges, Hub errors. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { closeSharedTransferAgent, downloadFile } from '../../../src/core/transfer/index';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { BIG, CONFIG, GATED_TOKEN, REPOS, TOKEN, TOKENS, WEIGHTS, headerOf, optionsFor, readIfExists, resolveUrl } from './fixtures';
import { Reports, sha256Of, tempDir } from './helpers';

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
  tmp = tempDir('mistudio-transfer-');
});
afterEach(() => {
  hub.setFaults([]);
  hub.resetStats();
  tmp.cleanup();
});

describe('downloadFile: plain downloads', () => {
  it('downloads a regular git file, verifies its git-sha1 and places it atomically', async () => {
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const reports = new Reports();
    const result = await downloadFile({ ...options, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint });
    expect(readIfExists(options.finalPath)?.equals(CONFIG)).toBe(true);
    expect(fs.existsSync(options.partialPath)).toBe(false);
    expect(result).toEqual({ bytesTransferred: CONFIG.length, resumedBytes: 0, restarted: false });
    expect(reports.progressSum).toBe(CONFIG.length);
    expect(reports.lastCheckpoint).toEqual([[0, CONFIG.length]]);
    // The Hub answers a regular file's resolve URL with a relative 307 to /api/resolve-cache/…, which serves it.
    const fileRequests = hub.requests.filter((r) => r.url.includes('config.json'));
    expect(fileRequests.map((r) => [r.status, r.url.split('?')[0]!.split('/').slice(1, 3).join('/')])).toEqual([
      [307, `${options.url.split('/')[3]}/${options.url.split('/')[4]}`],
      [200, 'api/resolve-cache'],
    ]);
    expect(fileRequests.every((r) => headerOf(r.headers, 'range') === undefined)).toBe(true); // a fresh small file needs no Range
  });

  it('follows the LFS redirect to the CDN and verifies sha256', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const result = await downloadFile(options);
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    expect(result.bytesTransferred).toBe(WEIGHTS.length);
    expect(hub.bytesSent({ server: 'cdn', path: 'weights.bin' })).toBe(WEIGHTS.length);
  });

  it('works the same for dataset repos', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, url: resolveUrl(hub, 'data/train.parquet', 'acme/data', 'dataset') });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });

  it('handles an empty file without a request', async () => {
    const finalPath = path.join(tmp.dir, 'blobs', 'empty');
    const result = await downloadFile({
      url: resolveUrl(hub, 'empty.txt'),
      partialPath: `${finalPath}.incomplete`,
      finalPath,
      size: 0,
      expectedHash: { algorithm: 'git-sha1', hex: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391' },
    });
    expect(readIfExists(finalPath)?.length).toBe(0);
    expect(result.bytesTransferred).toBe(0);
    expect(hub.requests).toHaveLength(0);
  });

  it('downloads without verification when no hash is given, still checking the size', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, expectedHash: undefined });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });

  it('sends the token to the Hub only, never to the CDN on another origin, and keeps custom headers', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, url: resolveUrl(hub, 'weights.bin', 'acme/private'), token: TOKEN, headers: { 'User-Agent': 'mistudio-test/1' } });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
    const hubRequests = hub.requests.filter((r) => r.server === 'hub');
    const cdnRequests = hub.requests.filter((r) => r.server === 'cdn');
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(cdnRequests.length).toBeGreaterThan(0);
    for (const r of hubRequests) expect(headerOf(r.headers, 'authorization')).toBe(`Bearer ${TOKEN}`);
    for (const r of cdnRequests) expect(headerOf(r.headers, 'authorization')).toBeUndefined();
    for (const r of hub.requests) expect(headerOf(r.headers, 'user-agent')).toBe('mistudio-test/1');
  });

  it('applies the same origin rule to an authorization header passed in `headers`', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, url: resolveUrl(hub, 'weights.bin', 'acme/private'), headers: { Authorization: `Bearer ${TOKEN}` } });
    for (const r of hub.requests.filter((x) => x.server === 'cdn')) expect(headerOf(r.headers, 'authorization')).toBeUndefined();
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });
});

describe('downloadFile: parallel ranges', () => {
  it('splits a large file into ranges, hashes it correctly and reports consistent progress and checkpoints', async () => {
    const options = optionsFor(hub, tmp.dir, 'big.safetensors');
    const reports = new Reports();
    const result = await downloadFile({
      ...options,
      connections: 4,
      minPartBytes: 512 * 1024,
      onProgress: reports.onProgress,
      onCheckpoint: reports.onCheckpoint,
    });
    expect(readIfExists(options.finalPath)?.equals(BIG)).toBe(true);
    expect(result.restarted).toBe(false);
    expect(reports.progressSum).toBe(BIG.length);
    for (const delta of reports.deltas) expect(delta).toBeGreaterThan(0);
    reports.expectWellFormedCheckpoints(BIG.length);
    reports.expectMonotonicCheckpoints();
    expect(reports.lastCheckpoint).toEqual([[0, BIG.length]]);

    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    const ranges = cdn.map((r) => headerOf(r.headers, 'range'));
    expect(cdn.length).toBeGreaterThanOrEqual(4);
    for (const range of ranges) expect(range).toMatch(/^bytes=\d+-\d+$/);
    expect(cdn.every((r) => r.status === 206)).toBe(true);
    // The first request learnt the CDN URL; the other parts went there directly instead of asking the Hub again.
    expect(hub.requests.filter((r) => r.server === 'hub')).toHaveLength(1);
    // Parts cover the file: whatever the split, the CDN sent at least every byte once.
    expect(hub.bytesSent({ server: 'cdn' })).toBeGreaterThanOrEqual(BIG.length);
  });

  it('uses one request for a file below two minimum parts', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, connections: 8 }); // default minPartBytes 16 MiB
    expect(hub.requests.filter((r) => r.server === 'cdn')).toHaveLength(1);
  });
});

describe('downloadFile: Hub errors', () => {
  it('404 → EntryNotFound naming the file, and nothing is placed', async () => {
    const options = optionsFor(hub, tmp.dir, 'config.json');
    const error = await downloadFile({ ...options, url: resolveUrl(hub, 'sub dir/missing file.json') }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'EntryNotFound')).toBe(true);
    expect((error as Error).message).toContain('sub dir/missing file.json');
    expect(fs.existsSync(options.finalPath)).toBe(false);
    expect(hub.requests).toHaveLength(1); // not retried
  });

  it('gated repo without access → Gated with the repo page; with access it downloads', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const url = resolveUrl(hub, 'weights.bin', 'acme/gated');
    const anonymous = await downloadFile({ ...options, url }).catch((e: unknown) => e);
    expect(isMistudioError(anonymous, 'Gated')).toBe(true);
    expect((anonymous as { details: { url?: string } }).details.url).toBe(`${hub.url}/acme/gated`);
    const notAllowed = await downloadFile({ ...options, url, token: TOKEN }).catch((e: unknown) => e);
    expect(isMistudioError(notAllowed, 'Gated')).toBe(true);
    await downloadFile({ ...options, url, token: GATED_TOKEN });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });

  it('private repo without a token → RepoNotFound; a bad token → Unauthorized', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const url = resolveUrl(hub, 'weights.bin', 'acme/private');
    expect(isMistudioError(await downloadFile({ ...options, url }).catch((e: unknown) => e), 'RepoNotFound')).toBe(true);
    const bad = await downloadFile({ ...options, url, token: 'hf_not_a_real_token' }).catch((e: unknown) => e);
    expect(isMistudioError(bad, 'Unauthorized')).toBe(true);
    expect((bad as Error).message).toContain('weights.bin');
  });

  it('rejects a file whose size differs from the listing without placing it', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    const error = await downloadFile({ ...options, size: WEIGHTS.length + 1, expectedHash: undefined }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Http')).toBe(true);
    expect((error as Error).message).toMatch(/expected \d+/);
    expect(fs.existsSync(options.finalPath)).toBe(false);
  });

  it('refuses invalid options up front', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await expect(downloadFile({ ...options, size: -1 })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(downloadFile({ ...options, url: 'ftp://example.com/x' })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(downloadFile({ ...options, expectedHash: { algorithm: 'sha256', hex: 'abc' } })).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(hub.requests).toHaveLength(0);
  });

  it('a sha256 given in upper case still verifies', async () => {
    const options = optionsFor(hub, tmp.dir, 'weights.bin');
    await downloadFile({ ...options, expectedHash: { algorithm: 'sha256', hex: sha256Of(WEIGHTS).hex.toUpperCase() } });
    expect(readIfExists(options.finalPath)?.equals(WEIGHTS)).toBe(true);
  });
});
