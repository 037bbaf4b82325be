import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import { scanCache } from '../../../src/core/cache/scan';
import { ensureTreeCache, readTreeCache, serializeTreeCache, treeCacheChunks, treeCachePath, type TreeEntry } from '../../../src/core/cache/treeCache';
import { COMMIT_A, MODEL, makeTempDir, removeDir } from './fixtures';

const LISTING = new Map<string, TreeEntry>([
  ['z.bin', { size: 3, blobId: 'b'.repeat(40), lfs: { sha256: 'c'.repeat(64), size: 3 } }],
  ['sub dir/ü.json', { size: 1, blobId: 'd'.repeat(40) }],
  ['A.txt', { size: 0, blobId: 'e'.repeat(40) }],
  ['e/😀.txt', { size: 2, blobId: 'f'.repeat(40) }],
  ['e/～.txt', { size: 4, blobId: '1'.repeat(40) }],
]);

/**
 * What huggingface_hub 1.29's write_tree_cache wrote for LISTING (recorded from a run of its _tree_cache.py): sorted
 * by code point (the emoji after U+FF5E, unlike a UTF-16 sort), ensure_ascii escapes, indent 1, no final newline.
 */
const WRITTEN_BY_HUGGINGFACE_HUB =
  '{\n "format_version": 1,\n "files": {\n  "A.txt": {\n   "size": 0,\n   "blob_id": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"\n  },\n' +
  '  "e/\\uff5e.txt": {\n   "size": 4,\n   "blob_id": "1111111111111111111111111111111111111111"\n  },\n' +
  '  "e/\\ud83d\\ude00.txt": {\n   "size": 2,\n   "blob_id": "ffffffffffffffffffffffffffffffffffffffff"\n  },\n' +
  '  "sub dir/\\u00fc.json": {\n   "size": 1,\n   "blob_id": "dddddddddddddddddddddddddddddddddddddddd"\n  },\n' +
  '  "z.bin": {\n   "size": 3,\n   "blob_id": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",\n' +
  '   "lfs_sha256": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",\n   "lfs_size": 3\n  }\n }\n}';

describe('trees/<commit>.json (huggingface_hub tree cache)', () => {
  let root: string;
  let cache: HfCache;
  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  const file = (): string => treeCachePath(cache, MODEL, COMMIT_A);

  it('serializes byte for byte as huggingface_hub does', () => {
    expect(serializeTreeCache(LISTING)).toBe(WRITTEN_BY_HUGGINGFACE_HUB);
  });

  it('a listing of thousands is written in chunks, never as one string, and reads as json.dump(indent=1) wrote it', async () => {
    const big = new Map<string, TreeEntry>();
    for (let i = 0; i < 2_500; i++) {
      big.set(`d${i % 7}/ü-${i}.txt`, i % 3 === 0 ? { size: i, blobId: 'a'.repeat(40), lfs: { sha256: 'b'.repeat(64), size: i }, xetHash: 'c'.repeat(64) } : { size: i, blobId: 'd'.repeat(40) });
    }
    const chunks = [...treeCacheChunks(big)];
    expect(chunks.length).toBe(3);
    // What the whole-object JSON.stringify(…, null, 1) with ensure_ascii escapes makes of it.
    const files: Record<string, unknown> = {};
    for (const p of [...big.keys()].sort()) {
      const e = big.get(p) as TreeEntry;
      files[p] = { size: e.size, blob_id: e.blobId, ...(e.lfs ? { lfs_sha256: e.lfs.sha256, lfs_size: e.lfs.size } : {}), ...(e.xetHash ? { xet_hash: e.xetHash } : {}) };
    }
    const whole = JSON.stringify({ format_version: 1, files }, null, 1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(chunks.join('')).toBe(whole);
    expect(serializeTreeCache(new Map())).toBe(JSON.stringify({ format_version: 1, files: {} }, null, 1));
    await cache.ensureRepoLayout(MODEL);
    expect(await ensureTreeCache(cache, MODEL, COMMIT_A, big)).toBe(true);
    expect(fs.readFileSync(file(), 'utf8')).toBe(whole);
  });

  it('writes into <repo>/trees/<commit>.json beside a complete repo layout, reads back, and scans clean', async () => {
    expect(await ensureTreeCache(cache, MODEL, COMMIT_A, LISTING)).toBe(true);
    expect(file()).toBe(path.join(cache.repoDir(MODEL), 'trees', `${COMMIT_A}.json`));
    expect(fs.readFileSync(file(), 'utf8')).toBe(WRITTEN_BY_HUGGINGFACE_HUB);
    expect(fs.readdirSync(cache.repoDir(MODEL)).sort()).toEqual(['blobs', 'refs', 'snapshots', 'trees']);
    const read = await readTreeCache(cache, MODEL, COMMIT_A);
    expect(new Map([...(read ?? [])].sort())).toEqual(new Map([...LISTING].sort()));
    expect((await scanCache(root)).warnings).toEqual([]);
  });

  it('keeps a valid listing another tool wrote (Xet hashes included), replaces one that is not valid', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    const theirs = { format_version: 1, files: { 'a.bin': { size: 5, blob_id: '2'.repeat(40), lfs_sha256: '3'.repeat(64), lfs_size: 5, xet_hash: '4'.repeat(64) } } };
    fs.writeFileSync(file(), JSON.stringify(theirs));
    expect(await ensureTreeCache(cache, MODEL, COMMIT_A, LISTING)).toBe(false);
    expect(JSON.parse(fs.readFileSync(file(), 'utf8'))).toEqual(theirs);
    expect((await readTreeCache(cache, MODEL, COMMIT_A))?.get('a.bin')).toEqual({ size: 5, blobId: '2'.repeat(40), lfs: { sha256: '3'.repeat(64), size: 5 }, xetHash: '4'.repeat(64) });

    for (const bad of ['{"format_version": 1, "files": {"a"', '{"format_version": 2, "files": {}}', '{"format_version": 1, "files": {"a": {"size": -1, "blob_id": "x"}}}', '[]']) {
      fs.writeFileSync(file(), bad);
      expect(await readTreeCache(cache, MODEL, COMMIT_A), bad).toBeUndefined();
      expect(await ensureTreeCache(cache, MODEL, COMMIT_A, LISTING), bad).toBe(true);
      expect(fs.readFileSync(file(), 'utf8')).toBe(WRITTEN_BY_HUGGINGFACE_HUB);
    }
  });

  it('does not read an oversized file, a symlink, or trees/ through a symlink', async () => {
    await ensureTreeCache(cache, MODEL, COMMIT_A, LISTING);
    const outside = path.join(root, 'outside.json');
    fs.copyFileSync(file(), outside);
    fs.truncateSync(file(), 65 * 1024 * 1024);
    expect(await readTreeCache(cache, MODEL, COMMIT_A)).toBeUndefined();

    fs.rmSync(file());
    fs.symlinkSync(outside, file());
    expect(await readTreeCache(cache, MODEL, COMMIT_A)).toBeUndefined();

    fs.rmSync(path.dirname(file()), { recursive: true });
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.copyFileSync(outside, path.join(elsewhere, `${COMMIT_A}.json`));
    fs.symlinkSync(elsewhere, path.join(cache.repoDir(MODEL), 'trees'));
    await expect(readTreeCache(new HfCache(root), MODEL, COMMIT_A)).rejects.toMatchObject({ code: 'UnsafePath' });
  });

  it('leaves out entries whose path the cache could never hold', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), JSON.stringify({ format_version: 1, files: { '../escape': { size: 1, blob_id: '5'.repeat(40) }, ok: { size: 1, blob_id: '6'.repeat(40) } } }));
    expect([...((await readTreeCache(cache, MODEL, COMMIT_A)) ?? new Map()).keys()]).toEqual(['ok']);
  });
});
