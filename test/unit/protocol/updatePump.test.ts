import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpdatePump } from '../../../src/host/panel/updatePump';
import type { UpdateBatch } from '../../../src/shared/protocol';
import { addEntries, createFakeStudio, snapshotOf, type FakeStudio } from './fakeStudio';

let studio: FakeStudio;
let batches: UpdateBatch[];
let pump: UpdatePump;

beforeEach(async () => {
  studio = await createFakeStudio();
  batches = [];
  vi.useFakeTimers();
  pump = new UpdatePump(studio, (b) => batches.push(b), { intervalMs: 100 });
});

afterEach(async () => {
  pump.dispose();
  vi.useRealTimers();
  await studio.close();
});

describe('UpdatePump', () => {
  it('sends nothing before the webview is live', async () => {
    addEntries(studio, [{ kind: 'model', repoId: 'org/a' }]);
    studio.progressEmitter.fire({ entryId: 'x', progress: snapshotOf(1, 2) });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(batches).toEqual([]);
  });

  it('coalesces a flood of progress into at most ten batches a second, latest value per entry', async () => {
    pump.resume();
    const [a, b] = addEntries(studio, [
      { kind: 'model', repoId: 'org/a', status: 'downloading' },
      { kind: 'model', repoId: 'org/b', status: 'downloading' },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    batches.length = 0;
    // 1000 events over one simulated second, as a fast download with many files would fire them.
    for (let i = 1; i <= 1000; i++) {
      studio.progressEmitter.fire({ entryId: i % 2 ? (a as string) : (b as string), progress: snapshotOf(i, 1000) });
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(200);
    expect(batches.length).toBeGreaterThanOrEqual(9);
    expect(batches.length).toBeLessThanOrEqual(11);
    const last = batches.at(-1) as UpdateBatch;
    const finalA = batches.flatMap((x) => x.progress).filter((p) => p.entryId === a).at(-1);
    const finalB = batches.flatMap((x) => x.progress).filter((p) => p.entryId === b).at(-1);
    expect(finalA?.bytesDone).toBe(999);
    expect(finalB?.bytesDone).toBe(1000);
    for (const batch of batches) {
      const ids = batch.progress.map((p) => p.entryId);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(last.counts.model.total).toBe(2);
  });

  it('sends the first change at once and keeps the gap between batches', async () => {
    pump.resume();
    addEntries(studio, [{ kind: 'model', repoId: 'org/a' }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toHaveLength(1);
    addEntries(studio, [{ kind: 'model', repoId: 'org/b' }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toHaveLength(2);
    expect(batches[1]?.changed.map((e) => e.repoId)).toEqual(['org/b']);
  });

  it('merges changes: the current row once, and an entry removed in the same window only as removed', async () => {
    pump.resume();
    const [a, b] = addEntries(studio, [
      { kind: 'model', repoId: 'org/a' },
      { kind: 'model', repoId: 'org/b' },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    batches.length = 0;
    studio.catalog.updateEntry(a as string, { status: 'downloading' });
    studio.catalog.updateEntry(a as string, { status: 'paused', bytesDone: 5 });
    studio.catalog.updateEntry(b as string, { status: 'downloading' });
    studio.progressEmitter.fire({ entryId: b as string, progress: snapshotOf(1, 2) });
    studio.catalog.removeEntry(b as string);
    await vi.advanceTimersByTimeAsync(200);
    expect(batches).toHaveLength(1);
    const batch = batches[0] as UpdateBatch;
    expect(batch.changed).toHaveLength(1);
    expect(batch.changed[0]).toMatchObject({ id: a, status: 'paused', bytesDone: 5 });
    expect(batch.removed).toEqual([b]);
    expect(batch.progress).toEqual([]);
    expect(batch.counts.model.total).toBe(1);
  });

  it('reports background cleanups', async () => {
    pump.resume();
    studio.cleanupEmitter.fire({ running: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches.at(-1)?.cleanupRunning).toBe(1);
    expect(pump.cleanupRunning).toBe(1);
  });

  it('drops what is pending when paused and sends only new changes after resume', async () => {
    pump.resume();
    addEntries(studio, [{ kind: 'model', repoId: 'org/a' }]);
    await vi.advanceTimersByTimeAsync(0);
    addEntries(studio, [{ kind: 'model', repoId: 'org/b' }]);
    pump.pause();
    addEntries(studio, [{ kind: 'model', repoId: 'org/c' }]);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches.flatMap((b) => b.changed.map((e) => e.repoId))).toEqual(['org/a']);
    pump.resume();
    addEntries(studio, [{ kind: 'model', repoId: 'org/d' }]);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches.flatMap((b) => b.changed.map((e) => e.repoId))).toEqual(['org/a', 'org/d']);
  });

  it('stops listening when disposed', async () => {
    pump.resume();
    pump.dispose();
    addEntries(studio, [{ kind: 'model', repoId: 'org/a' }]);
    studio.progressEmitter.fire({ entryId: 'x', progress: snapshotOf(1, 2) });
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([]);
  });
});
