import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteRevision, finishInterruptedDeletes, planRevisionDelete } from '../../../src/core/cache/cleanup';
import { HfCache } from '../../../src/core/cache/hfCache';
import { scanCache } from '../../../src/core/cache/scan';
import { COMMIT_A, COMMIT_B, MODEL, addRevision, blobIdOf, makeTempDir, removeDir, tree } from './fixtures';

const CONFIG = { path: 'config.json', content: '{"ours":true}' };
const WEIGHTS = { path: 'weights/model.bin', content: 'W'.repeat(5000) };
const FOREIGN = { path: 'tokenizer.json', content: '{"written by":"another tool"}' };
const OURS = [CONFIG.path, WEIGHTS.path];

describe('deleteRevision of an entry\'s own files (ownPaths, heldPaths)', () => {
  let root: string;
  let cache: HfCache;
  beforeEach(async () => {
    root = makeTempDir();
    cache = new HfCache(root);
    await addRevision(cache, MODEL, COMMIT_A, [CONFIG, WEIGHTS, FOREIGN], 'main');
  });
  afterEach(() => removeDir(root));

  const repo = (): string => cache.repoDir(MODEL);
  const snapshotFiles = (): string[] => tree(cache.snapshotDir(MODEL, COMMIT_A)).filter((p) => p.endsWith('@'));

  it('removes only the links the entry owns, and their blobs; a file another tool put there keeps the snapshot and its ref', async () => {
    fs.mkdirSync(path.join(repo(), 'trees'));
    fs.writeFileSync(path.join(repo(), 'trees', `${COMMIT_A}.json`), '{}');
    fs.mkdirSync(path.join(repo(), '.no_exist', COMMIT_A), { recursive: true });
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A, { ownPaths: OURS });
    expect(plan).toMatchObject({
      scope: 'files',
      pathsToRemove: OURS.slice().sort(),
      pathsKept: [FOREIGN.path],
      refsToRemove: [],
      blobsToRemove: [blobIdOf(CONFIG.content), blobIdOf(WEIGHTS.content)].sort(),
      freedBytes: CONFIG.content.length + WEIGHTS.content.length,
      removesRepo: false,
    });
    const result = await deleteRevision(cache, MODEL, COMMIT_A, undefined, { ownPaths: OURS });
    expect(result.freedBytes).toBe(plan.freedBytes);
    expect(snapshotFiles()).toEqual([`${FOREIGN.path}@`]);
    // The emptied weights/ folder went; the ref, tree listing and negative cache of a still-cached commit stay.
    expect(tree(repo())).toEqual(
      [
        '.no_exist/',
        `.no_exist/${COMMIT_A}/`,
        'blobs/',
        `blobs/${blobIdOf(FOREIGN.content)}`,
        'refs/',
        'refs/main',
        'snapshots/',
        `snapshots/${COMMIT_A}/`,
        `snapshots/${COMMIT_A}/${FOREIGN.path}@`,
        'trees/',
        `trees/${COMMIT_A}.json`,
      ].sort(),
    );
    expect(fs.readFileSync(path.join(cache.snapshotDir(MODEL, COMMIT_A), FOREIGN.path), 'utf8')).toBe(FOREIGN.content);
    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos[0]!.revisions[0]).toMatchObject({ refs: ['main'], nbFiles: 1, sizeOnDisk: FOREIGN.content.length });
  });

  it('keeps the links other holders list; with all of them held, nothing goes', async () => {
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A, { ownPaths: OURS, heldPaths: new Set([WEIGHTS.path]) });
    expect(plan).toMatchObject({ scope: 'files', pathsToRemove: [CONFIG.path], blobsToRemove: [blobIdOf(CONFIG.content)], freedBytes: CONFIG.content.length });
    await deleteRevision(cache, MODEL, COMMIT_A, undefined, { ownPaths: OURS, heldPaths: new Set([WEIGHTS.path]) });
    expect(snapshotFiles()).toEqual([`${FOREIGN.path}@`, `${WEIGHTS.path}@`].sort());

    const before = tree(root);
    const all = await deleteRevision(cache, MODEL, COMMIT_A, undefined, { ownPaths: OURS, heldPaths: new Set(OURS) });
    expect(all.freedBytes).toBe(0);
    expect(tree(root)).toEqual(before);
  });

  it('a blob still linked by a file that stays is kept when the entry\'s link to it goes', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [{ path: 'copy-of-config.json', content: CONFIG.content }]);
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A, { ownPaths: OURS });
    expect(plan.blobsToRemove).toEqual([blobIdOf(WEIGHTS.content)]);
    await deleteRevision(cache, MODEL, COMMIT_A, undefined, { ownPaths: OURS });
    expect(fs.readFileSync(path.join(cache.snapshotDir(MODEL, COMMIT_A), 'copy-of-config.json'), 'utf8')).toBe(CONFIG.content);
  });

  it('once nothing of the snapshot stays, the revision goes whole: refs, trees/<commit>.json, .no_exist/<commit>, and at the last revision the folder', async () => {
    await addRevision(cache, MODEL, COMMIT_B, [CONFIG], 'v2');
    for (const c of [COMMIT_A, COMMIT_B]) {
      fs.mkdirSync(path.join(repo(), 'trees'), { recursive: true });
      fs.writeFileSync(path.join(repo(), 'trees', `${c}.json`), '{}');
      fs.mkdirSync(path.join(repo(), '.no_exist', c), { recursive: true });
    }
    const owned = [...OURS, FOREIGN.path];
    expect((await planRevisionDelete(cache, MODEL, COMMIT_A, { ownPaths: owned })).scope).toBe('revision');
    await deleteRevision(cache, MODEL, COMMIT_A, undefined, { ownPaths: owned });
    expect(fs.readdirSync(path.join(repo(), 'trees'))).toEqual([`${COMMIT_B}.json`]);
    expect(fs.readdirSync(path.join(repo(), '.no_exist'))).toEqual([COMMIT_B]);
    expect(fs.readdirSync(path.join(repo(), 'refs'))).toEqual(['v2']);
    expect(fs.readdirSync(path.join(repo(), 'snapshots'))).toEqual([COMMIT_B]);

    const locks = path.join(root, '.locks', path.basename(repo()));
    fs.mkdirSync(locks, { recursive: true });
    fs.mkdirSync(path.join(repo(), '.mistudio-holders', COMMIT_B), { recursive: true });
    fs.writeFileSync(path.join(repo(), '.mistudio-holders', COMMIT_B, `${'1'.repeat(16)}.${'2'.repeat(16)}.json`), '{}');
    await deleteRevision(cache, MODEL, COMMIT_B, undefined, { ownPaths: [CONFIG.path] });
    expect(fs.existsSync(repo())).toBe(false);
    expect(fs.existsSync(locks)).toBe(false);
    expect((await scanCache(root)).repos).toEqual([]);
  });

  it('a lock file still in .locks/<repo> keeps that folder, never the repo folder', async () => {
    const locks = path.join(root, '.locks', path.basename(repo()));
    fs.mkdirSync(locks, { recursive: true });
    fs.writeFileSync(path.join(locks, `${blobIdOf(CONFIG.content)}.lock`), '');
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.existsSync(repo())).toBe(false);
    expect(fs.readdirSync(locks)).toEqual([`${blobIdOf(CONFIG.content)}.lock`]);
  });

  it('finishInterruptedDeletes finishes links moved aside (…paths) without touching the snapshot they came from', async () => {
    const trash = path.join(repo(), '.mistudio-deleting', `${COMMIT_A}.0badf00d.paths`);
    fs.mkdirSync(path.join(trash, 'weights'), { recursive: true });
    fs.renameSync(path.join(cache.snapshotDir(MODEL, COMMIT_A), WEIGHTS.path), path.join(trash, WEIGHTS.path));
    expect((await scanCache(root)).repos[0]!.interruptedDeletes).toEqual([COMMIT_A]);

    const done = await finishInterruptedDeletes(cache);
    expect(done).toEqual([{ ref: MODEL, commit: COMMIT_A, freedBytes: WEIGHTS.content.length }]);
    expect(fs.existsSync(path.join(repo(), '.mistudio-deleting'))).toBe(false);
    expect(fs.existsSync(cache.blobPath(MODEL, blobIdOf(WEIGHTS.content)))).toBe(false);
    expect(snapshotFiles()).toEqual([`${CONFIG.path}@`, `${FOREIGN.path}@`].sort());
    expect(fs.readdirSync(path.join(repo(), 'refs'))).toEqual(['main']);
    expect((await scanCache(root)).warnings).toEqual([]);
  });
});
