/**
 * Fewer requests per download (issue 12, item 2): one repo-info and one tree listing per download — the plan the user
 * confirmed is reused by its job — and config.json and the safetensors headers read once, from the cache when the
 * download placed them there. Counted on the fake hub's request log.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlanMemo } from '../../../src/core/jobs/planMemo';
import type { DownloadPlan } from '../../../src/core/studioTypes';
import { startEnv, type StudioEnv } from './helpers';

const GPT2 = 'mistudio-demo/tiny-gpt2';
let env: StudioEnv;
beforeEach(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await env.dispose();
});

/** Requests to the hub and CDN for one repo file: its resolve URL, the relative 307's target, its CDN URL. */
const forFile = (name: string): Array<{ server: string; range: boolean }> =>
  env.hub.requests.filter((r) => r.url.split('?')[0]!.endsWith(`/${name}`)).map((r) => ({ server: r.server, range: r.headers['range'] !== undefined }));
const count = (pattern: RegExp): number => env.hub.requests.filter((r) => pattern.test(r.url)).length;

describe('requests per download', () => {
  it('plan, then download that plan: one repo-info, one tree listing, every file fetched once, nothing read again', async () => {
    const plan = await env.studio.plan({ kind: 'model', repoId: GPT2 });
    const entry = await env.studio.whenSettled((await env.studio.enqueue(plan)).id);
    expect(entry.status).toBe('ready');
    expect(count(/\/api\/models\/[^?]*\/revision\//)).toBe(1);
    expect(count(/\/api\/models\/[^?]*\/tree\//)).toBe(1);
    // config.json: its resolve URL and the relative 307's /api/resolve-cache/… — the transfer, nothing else.
    expect(forFile('config.json')).toEqual([
      { server: 'hub', range: false },
      { server: 'hub', range: false },
    ]);
    // The weights: the resolve URL and the CDN, once; the header was read from the cache for the parameter count.
    expect(forFile('model.safetensors')).toEqual([
      { server: 'hub', range: false },
      { server: 'cdn', range: false },
    ]);
    expect(entry.metadata.model?.parameters?.total).toBe(141_056);
    expect(entry.metadata.model?.modelType).toBe('gpt2');
  });

  it('weights left out: their header is read from the Hub with a Range request, once', async () => {
    const entry = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GPT2, exclude: ['*.safetensors'] })).id);
    expect(entry.status).toBe('ready');
    expect(forFile('model.safetensors')).toEqual([
      { server: 'hub', range: true },
      { server: 'cdn', range: true },
    ]);
    expect(entry.metadata.model?.parameters?.total).toBe(141_056);
    expect(count(/\/revision\//)).toBe(1);
    expect(count(/\/tree\//)).toBe(1);
  });

  it('a plan is taken once, by a download of its revision; other downloads ask the Hub themselves', async () => {
    await env.studio.plan({ kind: 'model', repoId: GPT2, revision: 'main' });
    const other = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-sae' })).id);
    expect(other.status).toBe('ready');
    expect(count(/tiny-sae\/revision\//)).toBe(1);
    env.hub.resetStats();
    // The plan of tiny-gpt2 is still there for a download of tiny-gpt2@main, once.
    await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GPT2 })).id);
    expect(count(/\/revision\//)).toBe(0);
    await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GPT2, revision: 'main', include: ['*.json'] })).id);
    expect(count(/\/revision\//)).toBe(1);
  });
});

describe('PlanMemo', () => {
  const planOf = (repoId: string): DownloadPlan =>
    ({
      ref: { kind: 'model', repoId },
      revision: 'main',
      info: { ref: { kind: 'model', repoId }, commit: 'a'.repeat(40), gated: false, private: false, downloads: 0, likes: 0, tags: [] },
      allFiles: [{ path: 'x.bin', size: 3, blobId: 'b'.repeat(64), gitOid: 'c'.repeat(40), lfs: true, cached: true }],
    }) as unknown as DownloadPlan;

  it('hands a listing out once, as the Hub listed it, while fresh (10 min), and keeps at most four', () => {
    let now = 0;
    const memo = new PlanMemo(() => now);
    const ref = { kind: 'model', repoId: 'o/a' } as const;
    memo.remember(planOf('o/a'));
    expect(memo.take(ref, 'main')?.listing).toEqual([{ path: 'x.bin', size: 3, oid: 'c'.repeat(40), lfs: { sha256: 'b'.repeat(64), size: 3 } }]);
    expect(memo.take(ref, 'main')).toBeUndefined();
    memo.remember(planOf('o/a'));
    now += 10 * 60_000 + 1;
    expect(memo.take(ref, 'main')).toBeUndefined();
    for (const id of ['o/1', 'o/2', 'o/3', 'o/4', 'o/5']) memo.remember(planOf(id));
    expect(memo.take({ kind: 'model', repoId: 'o/1' }, 'main')).toBeUndefined();
    expect(memo.take({ kind: 'model', repoId: 'o/5' }, 'main')).toBeDefined();
    expect(memo.take({ kind: 'dataset', repoId: 'o/4' }, 'main')).toBeUndefined();
  });
});
