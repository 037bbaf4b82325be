import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { bigRepo, fileOf, repoFolder, startEnv, type StudioEnv } from './helpers';

const cached = bigRepo('test/offline-cached', 64 * 1024, 31);
const uncached = bigRepo('test/offline-uncached', 64 * 1024, 32);
// Above the size up to which a reused blob is re-hashed: only its listed size can tell it is short.
const large = bigRepo('test/offline-large', 2 * 1024 * 1024 + 17, 33);

describe('offline mode (HF_HUB_OFFLINE)', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [cached, uncached, large] } });
    const first = await env.studio.enqueue({ kind: 'model', repoId: cached.id });
    expect((await env.studio.whenSettled(first.id)).status).toBe('ready');
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('adds a cached repo from the cache alone and refuses an uncached one with a clear Offline error, sending no request', async () => {
    const online = await env.studio.plan({ kind: 'model', repoId: cached.id });
    const studio = await env.reopen({ offline: true });
    env.hub.resetStats();
    const before = env.hub.requests.length;

    const plan = await studio.plan({ kind: 'model', repoId: cached.id });
    expect(plan.bytesToDownload).toBe(0);
    // The same listing the Hub gave, blob ids and git oids (of LFS pointers too) included.
    const facts = (p: typeof plan) => p.files.map((f) => [f.path, f.size, f.blobId, f.gitOid, f.lfs]);
    expect(facts(plan)).toEqual(facts(online));
    expect(plan.commit).toBe(online.commit);
    // A second entry at the commit itself: planned, linked and ready without the network.
    const entry = await studio.enqueue({ kind: 'model', repoId: cached.id, revision: online.commit });
    const done = await studio.whenSettled(entry.id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    const snapshot = path.join(repoFolder(env.cacheRoot, 'model', cached.id), 'snapshots', done.commit!, 'weights.bin');
    expect(fs.readFileSync(snapshot).equals(fileOf(cached, 'weights.bin'))).toBe(true);

    const refused = await studio.plan({ kind: 'model', repoId: uncached.id }).catch((err: unknown) => err);
    expect(isMistudioError(refused, 'Offline')).toBe(true);
    expect(String((refused as Error).message)).toMatch(/test\/offline-uncached@main is not in the cache and offline mode/);
    const search = await studio.searchHub('model', 'offline').catch((err: unknown) => err);
    expect(isMistudioError(search, 'Offline')).toBe(true);
    expect(env.hub.requests.length).toBe(before);
  });

  it('fails a damaged cached blob with Offline instead of fetching it', async () => {
    const online = await env.studio.plan({ kind: 'model', repoId: cached.id });
    const weights = online.files.find((f) => f.path === 'weights.bin')!;
    fs.truncateSync(path.join(repoFolder(env.cacheRoot, 'model', cached.id), 'blobs', weights.blobId), 10);
    const studio = await env.reopen({ offline: true });
    const before = env.hub.requests.length;
    const entry = await studio.enqueue({ kind: 'model', repoId: cached.id, revision: online.commit });
    const done = await studio.whenSettled(entry.id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('Offline');
    expect(done.errorMessage).toMatch(/Offline mode .* not fetching weights\.bin of test\/offline-cached/);
    expect(env.hub.requests.length).toBe(before);
  });

  it('with trees/<commit>.json, a truncated large blob is not accepted as ready offline', async () => {
    const online = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: large.id })).id);
    expect(online.status).toBe('ready');
    const folder = repoFolder(env.cacheRoot, 'model', large.id);
    expect(fs.existsSync(path.join(folder, 'trees', `${online.commit}.json`))).toBe(true);
    const weights = env.studio.files(online.id).find((f) => f.path === 'weights.bin')!;
    fs.truncateSync(path.join(folder, 'blobs', weights.blobId), 1024 * 1024);

    const studio = await env.reopen({ offline: true });
    const before = env.hub.requests.length;
    const plan = await studio.plan({ kind: 'model', repoId: large.id });
    expect(plan.files.find((f) => f.path === 'weights.bin')).toMatchObject({ size: fileOf(large, 'weights.bin').length, cached: false });
    const entry = await studio.enqueue({ kind: 'model', repoId: large.id, revision: online.commit! });
    const done = await studio.whenSettled(entry.id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('Offline');
    expect(env.hub.requests.length).toBe(before);
  });
});
