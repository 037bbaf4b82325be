import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyCatalog } from '../support/catalogCopy';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/core/catalog';
import { catalogKeyOf } from '../../../src/core/cache/holders';
import { cleanupPayload } from '../../../src/core/jobs/cleanupJob';
import { bigRepo, cdnBytes, demoRepo, expectedBlobId, fileOf, listTree, repoFolder, sha256Hex, startEnv, waitForProgress, wasmPath, type StudioEnv } from './helpers';

const SIZE = 1024 * 1024;
const BPS = 512 * 1024;
const SLACK = 96 * 1024;
const slow = bigRepo('test/slow', SIZE, 17);
const WEIGHTS = 'weights.bin';

describe('Studio after the process died mid-download', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [slow], cdnBytesPerSecondPerConnection: BPS } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('shows the download paused at the next start, and resumes it (or resumes in flight) without re-sending kept bytes', async () => {
    const first = await env.studio.enqueue({ kind: 'model', repoId: slow.id });
    await waitForProgress(env.studio, first.id, (p) => p.bytesDone >= SIZE * 0.3);
    // Shut down without settling: the entry is left as in flight on disk.
    let studio = await env.reopen();
    const leftInFlight = studio.catalog.getEntry(first.id)!;
    expect(leftInFlight.status).toBe('downloading');
    const kept = studio.files(first.id).find((f) => f.path === WEIGHTS)!.bytesDone;
    expect(kept).toBeGreaterThan(0);

    await studio.reconcile();
    expect(studio.catalog.getEntry(first.id)?.status).toBe('paused');
    expect(studio.catalog.listJobs({ type: 'download', entryId: first.id }).map((j) => j.state)).toEqual(['pending']);
    expect(fs.readdirSync(path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs')).filter((n) => n.endsWith('.incomplete'))).toHaveLength(1);
    await studio.whenIdle();
    expect(studio.catalog.getEntry(first.id)?.status).toBe('paused');

    // Resume, and "die" again further on.
    await studio.resume(first.id);
    await waitForProgress(studio, first.id, (p) => p.bytesDone >= SIZE * 0.6);
    studio = await env.reopen();
    expect(studio.catalog.getEntry(first.id)?.status).toBe('downloading');

    await studio.reconcile({ resumeInFlight: true });
    const done = await studio.whenSettled(first.id);
    expect(done.status).toBe('ready');
    expect(done.errorMessage).toBeNull();
    const blob = path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs', sha256Hex(fileOf(slow, WEIGHTS)));
    expect(fs.readFileSync(blob).equals(fileOf(slow, WEIGHTS))).toBe(true);
    // Two restarts, each re-sending at most what was in flight.
    expect(cdnBytes(env.hub, WEIGHTS)).toBeLessThanOrEqual(SIZE + 2 * SLACK);
    expect(studio.catalog.listJobs({ entryId: first.id })).toEqual([]);
  });

  it('after a hard kill, resumes from the last checkpoint the catalog file holds', async () => {
    const entry = await env.studio.enqueue({ kind: 'model', repoId: slow.id });
    // Take the catalog file as a kill would leave it, once it records some kept bytes.
    const image = path.join(env.dir, 'image.sqlite');
    let keptInImage = 0;
    for (let i = 0; i < 200 && keptInImage === 0; i++) {
      await sleep(25);
      if (!copyCatalog(env.catalogFile, image)) continue;
      const copy = await openCatalog({ file: image, wasmPath });
      keptInImage = copy.getFile(entry.id, WEIGHTS)?.bytesDone ?? 0;
      await copy.close();
    }
    expect(keptInImage).toBeGreaterThan(0);
    const sentAtKill = cdnBytes(env.hub, WEIGHTS);
    expect(sentAtKill).toBeLessThan(SIZE);
    await env.studio.close();
    expect(copyCatalog(image, env.catalogFile)).toBe(true);

    const studio = await env.reopen();
    expect(studio.catalog.getEntry(entry.id)?.status).toBe('downloading');
    await studio.reconcile({ resumeInFlight: true });
    const done = await studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    const blob = path.join(repoFolder(env.cacheRoot, 'model', slow.id), 'blobs', sha256Hex(fileOf(slow, WEIGHTS)));
    expect(fs.readFileSync(blob).equals(fileOf(slow, WEIGHTS))).toBe(true);
    // Only what arrived after the image's checkpoint is fetched again — or less: the range journal beside the
    // partial outlived the image and knows every byte that landed before the close.
    const resumedFrom = env.hub.requests
      .filter((r) => r.server === 'cdn')
      .map((r) => /^bytes=(\d+)-(\d+)$/.exec(String(r.headers.range ?? '')))
      .filter((m): m is RegExpExecArray => m !== null && Number(m[2]) === SIZE - 1)
      .map((m) => Number(m[1]));
    expect(resumedFrom).toHaveLength(1);
    expect(resumedFrom[0]).toBeGreaterThanOrEqual(keptInImage);
    expect(cdnBytes(env.hub, WEIGHTS)).toBeLessThanOrEqual(SIZE + (sentAtKill - keptInImage) + SLACK);
  });
});

describe('Studio reconcile at start', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await env.dispose();
  });

  const SAE = 'mistudio-demo/tiny-sae';

  it('finishes a cleanup job a crash interrupted', async () => {
    const { studio, hub } = env;
    const v1 = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: SAE, revision: 'v1.0' })).id);
    const main = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: SAE })).id);
    expect([v1.status, main.status]).toEqual(['ready', 'ready']);
    const folder = repoFolder(env.cacheRoot, 'model', SAE);
    const v1Commit = hub.commitSha('model', SAE, 'v1.0');

    // The state a crash right after delete() persisted its job leaves: the row gone, the job pending, no file touched.
    const files = studio.files(v1.id);
    const job = studio.catalog.transaction(() => {
      studio.catalog.removeEntry(v1.id);
      return studio.catalog.addJob({
        type: 'cleanup',
        entryId: null,
        payload: cleanupPayload({
          kind: 'model',
          repoId: SAE,
          revision: 'v1.0',
          commit: v1Commit,
          blobIds: files.map((f) => f.blobId),
          paths: files.map((f) => f.path),
          catalogKey: catalogKeyOf(env.catalogFile),
        }),
      });
    });
    // ... and the first step of the cleanup done (refs go first).
    fs.rmSync(path.join(folder, 'refs', 'v1.0'));
    const reopened = await env.reopen();
    expect(reopened.catalog.getJob(job.id)?.state).toBe('pending');
    expect(fs.existsSync(path.join(folder, 'snapshots', v1Commit))).toBe(true);

    await reopened.reconcile();
    await reopened.whenIdle();
    expect(reopened.catalog.getJob(job.id)).toBeUndefined();
    expect(fs.existsSync(path.join(folder, 'snapshots', v1Commit))).toBe(false);
    const repo = demoRepo(SAE);
    const mainFiles = repo.commits[1]!.files;
    const oldOnly = repo.commits[0]!.files.map(expectedBlobId).filter((b) => !mainFiles.some((f) => expectedBlobId(f) === b));
    expect(oldOnly.length).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(folder, 'blobs')).sort()).toEqual([...new Set(mainFiles.map(expectedBlobId))].sort());
    for (const f of mainFiles) expect(fs.readFileSync(path.join(main.snapshotPath!, f.path)).equals(fileOf(repo, f.path, 1)), f.path).toBe(true);
    expect(listTree(path.join(folder, 'refs'))).toEqual(['main']);
    expect(reopened.catalog.getEntry(main.id)?.status).toBe('ready');
  });

  it('a malformed cleanup job fails without stopping the start', async () => {
    const job = env.studio.catalog.addJob({ type: 'cleanup', entryId: null, payload: { nonsense: true } });
    await env.studio.reconcile();
    await env.studio.whenIdle();
    const failed = env.studio.catalog.getJob(job.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.lastError).toMatch(/payload/);
  });

  it('marks a ready entry missing when its files were removed by hand; resume downloads them again', async () => {
    const { studio } = env;
    const repo = demoRepo('mistudio-demo/tiny-gpt2');
    const ready = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: repo.id })).id);
    const untouched = await studio.whenSettled((await studio.enqueue({ kind: 'dataset', repoId: 'mistudio-demo/tiny-stories' })).id);
    expect([ready.status, untouched.status]).toEqual(['ready', 'ready']);
    const weights = repo.commits[0]!.files.find((f) => f.path === 'model.safetensors')!;
    const blob = path.join(repoFolder(env.cacheRoot, 'model', repo.id), 'blobs', expectedBlobId(weights));
    fs.rmSync(blob);

    await studio.reconcile();
    expect(studio.catalog.getEntry(ready.id)?.status).toBe('missing');
    expect(studio.catalog.getEntry(untouched.id)?.status).toBe('ready');

    env.hub.resetStats();
    await studio.resume(ready.id);
    const again = await studio.whenSettled(ready.id);
    expect(again.status).toBe('ready');
    expect(fs.readFileSync(path.join(again.snapshotPath!, 'model.safetensors')).equals(fileOf(repo, 'model.safetensors'))).toBe(true);
    // Only the missing file moved again (plus its safetensors header, read for the metadata).
    expect(env.hub.bytesSent({ path: 'tokenizer.json' })).toBe(0);
    const size = fileOf(repo, 'model.safetensors').length;
    expect(env.hub.bytesSent({ server: 'cdn', path: 'model.safetensors' })).toBeGreaterThanOrEqual(size);
    expect(env.hub.bytesSent({ server: 'cdn', path: 'model.safetensors' })).toBeLessThan(size + 16 * 1024);
  });

  it('marks an entry missing when a snapshot link was removed, and relinks it from the cached blob on resume', async () => {
    const { studio } = env;
    const repo = demoRepo('mistudio-demo/tiny-gpt2');
    const ready = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: repo.id })).id);
    fs.rmSync(path.join(ready.snapshotPath!, 'tokenizer', 'vocab.txt'));
    await studio.reconcile();
    expect(studio.catalog.getEntry(ready.id)?.status).toBe('missing');
    env.hub.resetStats();
    const again = await studio.whenSettled((await studio.resume(ready.id)).id);
    expect(again.status).toBe('ready');
    expect(fs.readFileSync(path.join(again.snapshotPath!, 'tokenizer', 'vocab.txt')).equals(fileOf(repo, 'tokenizer/vocab.txt'))).toBe(true);
    expect(env.hub.requests.filter((r) => r.url.includes('/resolve/') && !r.url.endsWith('.json') && !r.url.endsWith('.safetensors'))).toEqual([]);
  });
});
