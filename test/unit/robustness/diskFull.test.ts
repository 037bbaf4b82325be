import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CatalogEntry, EntryFile } from '../../../src/core/catalog';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi, StudioOptions } from '../../../src/core/studioTypes';
import { openPartialFile, type OpenPartialFile } from '../../../src/core/transfer';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { auditCache, blobIdOf, repoFolder, scratch, verifySnapshot, wasmPath, type Scratch } from './helpers';
import { createTally, writeTally } from './summary';

const SIZE = 1024 * 1024;
const WEIGHTS = 'weights.bin';
const repo: FakeRepo = {
  kind: 'model',
  id: 'disk/full',
  commits: [
    {
      files: [
        { path: 'config.json', content: '{"model_type": "full"}\n' },
        { path: 'notes.txt', content: seededBytes(4 * 1024, 5).toString('base64'), lfs: false },
        { path: WEIGHTS, content: seededBytes(SIZE, 6), lfs: true },
      ],
    },
  ],
};
const weightsBlob = blobIdOf(repo.commits[0]!.files.find((f) => f.path === WEIGHTS)!);

/**
 * A disk with `quota` free bytes for partial files: a write that does not fit lands as far as it fits, then fails
 * with ENOSPC, as a real full disk does.
 */
function fullDisk(quota: number): { openFile: OpenPartialFile; failures: () => number } {
  let used = 0;
  let failures = 0;
  const openFile: OpenPartialFile = async (file, start) => {
    const real = await openPartialFile(file, start);
    return {
      read: (into, position) => real.read(into, position),
      size: () => real.size(),
      truncate: (length) => real.truncate(length),
      sync: () => real.sync(),
      close: () => real.close(),
      async write(data, position) {
        // Reserved before the await: parallel parts write at the same time and must share one quota.
        const fits = Math.max(0, Math.min(data.length, quota - used));
        used += fits;
        if (fits > 0) await real.write(data.subarray(0, fits), position);
        if (fits < data.length) {
          failures += 1;
          throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
        }
      },
    };
  };
  return { openFile, failures: () => failures };
}

const cdnRequests = (hub: FakeHub): Array<{ range: string; bytes: number }> =>
  hub.requests.filter((r) => r.server === 'cdn' && r.url.split('?')[0]!.endsWith(`/${WEIGHTS}`)).map((r) => ({ range: String(r.headers.range ?? ''), bytes: r.bodyBytesSent }));

describe('disk full through the whole stack (Studio → download job → transfer → catalog)', () => {
  const tally = createTally();
  let hub: FakeHub | undefined;
  let home: Scratch | undefined;
  const open: StudioApi[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await hub?.close();
    home?.cleanup();
  });
  afterAll(async () => {
    await writeTally('diskFull', tally);
  });

  async function studio(extra: Partial<StudioOptions> = {}): Promise<StudioApi> {
    const s = await openStudio({
      catalogFile: home!.catalogFile,
      wasmPath,
      cacheRoot: home!.cacheRoot,
      endpoint: hub!.url,
      ...extra,
      transfer: { retry: { baseDelayMs: 10, maxDelayMs: 50 }, ...extra.transfer },
    });
    open.push(s);
    return s;
  }

  async function closeAll(): Promise<void> {
    for (const s of open.splice(0)) await s.close();
  }

  function keptRanges(files: EntryFile[]): { bytes: number; ranges: Array<[number, number]> } {
    const w = files.find((f) => f.path === WEIGHTS)!;
    expect(w.state).toBe('partial');
    return { bytes: w.bytesDone, ranges: w.doneRanges.map(([a, b]) => [a, b] as [number, number]) };
  }

  /** Fails mid-file, checks what is kept, reopens the catalog, frees the disk and resumes; returns the kept bytes. */
  async function fillThenFree(options: { quota: number; connections: number; bytesPerSecond?: number }): Promise<Array<[number, number]>> {
    hub = await startFakeHub({ repos: [repo], ...(options.bytesPerSecond ? { cdnBytesPerSecondPerConnection: options.bytesPerSecond } : {}) });
    home = scratch('disk');
    const disk = fullDisk(options.quota);
    const tuning = { maxConnectionsPerFile: options.connections, transfer: { openFile: disk.openFile, minPartBytes: 128 * 1024 } };
    const first = await studio(tuning);
    const entry = await first.enqueue({ kind: 'model', repoId: repo.id });
    const failed = await first.whenSettled(entry.id);

    // A clear, typed error on the entry.
    expect(failed.status).toBe('error');
    expect(failed.errorCode).toBe('NoSpace');
    expect(failed.errorMessage).toMatch(/not enough disk/i);
    expect(failed.errorMessage).not.toMatch(/\n/);
    expect(disk.failures()).toBeGreaterThan(0);

    // The partial and its ranges are kept for resume; nothing unverified is visible.
    const kept = keptRanges(first.files(entry.id));
    expect(kept.bytes).toBeGreaterThan(0);
    expect(kept.bytes).toBeLessThanOrEqual(options.quota);
    const folder = repoFolder(home.cacheRoot, repo.kind, repo.id);
    const partial = path.join(folder, 'blobs', `${weightsBlob}.mistudio.incomplete`);
    expect(fs.statSync(partial).size).toBeGreaterThanOrEqual(Math.max(...kept.ranges.map(([, b]) => b)));
    expect(fs.existsSync(path.join(folder, 'blobs', weightsBlob))).toBe(false);
    expect(auditCache(home.cacheRoot).problems).toEqual([]);
    const snapshot = path.join(folder, 'snapshots', hub.commitSha('model', repo.id, 'main'));
    expect(fs.existsSync(path.join(snapshot, WEIGHTS))).toBe(false);
    expect(fs.existsSync(path.join(folder, 'refs', 'main'))).toBe(false);

    // The catalog reopens intact: the same entry, the same error, the same resume state.
    const before: CatalogEntry[] = first.catalog.listEntries();
    await closeAll();
    const reopened = await studio();
    await reopened.reconcile();
    const after = reopened.catalog.listEntries();
    tally.entriesLost += before.filter((e) => !after.some((a) => a.id === e.id)).length + Math.max(0, after.length - before.length);
    expect(after.map((e) => [e.id, e.status, e.errorCode])).toEqual([[entry.id, 'error', 'NoSpace']]);
    expect(keptRanges(reopened.files(entry.id))).toEqual(kept);

    // Disk freed: Retry fetches only the missing bytes and ends verified.
    hub.resetStats();
    await reopened.resume(entry.id);
    const done = await reopened.whenSettled(entry.id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    const resent = cdnRequests(hub).reduce((s, r) => s + r.bytes, 0);
    expect(resent).toBe(SIZE - kept.bytes);
    const ranges = cdnRequests(hub).map((r) => r.range);
    for (const [, end] of kept.ranges.filter(([a]) => a === 0)) expect(ranges.some((r) => r.startsWith(`bytes=${end}-`)), ranges.join(' ')).toBe(true);
    tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, repo);
    expect([...auditCache(home.cacheRoot).partials.keys()]).toEqual([]);
    tally.faultsInjected += disk.failures();
    tally.scenarios += 1;
    return kept.ranges;
  }

  it('ENOSPC mid-file on one connection: NoSpace "not enough disk", partial kept, catalog intact, resume sends only the rest', async () => {
    const kept = await fillThenFree({ quota: 400 * 1024, connections: 1 });
    expect(kept).toHaveLength(1);
    expect(kept[0]![0]).toBe(0);
  });

  it('ENOSPC while parallel ranges stream: every part keeps its ranges, resume fetches only the gaps', async () => {
    // Capped per connection, so all four parts are streaming when the disk fills.
    const kept = await fillThenFree({ quota: 512 * 1024, connections: 4, bytesPerSecond: 512 * 1024 });
    expect(kept.length).toBeGreaterThan(1);
  });

  it('ENOSPC when the partial file cannot even be opened: NoSpace, no partial left, Retry completes', async () => {
    hub = await startFakeHub({ repos: [repo] });
    home = scratch('disk');
    let refused = 0;
    const first = await studio({
      transfer: {
        openFile: async (file, start) => {
          if (file.includes(weightsBlob)) {
            refused += 1;
            throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
          }
          return openPartialFile(file, start);
        },
      },
    });
    const entry = await first.enqueue({ kind: 'model', repoId: repo.id });
    const failed = await first.whenSettled(entry.id);
    expect(failed.status).toBe('error');
    expect(failed.errorCode).toBe('NoSpace');
    expect(failed.errorMessage).toMatch(/not enough disk/i);
    const audit = auditCache(home.cacheRoot);
    expect(audit.problems).toEqual([]);
    expect([...audit.partials.keys()]).toEqual([]);
    await closeAll();
    const second = await studio();
    await second.resume(entry.id);
    expect((await second.whenSettled(entry.id)).status).toBe('ready');
    tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, repo);
    expect(refused).toBe(1);
    tally.faultsInjected += refused;
    tally.scenarios += 1;
  });
});
