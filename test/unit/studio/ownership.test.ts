import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../src/core/catalog';
import { HfCache } from '../../../src/core/cache';
import { tryAcquireFileLock } from '../../../src/core/locking/fileLock';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { buildCliBundle, runNode, startNode } from '../robustness/helpers';
import { buildChildBundle } from '../support/bundle';
import { bigRepo, cdnBytes, fileOf, sha256Hex, startEnv, repoFolder, waitForProgress, waitForStatus, wasmPath, type StudioEnv } from './helpers';

const SIZE = 3 * 1024 * 1024;
const slow = bigRepo('org/slow', SIZE, 71);
const other = bigRepo('org/other', SIZE, 72);
const WEIGHTS = 'weights.bin';
const BYTES_PER_SECOND = 512 * 1024;

/** Waits until `check` returns a value, polling; fails after `timeoutMs`. */
async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('downloads belong to a live process', () => {
  let env: StudioEnv;
  let second: StudioApi | undefined;

  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [slow, other], cdnBytesPerSecondPerConnection: BYTES_PER_SECOND }, studio: { maxConnectionsPerFile: 1 } });
  });
  afterEach(async () => {
    await second?.close();
    second = undefined;
    await env.dispose();
  });

  async function openSecond(): Promise<StudioApi> {
    second = await openStudio({ catalogFile: env.catalogFile, wasmPath, cacheRoot: env.cacheRoot, endpoint: env.hub.url, maxConnectionsPerFile: 1 });
    return second;
  }

  it('another process shows it downloading with live progress, never paused, and can pause and resume it', async () => {
    const a = env.studio;
    const entry = await a.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(a, entry.id, (p) => p.bytesDone > 256 * 1024);
    const b = await openSecond();
    await b.reconcile();
    const seen = b.catalog.getEntry(entry.id);
    expect(seen?.status).toBe('downloading');
    expect(seen?.owner).toBe(a.catalog.getEntry(entry.id)?.owner);
    expect(seen?.owner).not.toBeNull();
    // Progress arrives from the other process's checkpoints, as remote changes.
    const first = seen?.bytesDone ?? 0;
    await until('progress from the owner', () => (b.catalog.getEntry(entry.id)?.bytesDone ?? 0) > first);
    // Starting it again here does not start a second download of the same entry.
    const again = await b.enqueue({ kind: 'model', repoId: slow.id });
    expect(again.owner).toBe(seen?.owner);
    await new Promise((r) => setTimeout(r, 2500)); // longer than the owner check: still not paused
    expect(b.catalog.getEntry(entry.id)?.status).toBe('downloading');

    await b.pause(entry.id);
    expect(b.catalog.getEntry(entry.id)?.status).toBe('paused');
    await waitForStatus(a, entry.id, 'paused');
    expect(a.catalog.getEntry(entry.id)?.owner).toBeNull();

    // Resumed here, it finishes here, and the first process sees it ready.
    const sentBefore = cdnBytes(env.hub, WEIGHTS);
    await b.resume(entry.id);
    const done = await b.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    await waitForStatus(a, entry.id, 'ready');
    expect(cdnBytes(env.hub, WEIGHTS)).toBeLessThan(SIZE + sentBefore);
    const blob = path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs', sha256Hex(fileOf(slow, WEIGHTS)));
    expect(fs.readFileSync(blob).equals(fileOf(slow, WEIGHTS))).toBe(true);
  });

  it('a delete in another process stops the owner’s download, and the entry stays deleted', async () => {
    const a = env.studio;
    const entry = await a.enqueue({ kind: 'model', repoId: other.id });
    await waitForProgress(a, entry.id, (p) => p.bytesDone > 256 * 1024);
    const b = await openSecond();
    await b.reconcile();
    await b.delete(entry.id);
    const settled = a.whenSettled(entry.id).then(
      () => 'settled',
      (err: unknown) => String(err),
    );
    await until('the owner to stop', () => a.progressOf(entry.id) === undefined && a.catalog.getEntry(entry.id) === undefined);
    expect(await settled).toMatch(/settled|No catalog entry/);
    await b.whenIdle();
    await a.catalog.flush();
    await b.catalog.refresh();
    expect(b.catalog.getEntry(entry.id)).toBeUndefined();
    // The owner's last checkpoints did not bring it back.
    await new Promise((r) => setTimeout(r, 600));
    expect(b.catalog.getEntry(entry.id)).toBeUndefined();
    expect(a.catalog.getEntry(entry.id)).toBeUndefined();
  });
});

describe('kill -9 of the process that owns a download', () => {
  let env: StudioEnv;
  let cli: { file: string; dir: string; cleanup: () => void };

  beforeAll(async () => {
    cli = await buildChildBundle('src/core/cli.ts', 'cli.js');
    fs.copyFileSync(wasmPath, path.join(cli.dir, 'sql-wasm.wasm'));
  });
  afterAll(() => cli.cleanup());
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [slow], cdnBytesPerSecondPerConnection: BYTES_PER_SECOND } });
  });
  afterEach(async () => env.dispose());

  it('is taken over by a window on the same catalog, which resumes it from the kept bytes', { timeout: 60_000 }, async () => {
    const window = env.studio;
    await window.reconcile({ resumeInFlight: true });
    const child = spawn(process.execPath, [cli.file, 'download', slow.id, '--catalog', env.catalogFile], {
      env: { ...process.env, HF_ENDPOINT: env.hub.url, HF_HUB_CACHE: env.cacheRoot, HF_HOME: path.join(env.dir, 'hf-home'), HF_TOKEN: '' },
      stdio: 'ignore',
    });
    const inFlight = await until<CatalogEntry>('the CLI download in the window', () => {
      const e = window.catalog.findEntry('model', slow.id);
      return e && e.status === 'downloading' && e.bytesDone > 512 * 1024 ? e : undefined;
    });
    const cliOwner = inFlight.owner;
    expect(cliOwner).not.toBeNull();
    expect(window.progressOf(inFlight.id)).toBeUndefined();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const keptAtKill = window.catalog.getEntry(inFlight.id)?.bytesDone ?? 0;

    // Within a couple of owner checks the window notices the owner is gone and continues the download itself.
    await until('the takeover', () => {
      const e = window.catalog.getEntry(inFlight.id);
      return e && e.owner !== cliOwner && window.progressOf(inFlight.id) !== undefined;
    });
    const done = await window.whenSettled(inFlight.id);
    expect(done.status).toBe('ready');
    expect(done.owner).toBeNull();
    const total = cdnBytes(env.hub, WEIGHTS);
    // Everything the CLI had checkpointed was kept: what was re-sent is at most the unsaved tail.
    expect(total).toBeLessThanOrEqual(SIZE + (SIZE - keptAtKill) + 2 * BYTES_PER_SECOND);
    expect(total).toBeLessThan(2 * SIZE);
    const blob = path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs', sha256Hex(fileOf(slow, WEIGHTS)));
    expect(fs.readFileSync(blob).equals(fileOf(slow, WEIGHTS))).toBe(true);
  });
});

/** Blocks this thread (timers, file events, sockets: everything) until `condition` holds, like a busy process. */
function blockEventLoopUntil(condition: () => boolean, what: string, timeoutMs: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    Atomics.wait(cell, 0, 0, 10);
  }
}

describe('an owner that finished its download and exited', () => {
  let env: StudioEnv;
  let cli: { file: string; cleanup: () => void };

  beforeAll(async () => {
    cli = await buildCliBundle();
  });
  afterAll(() => cli.cleanup());
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [slow] } });
  });
  afterEach(async () => env.dispose());

  it('is not mistaken for one that died: a window whose view lags behind does not pause the finished entry', { timeout: 60_000 }, async () => {
    const cliEnv = { ...process.env, HF_ENDPOINT: env.hub.url, HF_HUB_CACHE: env.cacheRoot, HF_HOME: path.join(env.dir, 'hf-home'), HF_TOKEN: '' };
    // The repo in the cache first (through another catalog), so the owner below needs no network: it then finishes
    // while this process, fake hub included, is blocked.
    const setup = await runNode([cli.file, 'download', slow.id, '--catalog', path.join(env.dir, 'setup.sqlite')], cliEnv);
    expect(setup.code, setup.stderr).toBe(0);

    const window = env.studio;
    await window.reconcile();
    // Holding the blob's lock keeps the owner in flight, visibly, for as long as we like.
    const blobLock = tryAcquireFileLock(new HfCache(env.cacheRoot).lockPath({ kind: 'model', repoId: slow.id }, sha256Hex(fileOf(slow, WEIGHTS))));
    expect(blobLock).toBeDefined();
    const owner = startNode([cli.file, 'download', slow.id, '--catalog', env.catalogFile], { ...cliEnv, HF_HUB_OFFLINE: '1' });
    const inFlight = await until<CatalogEntry>('the owner’s download in the window', () => {
      const e = window.catalog.findEntry('model', slow.id);
      return e && e.status === 'downloading' && e.owner !== null ? e : undefined;
    });
    const ownerLease = `${env.catalogFile}.owners/${inFlight.owner}.lock`;
    expect(fs.existsSync(ownerLease)).toBe(true);

    // The window is busy (blocked) while the owner finishes, saves `ready` and exits. When it wakes, its owner check
    // (every 2 s) is overdue and runs before it has read the owner's last changes: the owner's lease is gone, but
    // the download it sees is the one from before.
    blobLock?.release();
    const blockedAt = Date.now();
    blockEventLoopUntil(() => !fs.existsSync(ownerLease), 'the owner to finish and release its lease', 30_000);
    blockEventLoopUntil(() => Date.now() - blockedAt > 2_100, 'an owner check to be due', 5_000);
    const finished = await owner.result;
    expect(finished.code, finished.stderr).toBe(0);

    await until('the window to catch up', () => window.catalog.getEntry(inFlight.id)?.status !== 'downloading' || undefined);
    await window.catalog.flush();
    expect(window.catalog.getEntry(inFlight.id)?.status).toBe('ready');
    const reopened = await env.reopen();
    expect(reopened.catalog.getEntry(inFlight.id)?.status).toBe('ready');
  });
});
