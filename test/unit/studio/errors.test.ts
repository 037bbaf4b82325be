import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache';
import { openCatalog } from '../../../src/core/catalog';
import { isMistudioError } from '../../../src/core/errors';
import { HubClient } from '../../../src/core/hub';
import { runDownload } from '../../../src/core/jobs/downloadJob';
import { DEFAULT_SETTINGS } from '../../../src/core/studio';
import { downloadFile } from '../../../src/core/transfer';
import { formatBytes } from '../../../src/core/progress';
import type { FakeRepo } from '../../fake-hub/index';
import { demoRepo, listTree, repoFolder, startEnv, wasmPath, type StudioEnv } from './helpers';

const GATED = 'mistudio-demo/gated-model';
const TOKEN = 'hf_test_reader_with_access';

describe('Studio errors', () => {
  let env: StudioEnv | undefined;
  afterEach(async () => {
    await env?.dispose();
    env = undefined;
  });

  it('gated repo without a token: error Gated naming the repo page; nothing placed', async () => {
    env = await startEnv();
    const entry = await env.studio.enqueue({ kind: 'model', repoId: GATED });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('Gated');
    expect(done.errorMessage).toContain(`${env.hub.url}/${GATED}`);
    expect(done.errorMessage).not.toMatch(/\n/);
    // Nothing placed, and no empty partials left behind by the refused requests.
    expect(listTree(env.cacheRoot).filter((p) => p.includes('/blobs/') || p.includes('/snapshots/'))).toEqual([]);
  });

  it('gated repo with a token that has no access: error Gated asking to request access', async () => {
    env = await startEnv({ hub: { tokens: { hf_no_access: { user: 'nobody' } } }, studio: { token: () => 'hf_no_access' } });
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GATED })).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('Gated');
    expect(done.errorMessage).toContain(`${env.hub.url}/${GATED}`);
  });

  it('gated repo with a token that has access: ready, and the token never reaches the CDN', async () => {
    env = await startEnv({ hub: { tokens: { [TOKEN]: { user: 'reader', canAccessGated: true } } }, studio: { token: async () => TOKEN } });
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GATED })).id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    const repo = demoRepo(GATED);
    for (const f of repo.commits[0]!.files) expect(fs.existsSync(path.join(done.snapshotPath!, f.path)), f.path).toBe(true);
    expect(done.metadata.gated).toBe('manual');
    expect(done.metadata.model?.modelType).toBe('llama');
    const cdn = env.hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(env.hub.requests.some((r) => r.server === 'hub' && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('repo not found: typed error on the entry, nothing written in the cache', async () => {
    env = await startEnv();
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: 'nobody/nothing-here' })).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('RepoNotFound');
    expect(done.errorMessage).toContain('nobody/nothing-here');
    expect(fs.existsSync(env.cacheRoot)).toBe(false);
    // The same repo id as a dataset is another repo: also not found.
    const dataset = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'dataset', repoId: 'mistudio-demo/tiny-gpt2' })).id);
    expect(dataset.errorCode).toBe('RepoNotFound');
    expect(fs.existsSync(env.cacheRoot)).toBe(false);
  });

  it('revision not found: typed error naming the revision, nothing written in the cache', async () => {
    env = await startEnv();
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2', revision: 'no-such-branch' })).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('RevisionNotFound');
    expect(done.errorMessage).toContain('no-such-branch');
    expect(fs.existsSync(env.cacheRoot)).toBe(false);
    expect(env.studio.catalog.listJobs({ entryId: done.id }).every((j) => j.state === 'failed')).toBe(true);
  });

  it('an unreachable hub is error Offline, with nothing written', async () => {
    env = await startEnv();
    env.studio.updateSettings({ endpoint: 'http://127.0.0.1:1' });
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' })).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('Offline');
    expect(done.errorMessage).not.toMatch(/\n/);
    expect(fs.existsSync(env.cacheRoot)).toBe(false);
  });

  it('a token the hub rejects is error Unauthorized', async () => {
    env = await startEnv({ studio: { token: () => 'hf_revoked' } });
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' })).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('Unauthorized');
    expect(done.errorMessage).toMatch(/token/i);
  });

  it('a failing token provider is an error on the entry, not a silent pause', async () => {
    env = await startEnv({
      studio: {
        token: () => {
          throw new Error('secret storage is locked');
        },
      },
    });
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' })).id);
    expect(done.status).toBe('error');
    expect(done.errorMessage).toContain('secret storage is locked');
  });

  it('invalid input is refused at enqueue, before anything is recorded', async () => {
    env = await startEnv();
    await expect(env.studio.enqueue({ kind: 'model', repoId: '../etc' })).rejects.toSatisfy((e) => isMistudioError(e, 'InvalidInput'));
    await expect(env.studio.enqueue({ kind: 'model', repoId: 'a/b', revision: '../x' })).rejects.toSatisfy((e) => isMistudioError(e, 'InvalidInput'));
    expect(env.studio.catalog.listEntries()).toEqual([]);
  });

  it.each(['../evil.txt', 'sub/../../evil.txt', '/tmp/evil.txt'])('a hostile file path from the hub (%s) is refused; nothing lands outside the cache', async (hostile) => {
    const repo: FakeRepo = {
      kind: 'model',
      id: 'evil/repo',
      commits: [{ files: [{ path: 'config.json', content: '{}\n' }, { path: hostile, content: 'pwned\n' }] }],
    };
    env = await startEnv({ hub: { repos: [repo] } });
    const before = listTree(env.dir);
    const absolute = '/tmp/evil.txt';
    const existedBefore = fs.existsSync(absolute);
    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: repo.id })).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('UnsafePath');
    expect(done.errorMessage).toContain('evil.txt');
    // Only the catalog may have changed in the test folder; no evil.txt anywhere, not even in the cache.
    expect(listTree(env.dir).filter((p) => !before.includes(p) && !p.startsWith('catalog.sqlite'))).toEqual([]);
    if (!existedBefore) expect(fs.existsSync(absolute)).toBe(false);
    expect(env.hub.requests.some((r) => r.url.includes('evil.txt'))).toBe(false);
  });

  it('not enough free space: error NoSpace naming both sizes, with them in details; nothing downloaded', async () => {
    const free = 1000;
    env = await startEnv({ studio: { freeSpace: async () => free } });
    const plan = await env.studio.plan({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
    expect(plan.freeBytes).toBe(free);
    const done = await env.studio.whenSettled((await env.studio.enqueue(plan)).id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('NoSpace');
    expect(done.errorMessage).toContain(formatBytes(plan.bytesToDownload));
    expect(done.errorMessage).toContain(formatBytes(free));
    // No byte was asked for, not even a metadata read that outlives the failed job.
    await env.studio.whenIdle();
    await sleep(200);
    expect(env.hub.requests.filter((r) => r.server === 'cdn' || r.url.includes('/resolve/'))).toEqual([]);
    expect(fs.existsSync(repoFolder(env.cacheRoot, 'model', 'mistudio-demo/tiny-gpt2'))).toBe(false);
  });

  it('the NoSpace error carries both sizes in its details', async () => {
    env = await startEnv();
    const catalog = await openCatalog({ file: null, wasmPath });
    try {
      const entry = catalog.addEntry({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
      const hubClient = new HubClient({ endpoint: env.hub.url });
      const plan = await env.studio.plan({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
      const silent = { trace: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
      const run = runDownload(
        {
          catalog,
          cache: new HfCache(env.cacheRoot),
          hub: hubClient,
          token: undefined,
          settings: { ...DEFAULT_SETTINGS, endpoint: env.hub.url },
          logger: silent,
          downloadFile,
          freeSpace: async () => 1000,
          withBlobLock: (_ref, _blob, task) => task(),
          holdFiles: async () => undefined,
          onTracker: () => undefined,
        },
        entry.id,
        new AbortController().signal,
      );
      await expect(run).rejects.toMatchObject({
        code: 'NoSpace',
        details: { neededBytes: plan.bytesToDownload, freeBytes: 1000, repoId: 'mistudio-demo/tiny-gpt2', path: path.resolve(env.cacheRoot) },
      });
    } finally {
      await catalog.close();
    }
  });
});
