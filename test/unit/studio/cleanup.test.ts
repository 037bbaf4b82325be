import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyCatalog } from '../support/catalogCopy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/core/catalog';
import type { FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { bigRepo, contentOf, demoRepo, expectedBlobId, fileOf, listTree, repoFolder, sha256Hex, startEnv, waitForProgress, wasmPath, type StudioEnv } from './helpers';

const SAE = 'mistudio-demo/tiny-sae';

function blobBytes(folder: string): number {
  const dir = path.join(folder, 'blobs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).reduce((s, n) => s + fs.statSync(path.join(dir, n)).size, 0) : 0;
}

describe('Studio delete and background cleanup', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('two revisions sharing a blob: deleting one keeps every file of the other; deleting the last frees the repo folder', async () => {
    const { studio, hub } = env;
    const repo = demoRepo(SAE);
    const v1 = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: SAE, revision: 'v1.0' })).id);
    const main = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: SAE })).id);
    expect([v1.status, main.status]).toEqual(['ready', 'ready']);
    const folder = repoFolder(env.cacheRoot, 'model', SAE);
    const v1Commit = hub.commitSha('model', SAE, 'v1.0');
    const mainFiles = repo.commits[1]!.files;
    const sharedOrMain = new Set(mainFiles.map(expectedBlobId));
    const onlyV1 = [...new Set(repo.commits[0]!.files.map(expectedBlobId))].filter((b) => !sharedOrMain.has(b));
    expect(onlyV1.length).toBeGreaterThan(0);
    expect(repo.commits[0]!.files.some((f) => sharedOrMain.has(expectedBlobId(f)))).toBe(true);
    const onlyV1Bytes = repo.commits[0]!.files.filter((f) => onlyV1.includes(expectedBlobId(f))).reduce((s, f) => s + contentOf(f).length, 0);

    const estimate = await studio.estimateDelete(v1.id);
    expect(estimate).toEqual({ freedBytes: onlyV1Bytes, heldBy: [] });

    // At the moment cleanup starts, the job is already on disk and no file has been touched yet.
    const image = path.join(env.dir, 'at-cleanup-start.sqlite');
    const atStart: Array<{ entryGone: boolean; snapshotThere: boolean; refThere: boolean }> = [];
    const sub = studio.onDidChangeCleanup((e) => {
      if (e.running === 0 || atStart.length > 0) return;
      // The delete flushed before the cleanup started, and nothing else writes now: the lock is free.
      expect(copyCatalog(env.catalogFile, image)).toBe(true);
      atStart.push({
        entryGone: studio.catalog.getEntry(v1.id) === undefined,
        snapshotThere: fs.existsSync(path.join(folder, 'snapshots', v1Commit)),
        refThere: fs.existsSync(path.join(folder, 'refs', 'v1.0')),
      });
    });
    const bytesBefore = blobBytes(folder);
    const result = await studio.delete(v1.id);
    expect(studio.catalog.getEntry(v1.id)).toBeUndefined();
    expect(result.freedBytesEstimate).toBe(onlyV1Bytes);
    await studio.whenIdle();
    sub.dispose();
    expect(atStart).toEqual([{ entryGone: true, snapshotThere: true, refThere: true }]);
    const persisted = await openCatalog({ file: image, wasmPath });
    try {
      expect(persisted.getEntry(v1.id)).toBeUndefined();
      expect(persisted.getJob(result.cleanupJobId)?.type).toBe('cleanup');
    } finally {
      await persisted.close();
    }

    expect(studio.catalog.listJobs()).toEqual([]);
    expect(fs.existsSync(path.join(folder, 'snapshots', v1Commit))).toBe(false);
    expect(listTree(path.join(folder, 'refs'))).toEqual(['main']);
    expect(fs.readdirSync(path.join(folder, 'blobs')).sort()).toEqual([...sharedOrMain].sort());
    expect(bytesBefore - blobBytes(folder)).toBe(result.freedBytesEstimate);
    for (const f of mainFiles) expect(fs.readFileSync(path.join(main.snapshotPath!, f.path)).equals(fileOf(repo, f.path, 1)), f.path).toBe(true);
    expect(studio.catalog.getEntry(main.id)?.status).toBe('ready');
    await studio.reconcile();
    expect(studio.catalog.getEntry(main.id)?.status).toBe('ready');

    const last = await studio.delete(main.id);
    expect(last.freedBytesEstimate).toBe(blobBytes(folder));
    await studio.whenIdle();
    expect(fs.existsSync(folder)).toBe(false);
    expect(studio.catalog.listEntries()).toEqual([]);
    expect(studio.catalog.listJobs()).toEqual([]);
  });

  it('deleting one of two entries on the same commit keeps the snapshot for the other', async () => {
    const { studio, hub } = env;
    const commit = hub.commitSha('model', SAE, 'main');
    const byBranch = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: SAE })).id);
    const byCommit = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: SAE, revision: commit })).id);
    expect(byCommit.snapshotPath).toBe(byBranch.snapshotPath);
    expect(await studio.estimateDelete(byBranch.id)).toEqual({ freedBytes: 0, heldBy: [{ catalog: null, revision: commit }] });
    await studio.delete(byBranch.id);
    await studio.whenIdle();
    for (const f of demoRepo(SAE).commits[1]!.files) expect(fs.existsSync(path.join(byCommit.snapshotPath!, f.path)), f.path).toBe(true);
    await studio.reconcile();
    expect(studio.catalog.getEntry(byCommit.id)?.status).toBe('ready');
  });

  it('a missing entry id is a typed error, not a crash', async () => {
    await expect(env.studio.delete('no-such-id')).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(env.studio.cancel('no-such-id')).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});

describe('Studio delete while downloading', () => {
  const SIZE = 1024 * 1024;
  const slow = bigRepo('test/slow', SIZE, 27);
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [slow], cdnBytesPerSecondPerConnection: 512 * 1024 } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('stops the transfer, removes the row at once and the partial in the background', async () => {
    const { studio, hub } = env;
    const entry = await studio.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(studio, entry.id, (p) => p.bytesDone >= 128 * 1024);
    const result = await studio.delete(entry.id);
    expect(studio.catalog.getEntry(entry.id)).toBeUndefined();
    expect(result.freedBytesEstimate).toBeGreaterThan(0);
    await studio.whenIdle();
    const requests = hub.requests.length;
    expect(fs.existsSync(repoFolder(env.cacheRoot, 'model', slow.id))).toBe(false);
    expect(studio.catalog.listJobs()).toEqual([]);
    await studio.whenIdle();
    expect(hub.requests.length).toBe(requests);
  });

  it('does not disturb another entry of the repo downloading the same blob', async () => {
    const { studio, hub } = env;
    const commit = hub.commitSha('model', slow.id, 'main');
    const first = await studio.enqueue({ kind: 'model', repoId: slow.id });
    const second = await studio.enqueue({ kind: 'model', repoId: slow.id, revision: commit });
    await waitForProgress(studio, first.id, (p) => p.bytesDone >= 128 * 1024);
    await studio.delete(first.id);
    const done = await studio.whenSettled(second.id);
    expect(done.status).toBe('ready');
    const blob = path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs', sha256Hex(fileOf(slow, 'weights.bin')));
    expect(fs.readFileSync(blob).equals(fileOf(slow, 'weights.bin'))).toBe(true);
    await studio.whenIdle();
    expect(fs.readFileSync(path.join(done.snapshotPath!, 'weights.bin')).equals(fileOf(slow, 'weights.bin'))).toBe(true);
  });
});

describe('Studio delete of a revision whose blob a running download is about to link', () => {
  // v1 holds shared.bin; v2 adds a slow file that sorts first, so v2 is mid-transfer when v1 is deleted and links
  // the (cached) shared blob only afterwards.
  const shared = seededBytes(64 * 1024, 41);
  const repo: FakeRepo = {
    kind: 'model',
    id: 'test/shared',
    commits: [
      { refs: ['v1'], files: [{ path: 'shared.bin', content: shared }, { path: 'z.txt', content: 'one\n' }] },
      { refs: ['main'], files: [{ path: 'a-slow.bin', content: seededBytes(512 * 1024, 42) }, { path: 'shared.bin', content: shared }, { path: 'z.txt', content: 'two\n' }] },
    ],
  };
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [repo], cdnBytesPerSecondPerConnection: 512 * 1024 }, studio: { maxConcurrentFiles: 1 } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('the download still ends with every file in place', async () => {
    const { studio } = env;
    const v1 = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: repo.id, revision: 'v1' })).id);
    expect(v1.status).toBe('ready');
    const v2 = await studio.enqueue({ kind: 'model', repoId: repo.id });
    await waitForProgress(studio, v2.id, (p) => p.bytesDone >= 64 * 1024 + 128 * 1024);
    await studio.delete(v1.id);
    await studio.whenIdle();
    const done = studio.catalog.getEntry(v2.id)!;
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    for (const f of repo.commits[1]!.files) {
      expect(fs.readFileSync(path.join(done.snapshotPath!, f.path)).equals(contentOf(f)), f.path).toBe(true);
    }
    await studio.reconcile();
    expect(studio.catalog.getEntry(v2.id)?.status).toBe('ready');
  });
});
