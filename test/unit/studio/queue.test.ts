import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogEntry, EntryStatus } from '../../../src/core/catalog';
import type { StudioApi } from '../../../src/core/studioTypes';
import { bigRepo, startEnv, waitForStatus, type StudioEnv } from './helpers';

const COUNT = 20;
const repos = Array.from({ length: COUNT }, (_, i) => bigRepo(`test/queue-${String(i).padStart(2, '0')}`, 64 * 1024, 100 + i));

/** Watches every catalog change and records how many entries were downloading at once, and any other status seen. */
function watchConcurrency(studio: StudioApi, ids: () => readonly string[]): { max: () => number; violations: string[]; dispose: () => void } {
  let max = 0;
  const violations: string[] = [];
  const allowed: ReadonlySet<EntryStatus> = new Set(['queued', 'downloading', 'ready']);
  const sub = studio.onDidChangeEntry(() => {
    const entries = ids().map((id) => studio.catalog.getEntry(id)).filter((e): e is CatalogEntry => e !== undefined);
    const downloading = entries.filter((e) => e.status === 'downloading').length;
    max = Math.max(max, downloading);
    for (const e of entries) if (!allowed.has(e.status)) violations.push(`${e.repoId}: ${e.status} ${e.errorMessage ?? ''}`);
  });
  return { max: () => max, violations, dispose: () => sub.dispose() };
}

describe('Studio download queue', () => {
  let env: StudioEnv | undefined;
  afterEach(async () => {
    await env?.dispose();
    env = undefined;
  });

  it('runs 20 entries with at most 4 downloading at once; the rest wait as queued; all complete', async () => {
    env = await startEnv({ hub: { repos, cdnBytesPerSecondPerConnection: 256 * 1024 }, studio: { maxConcurrentDownloads: 4 } });
    const { studio } = env;
    const ids: string[] = [];
    const watch = watchConcurrency(studio, () => ids);
    for (const repo of repos) {
      const entry = await studio.enqueue({ kind: 'model', repoId: repo.id });
      expect(['queued', 'downloading']).toContain(entry.status);
      ids.push(entry.id);
    }
    const queuedNow = ids.filter((id) => studio.catalog.getEntry(id)?.status === 'queued').length;
    expect(queuedNow).toBeGreaterThanOrEqual(COUNT - 4);
    const settled = await Promise.all(ids.map((id) => studio.whenSettled(id)));
    await studio.whenIdle();
    watch.dispose();
    expect(settled.map((e) => e.status)).toEqual(Array(COUNT).fill('ready'));
    expect(watch.violations).toEqual([]);
    expect(watch.max()).toBeLessThanOrEqual(4);
    expect(watch.max()).toBe(4);
  });

  it('a lower limit applies to entries still waiting', async () => {
    env = await startEnv({ hub: { repos: repos.slice(0, 8), cdnBytesPerSecondPerConnection: 256 * 1024 }, studio: { maxConcurrentDownloads: 4 } });
    const { studio } = env;
    studio.updateSettings({ maxConcurrentDownloads: 2 });
    const ids: string[] = [];
    const watch = watchConcurrency(studio, () => ids);
    for (const repo of repos.slice(0, 8)) ids.push((await studio.enqueue({ kind: 'model', repoId: repo.id })).id);
    await Promise.all(ids.map((id) => studio.whenSettled(id)));
    watch.dispose();
    expect(ids.map((id) => studio.catalog.getEntry(id)?.status)).toEqual(Array(8).fill('ready'));
    expect(watch.max()).toBe(2);
  });

  it('entries resumed in flight at start wait as queued and respect the limit', async () => {
    env = await startEnv({ hub: { repos: repos.slice(0, 8), cdnBytesPerSecondPerConnection: 128 * 1024 }, studio: { maxConcurrentDownloads: 2 } });
    const ids: string[] = [];
    for (const repo of repos.slice(0, 8)) ids.push((await env.studio.enqueue({ kind: 'model', repoId: repo.id })).id);
    await Promise.all(ids.slice(0, 2).map((id) => waitForStatus(env!.studio, id, 'downloading')));
    const studio = await env.reopen();
    const left = ids.map((id) => studio.catalog.getEntry(id)?.status);
    expect(left.filter((s) => s === 'downloading')).toHaveLength(2);
    expect(left.filter((s) => s === 'queued')).toHaveLength(6);

    const watch = watchConcurrency(studio, () => ids);
    await studio.reconcile({ resumeInFlight: true });
    const downloadingNow = ids.filter((id) => studio.catalog.getEntry(id)?.status === 'downloading').length;
    expect(downloadingNow).toBeLessThanOrEqual(2);
    await Promise.all(ids.map((id) => studio.whenSettled(id)));
    watch.dispose();
    expect(ids.map((id) => studio.catalog.getEntry(id)?.status)).toEqual(Array(8).fill('ready'));
    expect(watch.violations).toEqual([]);
    expect(watch.max()).toBeLessThanOrEqual(2);
  });

  it('at start, the download that was running resumes first and the others stay queued behind it', async () => {
    env = await startEnv({ hub: { repos: repos.slice(0, 3), cdnBytesPerSecondPerConnection: 128 * 1024 }, studio: { maxConcurrentDownloads: 1 } });
    // Enqueued in reverse name order, so the running one is not the first by name.
    const ids: string[] = [];
    for (const repo of repos.slice(0, 3).reverse()) ids.push((await env.studio.enqueue({ kind: 'model', repoId: repo.id })).id);
    await waitForStatus(env.studio, ids[0]!, 'downloading');
    const studio = await env.reopen();
    expect(ids.map((id) => studio.catalog.getEntry(id)?.status)).toEqual(['downloading', 'queued', 'queued']);

    const order: string[] = [];
    const watch = watchConcurrency(studio, () => ids);
    const sub = studio.onDidChangeEntry((c) => {
      if (studio.catalog.getEntry(c.entryId)?.status === 'downloading' && order.at(-1) !== c.entryId) order.push(c.entryId);
    });
    await studio.reconcile({ resumeInFlight: true });
    await Promise.all(ids.map((id) => studio.whenSettled(id)));
    sub.dispose();
    watch.dispose();
    expect(ids.map((id) => studio.catalog.getEntry(id)?.status)).toEqual(['ready', 'ready', 'ready']);
    expect(watch.max()).toBe(1);
    expect(watch.violations).toEqual([]);
    expect(order[0]).toBe(ids[0]);
    expect([...order].sort()).toEqual([...ids].sort());
  });

  it('enqueueing an entry that is already queued or downloading returns it unchanged', async () => {
    env = await startEnv({ hub: { repos: repos.slice(0, 1), cdnBytesPerSecondPerConnection: 256 * 1024 } });
    const { studio } = env;
    const first = await studio.enqueue({ kind: 'model', repoId: repos[0]!.id });
    const again = await studio.enqueue({ kind: 'model', repoId: repos[0]!.id });
    expect(again.id).toBe(first.id);
    expect(studio.catalog.listEntries()).toHaveLength(1);
    expect((await studio.whenSettled(first.id)).status).toBe('ready');
    expect(env.hub.requests.filter((r) => r.server === 'cdn' && !r.headers.range)).toHaveLength(1);
  });
});
