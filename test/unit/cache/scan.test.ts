import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import { scanCache } from '../../../src/core/cache/scan';
import { isMistudioError } from '../../../src/core/errors';
import { COMMIT_A, COMMIT_B, COMMIT_C, DATASET, MODEL, addRevision, blobIdOf, makeTempDir, removeDir } from './fixtures';

describe('scanCache', () => {
  let root: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  it('returns an empty scan, not an error, for a missing root', async () => {
    const missing = path.join(root, 'does', 'not', 'exist');
    expect(await scanCache(missing)).toEqual({ root: missing, repos: [], warnings: [], sizeOnDisk: 0, filesScanned: 0 });
  });

  it('reports repos, revisions, refs and sizes, counting a shared blob once', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [
      { path: 'config.json', content: 'shared-config' },
      { path: 'model.bin', content: '0123456789' },
    ], 'main');
    await addRevision(cache, MODEL, COMMIT_B, [
      { path: 'config.json', content: 'shared-config' },
      { path: 'tokenizer/vocab.txt', content: 'vocab' },
    ], 'refs/pr/1');
    await addRevision(cache, DATASET, COMMIT_C, [{ path: 'data/train.parquet', content: 'rows' }], 'main');

    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos.map((r) => `${r.kind}:${r.repoId}`)).toEqual(['dataset:org/tiny-data', 'model:org/tiny-model']);
    const model = scan.repos.find((r) => r.kind === 'model')!;
    expect(model.path).toBe(cache.repoDir(MODEL));
    expect(model.sizeOnDisk).toBe('shared-config'.length + 10 + 5);
    expect(model.nbFiles).toBe(3);
    expect(model.refs).toEqual({ main: COMMIT_A, 'refs/pr/1': COMMIT_B });
    expect(model.revisions.map((r) => [r.commit, r.refs, r.nbFiles, r.sizeOnDisk])).toEqual([
      [COMMIT_A, ['main'], 2, 23],
      [COMMIT_B, ['refs/pr/1'], 2, 18],
    ]);
    const revB = model.revisions[1]!;
    expect(revB.snapshotPath).toBe(cache.snapshotDir(MODEL, COMMIT_B));
    expect(revB.files.map((f) => f.path)).toEqual(['config.json', 'tokenizer/vocab.txt']);
    expect(revB.files[1]!.blobPath).toBe(cache.blobPath(MODEL, blobIdOf('vocab')));
    expect(revB.lastModified).toBeGreaterThan(0);
    expect(model.lastAccessed).toBeGreaterThan(0);
    expect(model.partialFiles).toEqual([]);
    expect(scan.sizeOnDisk).toBe(model.sizeOnDisk + 4);
  });

  it('reports partial downloads with their sizes', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'config.json', content: '{}' }], 'main');
    const partial = cache.incompletePath(MODEL, 'f'.repeat(64));
    fs.writeFileSync(partial, Buffer.alloc(1234));
    const scan = await scanCache(root);
    expect(scan.repos[0]!.partialFiles).toEqual([{ path: partial, size: 1234, blobId: 'f'.repeat(64), owner: 'ours' }]);
    expect(scan.repos[0]!.sizeOnDisk).toBe(2);
  });

  it('reports a repo that only has a download in progress, with no warning', async () => {
    await cache.ensureRepoLayout(DATASET);
    fs.writeFileSync(cache.incompletePath(DATASET, 'e'.repeat(64)), 'abc');
    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos).toHaveLength(1);
    expect(scan.repos[0]!.revisions).toEqual([]);
    expect(scan.repos[0]!.partialFiles.map((p) => p.size)).toEqual([3]);
  });

  it('counts a copied (non-symlink) snapshot file as its own blob, like huggingface_hub', async () => {
    cache = new HfCache(root, {
      linkFs: {
        symlink: async () => {
          throw Object.assign(new Error('no'), { code: 'EPERM' });
        },
        link: async () => {
          throw Object.assign(new Error('no'), { code: 'EPERM' });
        },
      },
    });
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'w.bin', content: 'abcdef' }], 'main');
    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    const file = scan.repos[0]!.revisions[0]!.files[0]!;
    expect(file.blobPath).toBe(cache.snapshotFilePath(MODEL, COMMIT_A, 'w.bin'));
    expect(file.size).toBe(6);
  });

  it('keeps a damaged repo visible and explains what is wrong', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [
      { path: 'ok.txt', content: 'ok' },
      { path: 'gone.txt', content: 'gone' },
    ], 'main');
    fs.unlinkSync(cache.blobPath(MODEL, blobIdOf('gone')));
    fs.writeFileSync(path.join(cache.repoDir(MODEL), 'refs', 'stale'), COMMIT_B);
    fs.writeFileSync(path.join(cache.repoDir(MODEL), 'snapshots', 'stray-file'), 'x');
    fs.mkdirSync(path.join(root, 'not-a-repo'));
    fs.mkdirSync(path.join(root, '.locks'));
    fs.writeFileSync(path.join(root, 'CACHEDIR.TAG'), 'Signature');
    fs.mkdirSync(path.join(root, 'spaces--org--demo', 'snapshots'), { recursive: true });

    const scan = await scanCache(root);
    // A Space is listed like huggingface_hub lists it, though the catalog never holds one.
    expect(scan.repos.map((r) => `${r.kind}:${r.repoId}`)).toEqual(['model:org/tiny-model', 'space:org/demo']);
    expect(scan.repos[0]!.revisions[0]!.files.map((f) => f.path)).toEqual(['ok.txt']);
    expect(scan.repos[0]!.refs.stale).toBe(COMMIT_B);
    expect(scan.warnings).toHaveLength(4);
    expect(scan.warnings.join('\n')).toMatch(/Blob missing/);
    expect(scan.warnings.join('\n')).toMatch(/stale/);
    expect(scan.warnings.join('\n')).toMatch(/stray-file/);
    expect(scan.warnings.join('\n')).toMatch(/not-a-repo/);
  });

  it('warns about a snapshot link that leaves the cache', async () => {
    const outside = makeTempDir('mistudio-outside-');
    try {
      fs.writeFileSync(path.join(outside, 'secret'), 'secret');
      await addRevision(cache, MODEL, COMMIT_A, [{ path: 'a.txt', content: 'a' }], 'main');
      fs.symlinkSync(path.join(outside, 'secret'), path.join(cache.snapshotDir(MODEL, COMMIT_A), 'evil'));
      const scan = await scanCache(root);
      expect(scan.warnings.some((w) => w.includes('outside the cache'))).toBe(true);
    } finally {
      removeDir(outside);
    }
  });

  it('counts hard links to one file once, in the revision and in the repo', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'a.bin', content: 'x'.repeat(1000) }], 'main');
    await addRevision(cache, MODEL, COMMIT_B, [{ path: 'b.bin', content: 'y'.repeat(500) }]);
    // A dedup tool (or a copy fallback with hard links) made b's blob the same inode as a's.
    const a = cache.blobPath(MODEL, blobIdOf('x'.repeat(1000)));
    const b = cache.blobPath(MODEL, blobIdOf('y'.repeat(500)));
    fs.unlinkSync(b);
    fs.linkSync(a, b);
    const scan = await scanCache(root);
    const repo = scan.repos[0]!;
    expect(repo.nbFiles).toBe(2);
    expect(repo.sizeOnDisk).toBe(1000);
    expect(repo.revisions.map((r) => r.sizeOnDisk)).toEqual([1000, 1000]);
  });

  it('without files keeps the same totals, and reports each repo with progress as it is done', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'a.txt', content: 'aa' }, { path: 'sub/b.txt', content: 'bbb' }], 'main');
    await addRevision(cache, DATASET, COMMIT_A, [{ path: 'd.txt', content: 'dddd' }], 'main');
    const full = await scanCache(root);
    const seen: Array<{ repoId: string; reposDone: number; reposTotal: number }> = [];
    const lean = await scanCache(root, { withFiles: false, onRepo: (repo, p) => seen.push({ repoId: repo.repoId, reposDone: p.reposDone, reposTotal: p.reposTotal }) });
    expect(lean.repos.map((r) => r.revisions.map((v) => v.files.length))).toEqual([[0], [0]]);
    const totals = (s: typeof full): unknown => s.repos.map((r) => [r.repoId, r.sizeOnDisk, r.nbFiles, r.revisions.map((v) => [v.sizeOnDisk, v.nbFiles])]);
    expect(totals(lean)).toEqual(totals(full));
    expect(full.repos.find((r) => r.kind === 'model')!.revisions[0]!.files.map((f) => f.path)).toEqual(['a.txt', 'sub/b.txt']);
    expect(lean.filesScanned).toBe(3);
    expect(seen.map((s) => s.repoId).sort()).toEqual(['org/tiny-data', 'org/tiny-model']);
    expect(seen.map((s) => s.reposDone).sort()).toEqual([1, 2]);
    expect(seen.every((s) => s.reposTotal === 2)).toBe(true);
  });

  it('tells whose partial each is by its name, counting our range journal with ours', async () => {
    await cache.ensureRepoLayout(MODEL);
    const blobs = path.dirname(cache.blobPath(MODEL, 'a'.repeat(64)));
    fs.writeFileSync(path.join(blobs, `${'a'.repeat(64)}.mistudio.incomplete`), Buffer.alloc(100));
    fs.writeFileSync(path.join(blobs, `${'a'.repeat(64)}.mistudio.incomplete.ranges`), Buffer.alloc(20));
    fs.writeFileSync(path.join(blobs, `${'b'.repeat(64)}.1a2b3c4d.incomplete`), Buffer.alloc(7));
    fs.writeFileSync(path.join(blobs, `${'c'.repeat(40)}.incomplete`), Buffer.alloc(3));
    fs.writeFileSync(path.join(blobs, 'not-a-blob.incomplete'), Buffer.alloc(5));
    const scan = await scanCache(root);
    expect(scan.repos[0]!.partialFiles.map((p) => [p.blobId[0], p.owner, p.size])).toEqual([
      ['a', 'ours', 120],
      ['b', 'foreign', 7],
      ['c', 'legacy', 3],
    ]);
  });

  it('stops with Cancelled when aborted', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'a.txt', content: 'a' }], 'main');
    const controller = new AbortController();
    controller.abort();
    let caught: unknown;
    try {
      await scanCache(root, controller.signal);
    } catch (err) {
      caught = err;
    }
    expect(isMistudioError(caught, 'Cancelled')).toBe(true);
  });
});

describe('scanCache agrees with @huggingface/hub scanCacheDir', () => {
  let root: string;
  afterEach(() => removeDir(root));

  // @huggingface/hub's scanner does not descend into snapshot sub-folders or refs sub-folders (Python's does,
  // and so do we), so the shared fixture keeps files at the top level and refs flat.
  async function buildCache(cache: HfCache): Promise<void> {
    await addRevision(cache, MODEL, COMMIT_A, [
      { path: 'config.json', content: '{"n_layers":2}' },
      { path: 'model.safetensors', content: Buffer.alloc(4096, 7) },
      { path: 'file with spaces.txt', content: 'spaces' },
    ], 'main');
    await addRevision(cache, MODEL, COMMIT_B, [
      { path: 'config.json', content: '{"n_layers":2}' },
      { path: 'model.safetensors', content: Buffer.alloc(2048, 9) },
    ], 'v2');
    await addRevision(cache, DATASET, COMMIT_C, [{ path: 'train.jsonl', content: '{"text":"hi"}\n' }], 'main');
    await addRevision(cache, { kind: 'model', repoId: 'gpt2' }, COMMIT_A, [{ path: 'vocab.json', content: '{}' }]);
    fs.writeFileSync(cache.incompletePath(MODEL, 'f'.repeat(64)), 'partial');
  }

  async function compare(scanRoot: string): Promise<void> {
    const ours = await scanCache(scanRoot);
    const theirs = await scanCacheDir(scanRoot);
    expect(theirs.warnings.map((w) => w.message)).toEqual([]);
    expect(ours.warnings).toEqual([]);
    expect(ours.sizeOnDisk).toBe(theirs.size);
    const theirRepos = [...theirs.repos].sort((a, b) => a.path.localeCompare(b.path));
    expect(ours.repos.map((r) => [r.kind, r.repoId, r.path, r.sizeOnDisk, r.nbFiles])).toEqual(
      theirRepos.map((r) => [r.id.type, r.id.name, r.path, r.size, r.filesCount]),
    );
    for (const [i, repo] of ours.repos.entries()) {
      const their = theirRepos[i]!;
      // Date keeps whole milliseconds; our timestamps are the raw fractional mtimeMs.
      expect(Math.trunc(repo.lastModified)).toBe(their.lastModifiedAt.getTime());
      expect(Math.trunc(repo.lastAccessed)).toBe(their.lastAccessedAt.getTime());
      const theirRevisions = [...their.revisions].sort((a, b) => a.commitOid.localeCompare(b.commitOid));
      expect(repo.revisions.map((r) => [r.commit, [...r.refs].sort(), r.snapshotPath, r.sizeOnDisk, r.nbFiles, Math.trunc(r.lastModified)])).toEqual(
        theirRevisions.map((r) => [r.commitOid, [...r.refs].sort(), r.path, r.size, r.files.length, r.lastModifiedAt.getTime()]),
      );
      for (const [j, revision] of repo.revisions.entries()) {
        const theirFiles = theirRevisions[j]!.files.map((f) => [path.basename(f.path), f.blob.size]).sort();
        expect(revision.files.map((f) => [f.path, f.size]).sort()).toEqual(theirFiles);
      }
    }
  }

  it('on a cache written with symlinks', async () => {
    root = makeTempDir();
    await buildCache(new HfCache(root));
    await compare(root);
  });

  it('when the cache root is itself a symlink', async () => {
    root = makeTempDir();
    const real = path.join(root, 'real');
    const link = path.join(root, 'link');
    fs.mkdirSync(real);
    fs.symlinkSync(real, link);
    await buildCache(new HfCache(link));
    await compare(link);
  });

  it('after a revision was deleted', async () => {
    root = makeTempDir();
    const cache = new HfCache(root);
    await buildCache(cache);
    const { deleteRevision } = await import('../../../src/core/cache/cleanup');
    await deleteRevision(cache, MODEL, COMMIT_A);
    await deleteRevision(cache, DATASET, COMMIT_C, undefined, { removePartials: true });
    await compare(root);
  });
});
