import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog, CatalogChange } from '../../../src/core/catalog';
import { nodeFileSystem, type CatalogFileSystem } from '../../../src/core/catalog/catalogFile';
import { buildChildBundle } from '../support/bundle';
import { SHA1, makeTempDir, openFile, wasmPath } from './helpers';

/**
 * For the writer whose append must come second: its own save timer (10 ms in these tests) could otherwise append
 * before the other writer's flush ends on a loaded machine, reversing the order the test sets up.
 */
const SAVES_ONLY_WHEN_FLUSHED = { saveDelayMs: 60_000 };

/** Waits until `check` passes (the other catalog's change arrives by file event or poll), or fails after 5 s. */
async function eventually(check: () => void, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      check();
      return Date.now() - started;
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * The real file system, except that the first open matching `stops` after `arm()` waits until `release()`;
 * `reached` resolves once an open is waiting there.
 */
function stoppingFileSystem(stops: (file: string, flags: string) => boolean): { fs: CatalogFileSystem; arm(): void; reached: Promise<void>; release(): void } {
  let armed = false;
  let arrive: () => void = () => undefined;
  let release: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const fs: CatalogFileSystem = {
    ...nodeFileSystem,
    async open(file, flags) {
      if (armed && stops(file, flags)) {
        armed = false;
        arrive();
        await released;
      }
      return nodeFileSystem.open(file, flags);
    },
  };
  return { fs, arm: () => (armed = true), reached, release };
}

describe('one catalog file, many writers', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  const open: Catalog[] = [];

  beforeEach(() => {
    ({ dir, cleanup } = makeTempDir());
    file = path.join(dir, 'catalog.sqlite');
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close().catch(() => undefined);
    cleanup();
  });

  async function openShared(options: Parameters<typeof openFile>[1] = {}): Promise<{ catalog: Catalog; warnings: string[] }> {
    const opened = await openFile(file, options);
    open.push(opened.catalog);
    return opened;
  }

  it('keeps both of two concurrent adds, and each side sees the other’s within a second, as a remote change', async () => {
    const a = await openShared();
    const b = await openShared();
    const seenByB: CatalogChange[] = [];
    b.catalog.onDidChange((c) => seenByB.push(c));
    const x = a.catalog.addEntry({ kind: 'model', repoId: 'org/x' });
    const y = b.catalog.addEntry({ kind: 'dataset', repoId: 'org/y' });
    await Promise.all([a.catalog.flush(), b.catalog.flush()]);
    const latency = await eventually(() => {
      expect(a.catalog.getEntry(y.id)?.repoId).toBe('org/y');
      expect(b.catalog.getEntry(x.id)?.repoId).toBe('org/x');
    });
    expect(latency).toBeLessThan(1500);
    expect(seenByB).toContainEqual({ kind: 'entry-added', entryId: x.id, remote: true });
    // The search index follows remote changes too.
    expect(b.catalog.search({ text: 'org/x' }).total).toBe(1);
    expect(a.warnings).toEqual([]);
    expect(b.warnings).toEqual([]);
  });

  it('merges concurrent updates of different fields of one entry, and the later write of one field wins', async () => {
    const a = await openShared();
    const entry = a.catalog.addEntry({ kind: 'model', repoId: 'org/m' });
    await a.catalog.flush();
    const b = await openShared(SAVES_ONLY_WHEN_FLUSHED);
    a.catalog.updateEntry(entry.id, { displayName: 'Renamed in A', bytesDone: 1 });
    b.catalog.updateEntry(entry.id, { bytesDone: 7 });
    await a.catalog.flush();
    await b.catalog.flush();
    await a.catalog.refresh();
    await b.catalog.refresh();
    for (const c of [a.catalog, b.catalog]) expect(c.getEntry(entry.id)).toMatchObject({ displayName: 'Renamed in A', bytesDone: 7 });
  });

  it('does not resurrect a deleted entry when another writer still updates it', async () => {
    const a = await openShared();
    const entry = a.catalog.addEntry({ kind: 'model', repoId: 'org/victim' });
    a.catalog.setFiles(entry.id, [{ path: 'w.bin', size: 10, blobId: SHA1(1), gitSha1: SHA1(1) }]);
    await a.catalog.flush();
    const b = await openShared(SAVES_ONLY_WHEN_FLUSHED);
    expect(b.catalog.getEntry(entry.id)).toBeDefined();
    // B writes progress and file state before it has read the delete; its append lands after the delete.
    a.catalog.removeEntry(entry.id);
    b.catalog.updateEntry(entry.id, { bytesDone: 5 });
    b.catalog.updateFile(entry.id, 'w.bin', { state: 'partial', bytesDone: 5, doneRanges: [[0, 5]] });
    await a.catalog.flush();
    await b.catalog.flush();
    expect(fs.readFileSync(`${file}.log`, 'utf8').trimEnd().split('\n').at(-1)).toContain('"bytes_done":5');
    await a.catalog.refresh();
    expect(b.catalog.getEntry(entry.id)).toBeUndefined();
    expect(b.catalog.getFiles(entry.id)).toEqual([]);
    expect(a.catalog.getEntry(entry.id)).toBeUndefined();
    await b.catalog.close();
    const reopened = await openShared();
    expect(reopened.catalog.getEntry(entry.id)).toBeUndefined();
  });

  it('two adds of the same repo revision make one entry', async () => {
    const a = await openShared();
    const b = await openShared(SAVES_ONLY_WHEN_FLUSHED);
    const fromA = a.catalog.addEntry({ kind: 'model', repoId: 'org/same', displayName: 'A' });
    const fromB = b.catalog.addEntry({ kind: 'model', repoId: 'org/same', displayName: 'B' });
    expect(fromA.id).toBe(fromB.id);
    await a.catalog.flush();
    await b.catalog.flush();
    await a.catalog.refresh();
    expect(a.catalog.listEntries().map((e) => e.displayName)).toEqual(['B']);
    expect(b.catalog.listEntries().map((e) => e.displayName)).toEqual(['B']);
  });

  it('follows a compaction by another writer, whether it had read the log to its end or not', async () => {
    const a = await openShared({ compactBytes: 2048 });
    const b = await openShared({ pollMs: 60_000 });
    const ids: string[] = [];
    // B stops following file events by never being poked: its poll is a minute away, so it falls behind.
    for (let i = 0; i < 40; i++) {
      ids.push(a.catalog.addEntry({ kind: 'model', repoId: `org/m-${i}`, metadata: { license: 'x'.repeat(100) } }).id);
      await a.catalog.flush();
    }
    expect(fs.existsSync(`${file}.log.prev`)).toBe(true);
    await b.catalog.refresh();
    expect(b.catalog.listEntries()).toHaveLength(40);
    // Several compactions later B's position is gone from every log: it reloads the image.
    for (let i = 40; i < 80; i++) {
      ids.push(a.catalog.addEntry({ kind: 'model', repoId: `org/m-${i}`, metadata: { license: 'x'.repeat(100) } }).id);
      await a.catalog.flush();
    }
    b.catalog.updateEntry(ids[0] ?? '', { displayName: 'kept through the reload' });
    await b.catalog.refresh();
    await b.catalog.flush();
    expect(b.catalog.listEntries()).toHaveLength(80);
    expect(b.catalog.search({ text: 'org/m-79' }).total).toBe(1);
    await a.catalog.refresh();
    expect(a.catalog.getEntry(ids[0] ?? '')?.displayName).toBe('kept through the reload');
    expect(b.warnings).toEqual([]);
  });

  it('reads on without a warning when another writer’s compaction has moved the log aside and not yet written the new one', async () => {
    // The follower reads the log without the lock: between its stat and its open, a compaction elsewhere may rename
    // the log to .prev and not yet have written the next one. Nothing is lost (.prev holds the rest); nothing to say.
    // The new log is written to a temp file first (then renamed): stop at that open, whatever its write flags.
    const compacting = stoppingFileSystem((f) => f.startsWith(`${file}.log.tmp-`));
    const reading = stoppingFileSystem((f, flags) => f === `${file}.log` && flags === 'r');
    const a = await openShared({ fileSystem: compacting.fs });
    const b = await openShared({ fileSystem: reading.fs, pollMs: 60_000 });
    compacting.arm();
    reading.arm();
    const entry = a.catalog.addEntry({ kind: 'model', repoId: 'org/written-before-compaction' });
    await a.catalog.flush();
    // B saw the log grow (a file event) and is about to open it.
    await reading.reached;
    // A closes, which compacts: the log moves aside, and A stops before writing the new one.
    const closing = a.catalog.close();
    await compacting.reached;
    expect(fs.existsSync(`${file}.log`)).toBe(false);
    reading.release();
    await b.catalog.refresh();
    compacting.release();
    await closing;
    await eventually(() => expect(b.catalog.getEntry(entry.id)?.repoId).toBe('org/written-before-compaction'));
    expect(b.warnings).toEqual([]);
  });

  it('cuts off a torn last line left by a writer that died mid-append, and loses nothing before it', async () => {
    const a = await openShared();
    const kept = a.catalog.addEntry({ kind: 'model', repoId: 'org/kept' });
    await a.catalog.flush();
    fs.appendFileSync(`${file}.log`, '{"w":"dead","n":1,"ops":[{"o":"entry.del","id":"');
    const b = await openShared();
    b.catalog.addEntry({ kind: 'model', repoId: 'org/after' });
    await b.catalog.flush();
    const text = fs.readFileSync(`${file}.log`, 'utf8');
    expect(text).not.toContain('"dead"');
    expect(text.endsWith('\n')).toBe(true);
    await a.catalog.refresh();
    expect(a.catalog.listEntries().map((e) => e.repoId)).toEqual(['org/after', 'org/kept']);
    expect(b.catalog.getEntry(kept.id)).toBeDefined();
  });

  it('skips a damaged line and an op it cannot read, and applies the rest', async () => {
    const a = await openShared();
    await a.catalog.flush();
    const b = await openShared();
    const good = a.catalog.addEntry({ kind: 'model', repoId: 'org/good' });
    await a.catalog.flush();
    // A line whose check does not match, and a well-formed record with an op naming a column that does not exist.
    fs.appendFileSync(`${file}.log`, '{"w":"x","n":1,"ops":[],"c":"00000000"}\n');
    a.catalog.updateEntry(good.id, { displayName: 'Good' });
    await a.catalog.flush();
    await b.catalog.refresh();
    expect(b.catalog.getEntry(good.id)?.displayName).toBe('Good');
    expect(b.warnings.some((w) => /Skipped 1 damaged change record/.test(w))).toBe(true);
  });
});

describe('many processes on one catalog', () => {
  let dir: string;
  let cleanup: () => void;
  let bundle: { file: string; cleanup: () => void };

  beforeAll(async () => {
    ({ dir, cleanup } = makeTempDir());
    bundle = await buildChildBundle(fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url)), 'writer.cjs');
  });
  afterAll(() => {
    cleanup();
    bundle.cleanup();
  });

  function runWriter(file: string, prefix: string, count: number, removeVictim: boolean): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const args = [bundle.file, file, wasmPath, prefix, String(count), ...(removeVictim ? ['remove-victim'] : [])];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  it('12 processes adding and removing at once: every change is there, no delete is undone', { timeout: 120_000 }, async () => {
    const file = path.join(dir, 'shared', 'catalog.sqlite');
    const setup = await openFile(file);
    setup.catalog.addEntry({ kind: 'model', repoId: 'org/victim' });
    await setup.catalog.close();

    const WRITERS = 12;
    const EACH = 30;
    const runs = await Promise.all(Array.from({ length: WRITERS }, (_, w) => runWriter(file, `w${w}`, EACH, w === 0)));
    for (const run of runs) expect(run, run.stderr).toEqual({ code: 0, stderr: '' });

    const { catalog, warnings } = await openFile(file);
    const expected: string[] = [];
    for (let w = 0; w < WRITERS; w++) for (let i = 0; i < EACH; i++) if (i % 3 !== 0) expected.push(`org/w${w}-${i}`);
    expect(catalog.listEntries().map((e) => e.repoId).sort()).toEqual(expected.sort());
    expect(catalog.findEntry('model', 'org/victim')).toBeUndefined();
    expect(warnings).toEqual([]);
    await catalog.close();
  });
});
