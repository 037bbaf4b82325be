import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import { Holders, catalogKeyOf, entryKeyOf, type HolderRecord } from '../../../src/core/cache/holders';
import { scanCache } from '../../../src/core/cache/scan';
import { COMMIT_A, COMMIT_B, MODEL, addRevision, makeTempDir, removeDir, tree } from './fixtures';

const WRITERS = 20;
const HOLDS_PER_WRITER = 5;

function runChild(bundle: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`holder writer exited ${code}: ${stderr}`))));
  });
}

function sha16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

describe('Holders (cross-catalog holder records)', () => {
  let dir: string;
  let root: string;
  let cache: HfCache;
  let catalogA: string;
  let catalogB: string;
  beforeEach(async () => {
    dir = makeTempDir('mistudio-holders-');
    root = path.join(dir, 'hub');
    cache = new HfCache(root);
    catalogA = path.join(dir, 'a', 'catalog.sqlite');
    catalogB = path.join(dir, 'b', 'catalog.sqlite');
    for (const c of [catalogA, catalogB]) {
      fs.mkdirSync(path.dirname(c), { recursive: true });
      fs.writeFileSync(c, 'catalog');
    }
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'config.json', content: '{}' }], 'main');
  });
  afterEach(() => removeDir(dir));

  const holdersDir = (commit = COMMIT_A): string => path.join(cache.repoDir(MODEL), '.mistudio-holders', commit);

  it('writes the documented record at .mistudio-holders/<commit>/<catalog key>.<entry key>.json', async () => {
    const before = Date.now();
    await new Holders(cache, catalogA).hold(MODEL, COMMIT_A, { revision: 'main', paths: ['z.bin', 'config.json', 'z.bin'] });
    const name = `${sha16(catalogA)}.${sha16(`model\0${MODEL.repoId}\0main`)}.json`;
    expect(catalogKeyOf(catalogA)).toBe(sha16(catalogA));
    expect(entryKeyOf('model', MODEL.repoId, 'main')).toBe(sha16(`model\0${MODEL.repoId}\0main`));
    expect(fs.readdirSync(holdersDir())).toEqual([name]);
    const record = JSON.parse(fs.readFileSync(path.join(holdersDir(), name), 'utf8')) as HolderRecord;
    expect(record).toEqual({ version: 1, catalog: catalogA, kind: 'model', repoId: MODEL.repoId, revision: 'main', commit: COMMIT_A, paths: ['config.json', 'z.bin'], updatedAt: record.updatedAt });
    expect(record.updatedAt).toBeGreaterThanOrEqual(before);
    // Nothing new at the cache root, and both scanners see the repo as before.
    expect(fs.readdirSync(root).sort()).toEqual(['models--org--tiny-model']);
    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos[0]!.revisions.map((r) => r.nbFiles)).toEqual([1]);
  });

  it('others(): other catalogs, and this catalog\'s other entries; an in-memory catalog writes nothing but reads', async () => {
    const a = new Holders(cache, catalogA);
    const b = new Holders(cache, catalogB);
    await a.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json'] });
    await a.hold(MODEL, COMMIT_A, { revision: COMMIT_A, paths: ['config.json'] });
    await b.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json', 'w.bin'] });
    const who = (records: HolderRecord[]): string[] => records.map((r) => `${r.catalog === catalogA ? 'A' : 'B'}:${r.revision}`);
    expect(who(await a.others(MODEL, COMMIT_A, 'main'))).toEqual([`A:${COMMIT_A}`, 'B:main']);
    expect(who(await a.others(MODEL, COMMIT_A))).toEqual(['B:main']);
    expect((await a.own(MODEL, COMMIT_A, 'main'))?.paths).toEqual(['config.json']);

    const memory = new Holders(cache, null);
    const files = tree(holdersDir());
    await memory.hold(MODEL, COMMIT_A, { revision: 'v2', paths: ['x'] });
    expect(tree(holdersDir())).toEqual(files);
    expect(who(await memory.others(MODEL, COMMIT_A, 'main'))).toEqual(['A:main', `A:${COMMIT_A}`, 'B:main'].sort());
  });

  it('keeps what the entry held at the commit, and gives up its record at any other commit', async () => {
    const a = new Holders(cache, catalogA);
    await a.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json', 'old.bin'] });
    await a.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json'] });
    expect((await a.own(MODEL, COMMIT_A, 'main'))?.paths).toEqual(['config.json', 'old.bin']);
    await a.hold(MODEL, COMMIT_B, { revision: 'main', paths: ['config.json'] });
    expect(fs.existsSync(holdersDir(COMMIT_A))).toBe(false);
    expect((await a.own(MODEL, COMMIT_B, 'main'))?.paths).toEqual(['config.json']);
    await a.release(MODEL, COMMIT_B, 'main');
    expect(fs.existsSync(path.join(cache.repoDir(MODEL), '.mistudio-holders'))).toBe(false);
  });

  it('ignores torn, garbage, oversized, misplaced and symlinked records, and records of a catalog that is gone', async () => {
    const a = new Holders(cache, catalogA);
    const b = new Holders(cache, catalogB);
    await a.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json'] });
    await b.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json'] });
    const bName = fs.readdirSync(holdersDir()).find((n) => n.startsWith(catalogKeyOf(catalogB)))!;
    const good = fs.readFileSync(path.join(holdersDir(), bName), 'utf8');
    const fake = (n: number): string => `${String(n).repeat(16)}.${'e'.repeat(16)}.json`;
    fs.writeFileSync(path.join(holdersDir(), fake(1)), good.slice(0, good.length / 2));
    fs.writeFileSync(path.join(holdersDir(), fake(2)), 'not json at all');
    fs.writeFileSync(path.join(holdersDir(), fake(3)), good); // a valid record under another name: misplaced
    fs.writeFileSync(path.join(holdersDir(), fake(4)), good.replace('"config.json"', '"../escape"'));
    fs.writeFileSync(path.join(holdersDir(), fake(5)), '');
    fs.truncateSync(path.join(holdersDir(), fake(5)), 17 * 1024 * 1024);
    fs.symlinkSync(path.join(holdersDir(), bName), path.join(holdersDir(), fake(6)));
    fs.writeFileSync(path.join(holdersDir(), 'notes.txt'), 'hello');

    let scan = await a.scan(MODEL, COMMIT_A);
    expect(scan.records.map((r) => r.catalog)).toEqual([catalogA, catalogB].sort());
    expect(scan.invalid.map((f) => path.basename(f)).sort()).toEqual([1, 2, 3, 4, 5, 6].map(fake).concat('notes.txt').sort());
    expect((await a.others(MODEL, COMMIT_A, 'main')).map((r) => r.catalog)).toEqual([catalogB]);

    fs.rmSync(path.dirname(catalogB), { recursive: true });
    scan = await a.scan(MODEL, COMMIT_A);
    expect(scan.records.map((r) => r.catalog)).toEqual([catalogA]);
    expect(scan.stale.map((f) => path.basename(f))).toEqual([bName]);
    expect(await a.others(MODEL, COMMIT_A, 'main')).toEqual([]);
    await a.prune(MODEL, COMMIT_A);
    expect(fs.readdirSync(holdersDir())).toEqual([fs.readdirSync(holdersDir()).find((n) => n.startsWith(catalogKeyOf(catalogA)))]);
  });

  it('refuses a holders folder that is a symlink', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(cache.repoDir(MODEL), '.mistudio-holders'));
    const a = new Holders(new HfCache(root), catalogA);
    await expect(a.hold(MODEL, COMMIT_A, { revision: 'main', paths: ['config.json'] })).rejects.toMatchObject({ code: 'UnsafePath' });
    await expect(a.others(MODEL, COMMIT_A)).rejects.toMatchObject({ code: 'UnsafePath' });
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('holds and releases racing on one commit folder end in exactly the records still held', async () => {
    const a = new Holders(cache, catalogA);
    const revisions = Array.from({ length: 12 }, (_, i) => `r${i}`);
    await Promise.all(
      revisions.map(async (revision, i) => {
        await a.hold(MODEL, COMMIT_A, { revision, paths: ['config.json'] });
        if (i % 2 === 0) await a.release(MODEL, COMMIT_A, revision);
      }),
    );
    expect((await a.scan(MODEL, COMMIT_A)).records.map((r) => r.revision).sort()).toEqual(revisions.filter((_, i) => i % 2 === 1).sort());
  });
});

describe('Holders across processes', () => {
  let dir: string;
  let bundle: string;
  beforeAll(async () => {
    dir = makeTempDir('mistudio-holders-procs-');
    bundle = path.join(dir, 'holdMany.cjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/holdMany.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      logLevel: 'error',
    });
  });
  afterAll(() => removeDir(dir));

  it(`${WRITERS} processes writing at once (${HOLDS_PER_WRITER} writes each) leave ${WRITERS} valid records, and a reader never sees a torn one`, async () => {
    const root = path.join(dir, 'hub');
    const cache = new HfCache(root);
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'config.json', content: '{}' }], 'main');
    const catalogs = Array.from({ length: WRITERS }, (_, i) => path.join(dir, `catalog-${i}.sqlite`));
    const reader = new Holders(cache, null);
    let writing = true;
    let reads = 0;
    const torn: string[] = [];
    const watching = (async () => {
      while (writing) {
        torn.push(...(await reader.scan(MODEL, COMMIT_A)).invalid);
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await Promise.all(catalogs.map((c) => runChild(bundle, [root, c, MODEL.repoId, COMMIT_A, String(HOLDS_PER_WRITER)])));
    writing = false;
    await watching;

    expect(torn).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    const { records, invalid, stale } = await reader.scan(MODEL, COMMIT_A);
    expect([invalid, stale]).toEqual([[], []]);
    expect(records.map((r) => r.catalog).sort()).toEqual([...catalogs].sort());
    for (const r of records) expect(r.paths).toContain('config.json');
    // No temp file of a writer is left behind.
    expect(fs.readdirSync(cache.repoDir(MODEL)).sort()).toEqual(['.mistudio-holders', 'blobs', 'refs', 'snapshots']);
  });
});
