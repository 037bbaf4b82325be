import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCacheDir } from '@huggingface/hub';
import { scanCache } from '../../../src/core/cache/scan';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { bigRepo, fileOf, listTree, repoFolder, sha256Hex, startEnv, wasmPath, type StudioEnv } from './helpers';

const SIZE = 256 * 1024;
const shared = bigRepo('test/shared-cache', SIZE, 51);

function blobBytes(folder: string): number {
  const dir = path.join(folder, 'blobs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).reduce((s, n) => s + fs.statSync(path.join(dir, n)).size, 0) : 0;
}

describe('deletes free only what no one else holds', () => {
  let env: StudioEnv;
  let other: StudioApi | undefined;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [shared] } });
  });
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await env.dispose();
  });

  const folder = (): string => repoFolder(env.cacheRoot, 'model', shared.id);

  it('an include-filtered entry\'s delete keeps a file another tool put into the same snapshot, its blob, the snapshot and its ref', async () => {
    const { studio, hub } = env;
    const entry = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: shared.id, include: ['*.json'] })).id);
    expect(entry.status).toBe('ready');
    const commit = hub.commitSha('model', shared.id, 'main');
    // As `hf download` would add it: the blob under its sha256, a relative link in the snapshot.
    const weights = fileOf(shared, 'weights.bin');
    const blob = path.join(folder(), 'blobs', sha256Hex(weights));
    fs.writeFileSync(blob, weights);
    fs.symlinkSync(path.relative(path.join(folder(), 'snapshots', commit), blob), path.join(folder(), 'snapshots', commit, 'weights.bin'));

    const config = fileOf(shared, 'config.json');
    expect(await studio.estimateDelete(entry.id)).toEqual({ freedBytes: config.length, heldBy: [] });
    const result = await studio.delete(entry.id);
    expect(result.freedBytesEstimate).toBe(config.length);
    await studio.whenIdle();

    expect(listTree(path.join(folder(), 'snapshots'))).toEqual([`${commit}/weights.bin`]);
    expect(fs.readFileSync(path.join(folder(), 'snapshots', commit, 'weights.bin')).equals(weights)).toBe(true);
    expect(fs.readdirSync(path.join(folder(), 'blobs'))).toEqual([sha256Hex(weights)]);
    expect(fs.readFileSync(path.join(folder(), 'refs', 'main'), 'utf8')).toBe(commit);
    // huggingface_hub's listing of the commit stays too: the snapshot is still cached (and still incomplete).
    expect(fs.existsSync(path.join(folder(), 'trees', `${commit}.json`))).toBe(true);
    // Our holder record is released.
    expect(fs.existsSync(path.join(folder(), '.mistudio-holders'))).toBe(false);
    const scan = await scanCache(env.cacheRoot);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos[0]!.revisions[0]).toMatchObject({ commit, refs: ['main'], nbFiles: 1, sizeOnDisk: weights.length });
  });

  it('with another catalog holding the revision, a delete keeps all its files and says so; the other catalog\'s delete then frees everything', async () => {
    const { studio, hub } = env;
    const otherCatalog = path.join(env.dir, 'other-window', 'catalog.sqlite');
    fs.mkdirSync(path.dirname(otherCatalog));
    other = await openStudio({ catalogFile: otherCatalog, wasmPath, cacheRoot: env.cacheRoot, endpoint: hub.url });
    const mine = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: shared.id })).id);
    const theirs = await other.whenSettled((await other.enqueue({ kind: 'model', repoId: shared.id })).id);
    expect([mine.status, theirs.status]).toEqual(['ready', 'ready']);
    const before = listTree(folder()).filter((p) => !p.startsWith('.mistudio-holders/'));
    const bytes = blobBytes(folder());

    expect(await studio.estimateDelete(mine.id)).toEqual({ freedBytes: 0, heldBy: [{ catalog: otherCatalog, revision: 'main' }] });
    const result = await studio.delete(mine.id);
    expect(result).toMatchObject({ freedBytesEstimate: 0, heldBy: [{ catalog: otherCatalog, revision: 'main' }] });
    await studio.whenIdle();
    expect(listTree(folder()).filter((p) => !p.startsWith('.mistudio-holders/'))).toEqual(before);
    for (const f of ['config.json', 'weights.bin']) expect(fs.readFileSync(path.join(theirs.snapshotPath!, f)).equals(fileOf(shared, f)), f).toBe(true);
    // Only their record is left.
    const records = listTree(path.join(folder(), '.mistudio-holders'));
    expect(records).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(path.join(folder(), '.mistudio-holders', records[0]!), 'utf8'))).toMatchObject({ catalog: otherCatalog });
    await other.reconcile();
    expect(other.catalog.getEntry(theirs.id)?.status).toBe('ready');

    expect(await other.estimateDelete(theirs.id)).toEqual({ freedBytes: bytes, heldBy: [] });
    await other.delete(theirs.id);
    await other.whenIdle();
    expect(fs.existsSync(folder())).toBe(false);
  });

  it('a record whose catalog file is gone holds nothing', async () => {
    const { studio, hub } = env;
    const goneCatalog = path.join(env.dir, 'gone', 'catalog.sqlite');
    fs.mkdirSync(path.dirname(goneCatalog));
    other = await openStudio({ catalogFile: goneCatalog, wasmPath, cacheRoot: env.cacheRoot, endpoint: hub.url });
    const theirs = await other.whenSettled((await other.enqueue({ kind: 'model', repoId: shared.id })).id);
    expect(theirs.status).toBe('ready');
    await other.close();
    other = undefined;
    fs.rmSync(path.dirname(goneCatalog), { recursive: true });

    const mine = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: shared.id })).id);
    expect((await studio.estimateDelete(mine.id)).heldBy).toEqual([]);
    await studio.delete(mine.id);
    await studio.whenIdle();
    expect(fs.existsSync(folder())).toBe(false);
  });

  it('deleting the last revision leaves no ghost: the repo folder goes with trees/ and .mistudio-holders/, and no scanner lists the repo', async () => {
    const { studio, hub } = env;
    const entry = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: shared.id })).id);
    const commit = hub.commitSha('model', shared.id, 'main');
    expect(fs.existsSync(path.join(folder(), 'trees', `${commit}.json`))).toBe(true);
    fs.mkdirSync(path.join(folder(), '.no_exist', commit), { recursive: true });
    fs.writeFileSync(path.join(folder(), '.no_exist', commit, 'generation_config.json'), '');
    await studio.delete(entry.id);
    await studio.whenIdle();
    expect(fs.existsSync(folder())).toBe(false);
    expect(fs.readdirSync(env.cacheRoot).filter((n) => n !== '.locks')).toEqual([]);
    expect((await scanCache(env.cacheRoot)).repos).toEqual([]);
    expect((await scanCacheDir(env.cacheRoot)).repos).toEqual([]);
  });
});
