import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FaultRule, FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { contentOf, expectedBlobId, listTree, repoFolder, sha256Hex, startEnv, type StudioEnv } from './helpers';

const SIZE = 384 * 1024;
const repo: FakeRepo = {
  kind: 'model',
  id: 'test/faulty',
  commits: [
    {
      files: [
        { path: 'config.json', content: '{"model_type": "faulty"}\n' },
        // A regular git file large enough to be cut mid-body; verified by its git blob sha1.
        { path: 'notes.txt', content: seededBytes(8 * 1024, 3).toString('base64'), lfs: false },
        { path: 'weights.bin', content: seededBytes(SIZE, 4), lfs: true },
      ],
    },
  ],
};
const WEIGHTS = 'weights.bin';
const weightsRequests = (env: StudioEnv): Array<{ status: number; range: string; bytes: number }> =>
  env.hub.requests
    .filter((r) => r.server === 'cdn' && r.url.split('?')[0]!.endsWith(`/${WEIGHTS}`))
    .map((r) => ({ status: r.status, range: String(r.headers.range ?? ''), bytes: r.bodyBytesSent }));

/** Every planned file is in the snapshot with exactly the hub's bytes, and each blob hashes to its name. */
function expectVerifiedSnapshot(env: StudioEnv, snapshotPath: string | null): void {
  expect(snapshotPath).not.toBeNull();
  const folder = repoFolder(env.cacheRoot, 'model', repo.id);
  for (const file of repo.commits[0]!.files) {
    const bytes = fs.readFileSync(path.join(snapshotPath!, file.path));
    expect(bytes.equals(contentOf(file)), file.path).toBe(true);
    const blob = fs.readFileSync(path.join(folder, 'blobs', expectedBlobId(file)));
    expect(blob.equals(contentOf(file)), file.path).toBe(true);
  }
  expect(fs.readdirSync(path.join(folder, 'blobs')).filter((n) => n.endsWith('.incomplete'))).toEqual([]);
}

describe('Studio under network faults', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({
      hub: { repos: [repo] },
      studio: { transfer: { stallTimeoutMs: 400, retry: { baseDelayMs: 20, maxDelayMs: 200 } } },
    });
  });
  afterEach(async () => {
    await env.dispose();
  });

  async function downloadWith(faults: FaultRule[]): Promise<Awaited<ReturnType<StudioEnv['studio']['whenSettled']>>> {
    env.hub.setFaults(faults);
    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    return env.studio.whenSettled(entry.id);
  }

  const cdn = { path: WEIGHTS, server: 'cdn' } as const;

  it('resumes after a dropped connection with a Range request', async () => {
    const done = await downloadWith([{ kind: 'drop-after', bytes: 100_000, match: cdn, times: 1 }]);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    const requests = weightsRequests(env);
    expect(requests.length).toBe(2);
    expect(requests[1]!.range).toMatch(/^bytes=[1-9]\d*-/);
    expect(requests.reduce((s, r) => s + r.bytes, 0)).toBe(SIZE);
  });

  it.each([500, 503])('retries HTTP %i from the CDN', async (status) => {
    const done = await downloadWith([{ kind: 'status', status, match: cdn, times: 2 }]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    expect(weightsRequests(env).map((r) => r.status)).toEqual([status, status, 200]);
  });

  it('retries HTTP 500 from the hub resolve endpoint', async () => {
    const done = await downloadWith([{ kind: 'status', status: 500, match: { path: WEIGHTS, server: 'hub' }, times: 2 }]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    expect(env.hub.requests.filter((r) => r.server === 'hub' && r.url.includes(`/resolve/`) && r.url.includes(WEIGHTS)).map((r) => r.status)).toEqual([500, 500, 302]);
  });

  it('honours 429 with Retry-After', async () => {
    const done = await downloadWith([{ kind: 'status', status: 429, retryAfterSeconds: 1, match: cdn, times: 1 }]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    expect(weightsRequests(env).map((r) => r.status)).toEqual([429, 200]);
  });

  it('a stalled response is abandoned by the watchdog and resumed from where it stopped', async () => {
    const done = await downloadWith([{ kind: 'stall', afterBytes: 64 * 1024, ms: 20_000, match: cdn, times: 1 }]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    const requests = weightsRequests(env);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.range).toBe(`bytes=${64 * 1024}-${SIZE - 1}`);
  });

  it('a truncated body that ends cleanly is completed with a Range request', async () => {
    const done = await downloadWith([{ kind: 'truncate', bytes: 150_000, match: cdn, times: 1 }]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    const requests = weightsRequests(env);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.range).toBe(`bytes=150000-${SIZE - 1}`);
  });

  it('a truncated regular git file from the hub is completed too', async () => {
    const done = await downloadWith([{ kind: 'truncate', bytes: 3_000, match: { path: 'notes.txt', server: 'hub' }, times: 1 }]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
  });

  it('a server that ignores Range restarts the file cleanly', async () => {
    const done = await downloadWith([
      { kind: 'drop-after', bytes: 100_000, match: cdn, times: 1 },
      { kind: 'ignore-range', match: cdn },
    ]);
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
    const requests = weightsRequests(env);
    expect(requests.map((r) => r.status)).toEqual([200, 200]);
    expect(requests[1]!.range).not.toBe('');
    expect(requests[1]!.bytes).toBe(SIZE);
  });

  it('corrupt LFS bytes: error ChecksumMismatch, no blob placed, no partial left, no link', async () => {
    const done = await downloadWith([{ kind: 'corrupt', match: cdn }]);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('ChecksumMismatch');
    expect(done.errorMessage).toMatch(/checksum mismatch/i);
    const folder = repoFolder(env.cacheRoot, 'model', repo.id);
    const weights = repo.commits[0]!.files.find((f) => f.path === WEIGHTS)!;
    const blobs = fs.existsSync(path.join(folder, 'blobs')) ? fs.readdirSync(path.join(folder, 'blobs')) : [];
    expect(blobs).not.toContain(sha256Hex(contentOf(weights)));
    expect(blobs.filter((n) => n.endsWith('.incomplete'))).toEqual([]);
    expect(listTree(path.join(folder, 'snapshots')).filter((p) => p.endsWith(WEIGHTS))).toEqual([]);
    expect(fs.existsSync(path.join(folder, 'refs', 'main'))).toBe(false);
    const file = env.studio.files(done.id).find((f) => f.path === WEIGHTS)!;
    expect(file.state).not.toBe('verified');
    expect(file.bytesDone).toBe(0);

    // With the fault gone, Retry succeeds.
    env.hub.setFaults([]);
    await env.studio.resume(done.id);
    const retried = await env.studio.whenSettled(done.id);
    expect(retried.status).toBe('ready');
    expectVerifiedSnapshot(env, retried.snapshotPath);
  });

  it('corrupt bytes of a regular file fail its git sha1 check', async () => {
    const done = await downloadWith([{ kind: 'corrupt', match: { path: 'notes.txt', server: 'hub' } }]);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('ChecksumMismatch');
    const notes = repo.commits[0]!.files.find((f) => f.path === 'notes.txt')!;
    const blobs = path.join(repoFolder(env.cacheRoot, 'model', repo.id), 'blobs');
    expect(fs.readdirSync(blobs).filter((n) => n.startsWith(expectedBlobId(notes)))).toEqual([]);
  });

  it('a CDN 404 after the redirect is a clear, typed error', async () => {
    const done = await downloadWith([{ kind: 'not-found', match: cdn }]);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('EntryNotFound');
    expect(done.errorMessage).toContain(WEIGHTS);
    expect(done.errorMessage).not.toMatch(/\n/);
    expect(done.errorMessage!.length).toBeLessThan(300);
  });

  it('a Retry issued from the change event that reports the error is not lost', async () => {
    env.hub.setFaults([{ kind: 'not-found', match: cdn, times: 1 }]);
    let retries = 0;
    env.studio.onDidChangeEntry((c) => {
      const e = env.studio.catalog.getEntry(c.entryId);
      if (e?.status === 'error' && retries === 0) {
        retries++;
        void env.studio.resume(e.id);
      }
    });
    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    await env.studio.whenSettled(entry.id);
    await env.studio.whenIdle();
    expect(retries).toBe(1);
    const done = env.studio.catalog.getEntry(entry.id)!;
    expect(done.status).toBe('ready');
    expectVerifiedSnapshot(env, done.snapshotPath);
  });
});
