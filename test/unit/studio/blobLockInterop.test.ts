import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOLD_LOCK, PythonProcess, TRY_LOCK, pythonWithFilelock } from '../support/python';
import { bigRepo, cdnBytes, fileOf, repoFolder, sha256Hex, startEnv, waitForProgress, type StudioEnv } from './helpers';

// huggingface_hub takes `.locks/<repo folder>/<blob id>.lock` with Python's filelock before it writes a blob. These
// tests run Debian's python3-filelock against a real download, so the two tools really share the lock.
const SIZE = 1024 * 1024;
const WEIGHTS = 'weights.bin';
const repo = bigRepo('test/shared-blob', SIZE, 21);
const blobId = sha256Hex(fileOf(repo, WEIGHTS));

function lockFile(env: StudioEnv): string {
  return path.join(env.cacheRoot, '.locks', path.basename(repoFolder(env.cacheRoot, 'model', repo.id)), `${blobId}.lock`);
}

describe('blob lock shared with huggingface_hub (Python filelock)', () => {
  const python = pythonWithFilelock();
  let env: StudioEnv;
  const pythons: PythonProcess[] = [];
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [repo], cdnBytesPerSecondPerConnection: 256 * 1024 } });
  });
  afterEach(async () => {
    for (const p of pythons.splice(0)) p.kill();
    await env.dispose();
  });

  it('waits while Python holds the lock, then reuses the blob it put in place without re-sending a byte', async () => {
    fs.mkdirSync(path.dirname(lockFile(env)), { recursive: true });
    const holder = new PythonProcess(python, HOLD_LOCK, [lockFile(env), 'flock']);
    pythons.push(holder);
    expect(await holder.nextLine()).toBe('locked');

    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    const waiting = await waitForProgress(env.studio, entry.id, (p) => (p.waitingFiles ?? 0) > 0);
    expect(waiting.waitingFiles).toBe(1);

    // What huggingface_hub does under the lock: write the blob, then let go.
    const blobs = path.join(repoFolder(env.cacheRoot, 'model', repo.id), 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    fs.writeFileSync(path.join(blobs, blobId), fileOf(repo, WEIGHTS));
    holder.send('release\n');
    expect(await holder.nextLine()).toBe('released');

    const done = await env.studio.whenSettled(entry.id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    expect(cdnBytes(env.hub, WEIGHTS)).toBe(0);
    const snapshot = path.join(repoFolder(env.cacheRoot, 'model', repo.id), 'snapshots', done.commit!, WEIGHTS);
    expect(fs.readFileSync(snapshot).equals(fileOf(repo, WEIGHTS))).toBe(true);
    expect(fs.readdirSync(blobs).filter((n) => n.includes('incomplete'))).toEqual([]);
  });

  it('holds the lock while it downloads: FileLock.acquire(timeout=1) in Python times out', async () => {
    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    await waitForProgress(env.studio, entry.id, (p) => p.bytesDone > 64 * 1024 && p.bytesDone < SIZE / 2);
    const prober = new PythonProcess(python, TRY_LOCK, [lockFile(env), '1', 'flock']);
    pythons.push(prober);
    expect(await prober.nextLine()).toBe('timeout');

    expect((await env.studio.whenSettled(entry.id)).status).toBe('ready');
    const after = new PythonProcess(python, TRY_LOCK, [lockFile(env), '1', 'flock']);
    pythons.push(after);
    expect(await after.nextLine()).toBe('acquired');
  });
});

describe('a cached blob is checked before it is reused', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [repo] } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  async function downloadOnce(): Promise<{ id: string; blob: string; snapshot: string }> {
    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    const folder = repoFolder(env.cacheRoot, 'model', repo.id);
    return { id: entry.id, blob: path.join(folder, 'blobs', blobId), snapshot: path.join(folder, 'snapshots', done.commit!, WEIGHTS) };
  }

  it('re-fetches a truncated blob on Re-download', async () => {
    const { id, blob, snapshot } = await downloadOnce();
    fs.truncateSync(blob, SIZE / 2);
    env.hub.resetStats();
    const again = await env.studio.resume(id);
    const done = await env.studio.whenSettled(again.id);
    expect(done.status).toBe('ready');
    expect(cdnBytes(env.hub, WEIGHTS)).toBeGreaterThanOrEqual(SIZE);
    expect(fs.readFileSync(snapshot).equals(fileOf(repo, WEIGHTS))).toBe(true);
  });

  it('replaces a blob that is a symlink to a file outside the cache, leaving that file alone', async () => {
    const { id, blob, snapshot } = await downloadOnce();
    const outside = path.join(env.dir, 'outside.bin');
    fs.writeFileSync(outside, fileOf(repo, WEIGHTS));
    fs.rmSync(blob);
    fs.symlinkSync(outside, blob);
    env.hub.resetStats();
    const done = await env.studio.whenSettled((await env.studio.resume(id)).id);
    expect(done.status).toBe('ready');
    expect(cdnBytes(env.hub, WEIGHTS)).toBeGreaterThanOrEqual(SIZE);
    expect(fs.lstatSync(blob).isFile()).toBe(true);
    expect(fs.readFileSync(snapshot).equals(fileOf(repo, WEIGHTS))).toBe(true);
    expect(fs.readFileSync(outside).equals(fileOf(repo, WEIGHTS))).toBe(true);
  });
});
