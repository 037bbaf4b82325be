import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../src/core/catalog';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { auditCache, repoFolder, scratch, verifySnapshot, wasmPath, type Scratch } from './helpers';
import { createTally, writeTally } from './summary';

const COUNT = 20;
const LIMIT = 4;
const FILLER = 2_000;

/** Ten models and ten datasets: one code path, so they share the queue. */
const repos: FakeRepo[] = Array.from({ length: COUNT }, (_, i) => {
  const kind = i % 2 === 0 ? 'model' : 'dataset';
  const n = String(i).padStart(2, '0');
  return {
    kind,
    id: `load/${kind === 'model' ? 'm' : 'd'}-${n}`,
    commits: [
      {
        files: [
          { path: kind === 'model' ? 'config.json' : 'README.md', content: `# ${n}\n` },
          { path: kind === 'model' ? 'model.safetensors' : 'data/train.parquet', content: seededBytes(96 * 1024 + i * 4096, 500 + i), lfs: true },
        ],
      },
    ],
  };
});

describe('load: 20 downloads queued at once with maxConcurrentDownloads 4', () => {
  const tally = createTally();
  let hub: FakeHub | undefined;
  let home: Scratch | undefined;
  let studio: StudioApi | undefined;
  afterAll(async () => {
    await studio?.close();
    await hub?.close();
    home?.cleanup();
    await writeTally('load', tally);
  });

  it('catalog queries keep answering correctly while transfers run; pause, cancel and delete mid-load; all the rest end verified', { timeout: 90_000 }, async () => {
    hub = await startFakeHub({ repos, cdnBytesPerSecondPerConnection: 256 * 1024 });
    home = scratch('load');
    studio = await openStudio({ catalogFile: home.catalogFile, wasmPath, cacheRoot: home.cacheRoot, endpoint: hub.url, maxConcurrentDownloads: LIMIT });
    const s = studio;
    // A catalog of realistic size, so queries do real work while the queue runs.
    s.catalog.transaction(() => {
      for (let i = 0; i < FILLER; i++) s.catalog.addEntry({ kind: i % 3 ? 'model' : 'dataset', repoId: `filler-org/filler-${i}`, status: 'ready', bytesTotal: i * 1000 });
    });

    const ids: string[] = [];
    let maxDownloading = 0;
    const violations: string[] = [];
    let deletedId: string | undefined;
    const entries = (): CatalogEntry[] => ids.filter((id) => id !== deletedId).map((id) => s.catalog.getEntry(id)).filter((e): e is CatalogEntry => e !== undefined);

    // Queries, answered on every progress event while bytes move.
    let batchesDuringTransfers = 0;
    const queryMs: number[] = [];
    const timed = <T>(query: () => T): T => {
      const started = performance.now();
      const result = query();
      queryMs.push(performance.now() - started);
      return result;
    };
    const queryFailures: string[] = [];
    const check = (ok: boolean, what: string): void => {
      if (!ok && queryFailures.length < 20) queryFailures.push(what);
    };
    const queries = s.onDidProgress(({ entryId, progress }) => {
      // What the rows say, compared with what the search index answers.
      const live = ids.map((id) => s.catalog.getEntry(id)).filter((e): e is CatalogEntry => e !== undefined);
      const all = timed(() => s.catalog.search({ limit: 1 }));
      check(all.total === FILLER + live.length, `total ${all.total}, rows ${FILLER + live.length}`);
      const one = timed(() => s.catalog.search({ text: 'm-06' }));
      check(one.items.length === 1 && one.items[0]?.repoId === 'load/m-06', `search m-06 → ${one.items.map((e) => e.repoId).join(',')}`);
      const datasets = timed(() => s.catalog.search({ kind: 'dataset', text: 'load/' }));
      check(datasets.total === live.filter((e) => e.kind === 'dataset').length, `datasets ${datasets.total}`);
      const downloading = timed(() => s.catalog.search({ statuses: ['downloading'] }));
      check(downloading.total <= LIMIT, `${downloading.total} downloading`);
      const ready = timed(() => s.catalog.search({ text: 'load/', statuses: ['ready'], sort: 'size', direction: 'desc', limit: 5 }));
      check(ready.items.every((e) => e.snapshotPath !== null), 'ready without a snapshot path');
      const page = timed(() => s.catalog.search({ sort: 'name', offset: 100, limit: 50 }));
      check(page.items.length === 50, `page of ${page.items.length}`);
      check(progress.bytesDone <= progress.bytesTotal && progress.fraction <= 1, `progress of ${entryId}: ${progress.bytesDone}/${progress.bytesTotal}`);
      if (downloading.total > 0) batchesDuringTransfers += 1;
    });
    const watch = s.onDidChangeEntry(() => {
      const now = entries();
      const downloading = now.filter((e) => e.status === 'downloading').length;
      maxDownloading = Math.max(maxDownloading, downloading);
      if (downloading > LIMIT) violations.push(`${downloading} downloading at once`);
    });

    for (const repo of repos) ids.push((await s.enqueue({ kind: repo.kind, repoId: repo.id })).id);
    const last = ids[COUNT - 1]!;
    const first = ids[0]!;

    // Pause one still waiting for a slot: it never starts until resumed.
    await s.pause(last);
    expect(s.catalog.getEntry(last)?.status).toBe('paused');

    // Cancel one mid-transfer, then ask for it again.
    await new Promise<void>((resolve) => {
      const sub = s.onDidProgress(({ entryId, progress }) => {
        if (entryId === first && progress.bytesDone > 0 && progress.fraction < 0.9) {
          sub.dispose();
          resolve();
        }
      });
    });
    await s.cancel(first);
    expect(s.catalog.getEntry(first)?.status).toBe('cancelled');
    await s.enqueue({ kind: repos[0]!.kind, repoId: repos[0]!.id });

    // Delete the first one to finish while the others still download: its cleanup runs alongside.
    const firstReady = await new Promise<string>((resolve) => {
      const sub = s.onDidChangeEntry(({ entryId }) => {
        const e = s.catalog.getEntry(entryId);
        if (e?.status === 'ready' && ids.includes(entryId) && entryId !== first) {
          sub.dispose();
          resolve(entryId);
        }
      });
    });
    deletedId = firstReady;
    await s.delete(firstReady);
    expect(s.catalog.getEntry(firstReady)).toBeUndefined();

    // Resume the paused one once half the queue is done; until then the CDN never saw a request for its file.
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        if (entries().filter((e) => e.status === 'ready').length >= COUNT / 2) resolve();
        else setTimeout(tick, 20);
      };
      tick();
    });
    expect(hub.requests.filter((r) => r.url.includes(repos[COUNT - 1]!.id))).toEqual([]);
    await s.resume(last);

    const settled = await Promise.all(ids.filter((id) => id !== deletedId).map((id) => s.whenSettled(id)));
    await s.whenIdle();
    queries.dispose();
    watch.dispose();

    expect(settled.map((e) => `${e.repoId}:${e.status}:${e.errorMessage ?? ''}`)).toEqual(
      repos.filter((_, i) => ids[i] !== deletedId).map((r) => `${r.id}:ready:`),
    );
    expect(queryFailures).toEqual([]);
    expect(batchesDuringTransfers).toBeGreaterThan(10);
    expect(violations).toEqual([]);
    expect(maxDownloading).toBeLessThanOrEqual(LIMIT);
    expect(maxDownloading).toBe(LIMIT);
    // The deleted repo is gone from disk, every other one is verified, nothing partial is left.
    const deletedRepo = repos[ids.indexOf(deletedId)]!;
    expect(fs.existsSync(repoFolder(home.cacheRoot, deletedRepo.kind, deletedRepo.id))).toBe(false);
    for (const repo of repos) if (repo !== deletedRepo) tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, repo);
    const audit = auditCache(home.cacheRoot);
    expect(audit.problems).toEqual([]);
    expect([...audit.partials.keys()]).toEqual([]);
    const survivors = s.catalog.search({ text: 'load/' }).items.map((e) => e.repoId).sort();
    tally.entriesLost += COUNT - 1 - new Set(survivors).size;
    expect(survivors).toEqual(repos.filter((r) => r !== deletedRepo).map((r) => r.id).sort());
    const sorted = [...queryMs].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    console.log(`[robustness] load: ${sorted.length} catalog queries (${FILLER + COUNT} entries) answered during ${batchesDuringTransfers} progress events with transfers running; p95 ${p95.toFixed(2)} ms, max ${(sorted.at(-1) ?? 0).toFixed(2)} ms (info only: speed belongs in the bench)`);
    tally.scenarios += 1;
  });
});
