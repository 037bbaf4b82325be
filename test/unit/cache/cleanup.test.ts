import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteRevision, finishInterruptedDeletes, planRevisionDelete, type CleanupOptions } from '../../../src/core/cache/cleanup';
import { HfCache } from '../../../src/core/cache/hfCache';
import { scanCache } from '../../../src/core/cache/scan';
import { isMistudioError } from '../../../src/core/errors';
import { COMMIT_A, COMMIT_B, COMMIT_C, DATASET, MODEL, addRevision, blobIdOf, makeTempDir, readSnapshot, removeDir, tree } from './fixtures';

const SHARED = { path: 'config.json', content: '{"shared":true}' };
const ONLY_A = { path: 'model-a.bin', content: 'A'.repeat(1000) };
const ONLY_B = { path: 'tokenizer/vocab.txt', content: 'vocab-of-b' };
const ONLY_A_NESTED = { path: 'sub dir/ü.json', content: 'only a, nested' };

async function twoRevisions(cache: HfCache): Promise<void> {
  await addRevision(cache, MODEL, COMMIT_A, [SHARED, ONLY_A, ONLY_A_NESTED], 'main');
  await cache.writeRef(MODEL, 'refs/pr/1', COMMIT_A);
  await addRevision(cache, MODEL, COMMIT_B, [SHARED, ONLY_B], 'v2');
}

function expectBReadable(cache: HfCache): void {
  expect(readSnapshot(cache, MODEL, COMMIT_B, [SHARED.path, ONLY_B.path])).toEqual({ [SHARED.path]: SHARED.content, [ONLY_B.path]: ONLY_B.content });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return undefined;
}

/** A signal that reports "aborted" from its (n+1)-th check on: a crash at the n-th step boundary. */
function abortAfter(checks: number): AbortSignal {
  const signal = new AbortController().signal;
  let reads = 0;
  Object.defineProperty(signal, 'aborted', { get: () => ++reads > checks });
  return signal;
}

describe('deleteRevision', () => {
  let root: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  it('deletes one of two revisions that share a blob; the other still reads every file', async () => {
    await twoRevisions(cache);
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A);
    expect(plan.refsToRemove).toEqual(['main', 'refs/pr/1']);
    expect(plan.blobsToRemove).toEqual([blobIdOf(ONLY_A.content), blobIdOf(ONLY_A_NESTED.content)].sort());
    expect(plan.freedBytes).toBe(ONLY_A.content.length + Buffer.byteLength(ONLY_A_NESTED.content));
    expect(plan.removesRepo).toBe(false);
    expect(plan.snapshotDir).toBe(cache.snapshotDir(MODEL, COMMIT_A));

    const result = await deleteRevision(cache, MODEL, COMMIT_A);
    expect(result.freedBytes).toBe(plan.freedBytes);
    expectBReadable(cache);
    const repo = cache.repoDir(MODEL);
    expect(tree(repo)).toEqual(
      [
        'blobs/',
        `blobs/${blobIdOf(SHARED.content)}`,
        `blobs/${blobIdOf(ONLY_B.content)}`,
        'refs/',
        'refs/v2',
        'snapshots/',
        `snapshots/${COMMIT_B}/`,
        `snapshots/${COMMIT_B}/config.json@`,
        `snapshots/${COMMIT_B}/tokenizer/`,
        `snapshots/${COMMIT_B}/tokenizer/vocab.txt@`,
      ].sort(),
    );
    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos[0]!.revisions.map((r) => r.commit)).toEqual([COMMIT_B]);
  });

  it('planning changes nothing', async () => {
    await twoRevisions(cache);
    const before = tree(root);
    await planRevisionDelete(cache, MODEL, COMMIT_A, { removePartials: true });
    expect(tree(root)).toEqual(before);
  });

  it('deleting every revision removes the repo folder, .no_exist and partials included', async () => {
    await twoRevisions(cache);
    fs.mkdirSync(path.join(cache.repoDir(MODEL), '.no_exist', COMMIT_A), { recursive: true });
    fs.writeFileSync(path.join(cache.repoDir(MODEL), '.no_exist', COMMIT_A, 'missing.json'), '');
    fs.writeFileSync(cache.incompletePath(MODEL, 'f'.repeat(64)), 'partial');
    await addRevision(cache, DATASET, COMMIT_C, [{ path: 'x', content: 'x' }], 'main');

    await deleteRevision(cache, MODEL, COMMIT_A);
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_B, { removePartials: true });
    expect(plan.removesRepo).toBe(true);
    expect(plan.partialsToRemove).toEqual(['f'.repeat(64)]);
    expect(plan.freedBytes).toBe(Buffer.byteLength(SHARED.content) + ONLY_B.content.length + 'partial'.length);
    await deleteRevision(cache, MODEL, COMMIT_B, undefined, { removePartials: true });
    expect(fs.existsSync(cache.repoDir(MODEL))).toBe(false);
    expect(fs.existsSync(cache.repoDir(DATASET))).toBe(true);
  });

  it('keeps partials a download still needs, and a readable repo skeleton around them', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [SHARED], 'main');
    const keep = 'e'.repeat(64);
    const drop = 'd'.repeat(64);
    fs.writeFileSync(cache.incompletePath(MODEL, keep), 'keep');
    fs.writeFileSync(cache.incompletePath(MODEL, drop), 'drop');
    await deleteRevision(cache, MODEL, COMMIT_A, undefined, { removePartials: true, keepPartials: [keep] });
    expect(tree(cache.repoDir(MODEL))).toEqual(['blobs/', `blobs/${keep}.mistudio.incomplete`, 'refs/', 'snapshots/']);
    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos[0]!.partialFiles.map((p) => p.size)).toEqual([4]);
  });

  it('leaves partials alone by default', async () => {
    await addRevision(cache, MODEL, COMMIT_A, [SHARED], 'main');
    fs.writeFileSync(cache.incompletePath(MODEL, 'e'.repeat(64)), 'keep');
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.existsSync(cache.incompletePath(MODEL, 'e'.repeat(64)))).toBe(true);
  });

  it('is a no-op success for an already deleted revision, a missing repo and a missing root', async () => {
    await twoRevisions(cache);
    await deleteRevision(cache, MODEL, COMMIT_A);
    const after = tree(root);
    expect(await deleteRevision(cache, MODEL, COMMIT_A)).toEqual({ freedBytes: 0, skipped: [], pathsKept: [] });
    expect(tree(root)).toEqual(after);
    expect((await deleteRevision(cache, DATASET, COMMIT_A)).freedBytes).toBe(0);
    expect((await deleteRevision(new HfCache(path.join(root, 'nope')), MODEL, COMMIT_A)).freedBytes).toBe(0);
  });

  it('removes .no_exist/<commit> and prunes emptied ref folders, keeping other refs', async () => {
    await twoRevisions(cache);
    const repo = cache.repoDir(MODEL);
    fs.mkdirSync(path.join(repo, '.no_exist', COMMIT_A), { recursive: true });
    fs.mkdirSync(path.join(repo, '.no_exist', COMMIT_B), { recursive: true });
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.readdirSync(path.join(repo, '.no_exist'))).toEqual([COMMIT_B]);
    expect(tree(path.join(repo, 'refs'))).toEqual(['v2']);
  });

  it('does not sweep a blob that no snapshot links yet when asked to delete an absent commit', async () => {
    await cache.ensureRepoLayout(MODEL);
    const id = blobIdOf('just committed');
    fs.writeFileSync(cache.incompletePath(MODEL, id), 'just committed');
    await cache.commitBlob(MODEL, id, cache.incompletePath(MODEL, id));
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A, { removePartials: true });
    expect(plan).toMatchObject({ blobsToRemove: [], removesRepo: false, freedBytes: 0 });
    await deleteRevision(cache, MODEL, COMMIT_A, undefined, { removePartials: true });
    expect(await cache.hasBlob(MODEL, id)).toBe(true);
  });

  it('removes temp files a crashed writer left a day ago, not fresh ones', async () => {
    await twoRevisions(cache);
    const repo = cache.repoDir(MODEL);
    const stale = path.join(repo, '.mistudio-0123456789abcdef.tmp');
    const fresh = path.join(repo, '.mistudio-fedcba9876543210.tmp');
    fs.writeFileSync(stale, 'left by a crash');
    fs.writeFileSync(fresh, 'being written');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
  });

  it('refuses a bad commit', async () => {
    expect(isMistudioError(await caught(deleteRevision(cache, MODEL, '../../etc')), 'UnsafePath')).toBe(true);
  });

  it('honours the AbortSignal: an aborted delete changes nothing and throws Cancelled', async () => {
    await twoRevisions(cache);
    const before = tree(root);
    const controller = new AbortController();
    controller.abort();
    expect(isMistudioError(await caught(deleteRevision(cache, MODEL, COMMIT_A, controller.signal)), 'Cancelled')).toBe(true);
    expect(tree(root)).toEqual(before);
  });
});

describe('deleteRevision is restartable', () => {
  let root: string;
  afterEach(() => removeDir(root));

  const FOREIGN = { path: 'extra/by-another-tool.txt', content: 'not the entry\'s' };
  const scenarios: Array<{ name: string; build: (cache: HfCache) => Promise<void>; commit: string; check: (cache: HfCache) => void; options?: CleanupOptions }> = [
    {
      name: 'one of two revisions',
      build: twoRevisions,
      commit: COMMIT_A,
      // Whatever the crash point: the other revision reads whole.
      check: expectBReadable,
    },
    {
      name: 'the last revision (the repo folder goes)',
      build: async (cache) => {
        await addRevision(cache, MODEL, COMMIT_A, [SHARED, ONLY_A, ONLY_A_NESTED], 'main');
        fs.mkdirSync(path.join(cache.repoDir(MODEL), '.no_exist', COMMIT_A), { recursive: true });
      },
      commit: COMMIT_A,
      check: () => undefined,
    },
    {
      name: 'an entry\'s own files of a snapshot another tool also wrote into',
      build: async (cache) => {
        await twoRevisions(cache);
        await addRevision(cache, MODEL, COMMIT_A, [FOREIGN]);
      },
      commit: COMMIT_A,
      options: { ownPaths: [SHARED.path, ONLY_A.path, ONLY_A_NESTED.path], heldPaths: new Set([ONLY_A_NESTED.path]) },
      check: (cache) => {
        expectBReadable(cache);
        expect(readSnapshot(cache, MODEL, COMMIT_A, [FOREIGN.path, ONLY_A_NESTED.path])).toEqual({ [FOREIGN.path]: FOREIGN.content, [ONLY_A_NESTED.path]: ONLY_A_NESTED.content });
      },
    },
  ];

  it.each(scenarios)('deleting $name: a crash at any step, then a re-run, ends where an uninterrupted run ends', async ({ build, commit, check, options: scope }) => {
    const options: CleanupOptions = { removePartials: true, ...scope };
    root = makeTempDir();
    const setUp = async (cache: HfCache): Promise<void> => {
      await build(cache);
      await addRevision(cache, DATASET, COMMIT_C, [{ path: 'x', content: 'x' }], 'main');
      fs.writeFileSync(cache.incompletePath(MODEL, 'f'.repeat(64)), 'partial');
    };
    const reference = new HfCache(path.join(root, 'reference'));
    await setUp(reference);
    await deleteRevision(reference, MODEL, commit, undefined, options);
    const expected = tree(reference.root);

    let completedWithoutCrash = false;
    let crashes = 0;
    for (let step = 0; step < 500 && !completedWithoutCrash; step++) {
      const cache = new HfCache(path.join(root, `run-${step}`));
      await setUp(cache);
      const err = await caught(deleteRevision(cache, MODEL, commit, abortAfter(step), options));
      if (err === undefined) completedWithoutCrash = true;
      else {
        crashes++;
        expect(isMistudioError(err, 'Cancelled'), `step ${step}: ${String(err)}`).toBe(true);
      }

      check(cache);
      // No ref ever names a missing snapshot and no snapshot link dangles: huggingface_hub could read it all.
      const midway = await scanCache(cache.root);
      expect(midway.warnings.filter((w) => !w.startsWith('Interrupted delete')), `step ${step}`).toEqual([]);

      await deleteRevision(cache, MODEL, commit, undefined, options);
      expect(tree(cache.root), `step ${step}`).toEqual(expected);
      removeDir(cache.root);
    }
    expect(completedWithoutCrash).toBe(true);
    // The run must have been cut at many distinct points, not completed at once.
    expect(crashes).toBeGreaterThan(10);
  });

  it('finishInterruptedDeletes completes a delete that crashed after the snapshot was moved aside', async () => {
    root = makeTempDir();
    const cache = new HfCache(root);
    await twoRevisions(cache);
    // The state right after the atomic move of the snapshot: refs gone, blobs still there.
    const repo = cache.repoDir(MODEL);
    fs.unlinkSync(path.join(repo, 'refs', 'main'));
    fs.rmSync(path.join(repo, 'refs', 'refs'), { recursive: true });
    fs.mkdirSync(path.join(repo, '.mistudio-deleting'));
    fs.renameSync(cache.snapshotDir(MODEL, COMMIT_A), path.join(repo, '.mistudio-deleting', COMMIT_A));

    const scan = await scanCache(root);
    expect(scan.repos[0]!.interruptedDeletes).toEqual([COMMIT_A]);
    expect(scan.repos[0]!.revisions.map((r) => r.commit)).toEqual([COMMIT_B]);

    const done = await finishInterruptedDeletes(cache);
    expect(done).toEqual([{ ref: MODEL, commit: COMMIT_A, freedBytes: ONLY_A.content.length + Buffer.byteLength(ONLY_A_NESTED.content) }]);
    expect(fs.existsSync(cache.blobPath(MODEL, blobIdOf(ONLY_A.content)))).toBe(false);
    expect(fs.existsSync(path.join(repo, '.mistudio-deleting'))).toBe(false);
    expectBReadable(cache);
    expect((await scanCache(root)).warnings).toEqual([]);
  });
});

describe('deleteRevision never leaves the cache', () => {
  let root: string;
  let outside: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    outside = makeTempDir('mistudio-outside-');
    fs.writeFileSync(path.join(outside, 'precious.txt'), 'precious');
    fs.mkdirSync(path.join(outside, 'dir'));
    fs.writeFileSync(path.join(outside, 'dir', 'inner.txt'), 'inner');
    cache = new HfCache(root);
  });
  afterEach(() => {
    removeDir(root);
    removeDir(outside);
  });

  it('does not follow snapshot symlinks that point outside the cache', async () => {
    await twoRevisions(cache);
    const snapshot = cache.snapshotDir(MODEL, COMMIT_A);
    fs.symlinkSync(path.join(outside, 'precious.txt'), path.join(snapshot, 'evil-file'));
    fs.symlinkSync(path.join(outside, 'dir'), path.join(snapshot, 'evil-dir'));
    fs.symlinkSync(path.relative(snapshot, path.join(outside, 'precious.txt')), path.join(snapshot, 'evil-relative'));

    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A);
    expect(plan.skipped.filter((s) => s.includes('outside the repo folder'))).toHaveLength(3);
    await deleteRevision(cache, MODEL, COMMIT_A);

    expect(fs.readFileSync(path.join(outside, 'precious.txt'), 'utf8')).toBe('precious');
    expect(fs.readFileSync(path.join(outside, 'dir', 'inner.txt'), 'utf8')).toBe('inner');
    expect(fs.existsSync(snapshot)).toBe(false);
    expectBReadable(cache);
  });

  it('does not treat a link to an outside file named like a blob as a blob', async () => {
    await twoRevisions(cache);
    const fakeBlobs = path.join(outside, 'blobs');
    fs.mkdirSync(fakeBlobs);
    const id = 'a'.repeat(64);
    fs.writeFileSync(path.join(fakeBlobs, id), 'not yours');
    fs.symlinkSync(path.join(fakeBlobs, id), path.join(cache.snapshotDir(MODEL, COMMIT_A), 'lookalike'));
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.readFileSync(path.join(fakeBlobs, id), 'utf8')).toBe('not yours');
  });

  it('refuses a repo folder that is a symlink to somewhere else', async () => {
    const elsewhere = path.join(outside, 'models--org--tiny-model');
    await twoRevisions(new HfCache(outside));
    fs.symlinkSync(elsewhere, cache.repoDir(MODEL));
    const before = tree(outside);
    expect(isMistudioError(await caught(deleteRevision(cache, MODEL, COMMIT_A)), 'UnsafePath')).toBe(true);
    expect(tree(outside)).toEqual(before);
  });

  it('refuses a repo whose blobs folder is a symlink', async () => {
    await twoRevisions(cache);
    const blobs = path.join(cache.repoDir(MODEL), 'blobs');
    fs.renameSync(blobs, path.join(outside, 'blobs'));
    fs.symlinkSync(path.join(outside, 'blobs'), blobs);
    const before = tree(outside);
    expect(isMistudioError(await caught(deleteRevision(cache, MODEL, COMMIT_A)), 'UnsafePath')).toBe(true);
    expect(tree(outside)).toEqual(before);
  });

  it('works through a cache root that is itself a symlink, confined to the real folder', async () => {
    const real = path.join(root, 'real-cache');
    fs.mkdirSync(real);
    const linkRoot = path.join(root, 'link-cache');
    fs.symlinkSync(real, linkRoot);
    cache = new HfCache(linkRoot);
    await twoRevisions(cache);
    await deleteRevision(cache, MODEL, COMMIT_A);
    expectBReadable(cache);
    expect(fs.existsSync(path.join(real, 'models--org--tiny-model', 'snapshots', COMMIT_A))).toBe(false);
    await deleteRevision(cache, MODEL, COMMIT_B);
    expect(fs.readdirSync(real)).toEqual([]);
    expect(fs.lstatSync(linkRoot).isSymbolicLink()).toBe(true);
  });

  it('refuses a cache root that resolves to the filesystem root', async () => {
    const link = path.join(root, 'to-slash');
    fs.symlinkSync(path.parse(root).root, link);
    expect(isMistudioError(await caught(deleteRevision(new HfCache(link), MODEL, COMMIT_A)), 'UnsafePath')).toBe(true);
  });
});

describe('deleteRevision with real-file snapshots (no symlinks)', () => {
  let root: string;
  afterEach(() => removeDir(root));

  const refuse = async (): Promise<never> => {
    throw Object.assign(new Error('no links here'), { code: 'EPERM' });
  };

  it('hard links: a blob another revision still uses is kept, a freed one is counted once', async () => {
    root = makeTempDir();
    const cache = new HfCache(root, { linkFs: { symlink: refuse } });
    await twoRevisions(cache);
    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A);
    expect(plan.blobsToRemove).toEqual([blobIdOf(ONLY_A.content), blobIdOf(ONLY_A_NESTED.content)].sort());
    expect(plan.freedBytes).toBe(ONLY_A.content.length + Buffer.byteLength(ONLY_A_NESTED.content));
    await deleteRevision(cache, MODEL, COMMIT_A);
    expectBReadable(cache);
    expect(await cache.hasBlob(MODEL, blobIdOf(SHARED.content))).toBe(true);
    expect(await cache.hasBlob(MODEL, blobIdOf(ONLY_A.content))).toBe(false);
  });

  it('plain copies: blobs are matched to the copies by content and removed with them', async () => {
    root = makeTempDir();
    const cache = new HfCache(root, { linkFs: { symlink: refuse, link: refuse } });
    await twoRevisions(cache);
    // An unrelated blob of the same size as a deleted file must not be taken for it.
    const sameSize = 'Z'.repeat(ONLY_A.content.length);
    fs.writeFileSync(cache.incompletePath(MODEL, blobIdOf(sameSize)), sameSize);
    await cache.commitBlob(MODEL, blobIdOf(sameSize), cache.incompletePath(MODEL, blobIdOf(sameSize)));

    await deleteRevision(cache, MODEL, COMMIT_A);
    expectBReadable(cache);
    expect(await cache.hasBlob(MODEL, blobIdOf(ONLY_A.content))).toBe(false);
    expect(await cache.hasBlob(MODEL, blobIdOf(sameSize))).toBe(true);
    expect(await cache.hasBlob(MODEL, blobIdOf(ONLY_B.content))).toBe(true);
  });
});

describe('huggingface_hub shared blob store', () => {
  let root: string;
  afterEach(() => removeDir(root));

  it('a repo blob linked into <root>/blobs is scanned by its payload and deleted as a link only', async () => {
    root = makeTempDir();
    const cache = new HfCache(root);
    const xetHash = '9'.repeat(64);
    const store = path.join(root, 'blobs');
    fs.mkdirSync(path.join(store, xetHash.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(store, '.huggingface-shared-blobs'), '1\n');
    fs.writeFileSync(path.join(store, xetHash.slice(0, 2), xetHash), 'shared payload');
    const etag = blobIdOf('shared payload');
    await cache.ensureRepoLayout(MODEL);
    fs.symlinkSync(path.join('..', '..', 'blobs', xetHash.slice(0, 2), xetHash), cache.blobPath(MODEL, etag));
    await cache.linkSnapshotFile(MODEL, COMMIT_A, 'model.safetensors', etag);
    await cache.writeRef(MODEL, 'main', COMMIT_A);
    await addRevision(cache, MODEL, COMMIT_B, [SHARED], 'v2');

    const scan = await scanCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos).toHaveLength(1);
    const revA = scan.repos[0]!.revisions.find((r) => r.commit === COMMIT_A)!;
    expect(revA.files).toEqual([{ path: 'model.safetensors', blobPath: cache.blobPath(MODEL, etag), size: 'shared payload'.length }]);

    const plan = await planRevisionDelete(cache, MODEL, COMMIT_A);
    expect(plan.blobsToRemove).toEqual([etag]);
    expect(plan.freedBytes).toBe(0); // the payload belongs to the store; huggingface_hub's own GC frees it
    await deleteRevision(cache, MODEL, COMMIT_A);
    expect(fs.existsSync(cache.blobPath(MODEL, etag))).toBe(false);
    expect(fs.readFileSync(path.join(store, xetHash.slice(0, 2), xetHash), 'utf8')).toBe('shared payload');
  });
});
