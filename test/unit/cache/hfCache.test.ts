import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache, type LinkFs } from '../../../src/core/cache/hfCache';
import { isMistudioError } from '../../../src/core/errors';
import { COMMIT_A, COMMIT_B, DATASET, MODEL, addRevision, blobIdOf, makeTempDir, readSnapshot, removeDir, tree } from './fixtures';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(isMistudioError(caught), `expected MistudioError, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

describe('HfCache layout', () => {
  let root: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  it('builds huggingface_hub paths for models and datasets', () => {
    const blob = 'e'.repeat(64);
    expect(cache.repoDir(MODEL)).toBe(path.join(root, 'models--org--tiny-model'));
    expect(cache.repoDir(DATASET)).toBe(path.join(root, 'datasets--org--tiny-data'));
    expect(cache.blobPath(MODEL, blob)).toBe(path.join(root, 'models--org--tiny-model', 'blobs', blob));
    expect(cache.incompletePath(MODEL, blob)).toBe(path.join(root, 'models--org--tiny-model', 'blobs', `${blob}.mistudio.incomplete`));
    expect(cache.snapshotDir(DATASET, COMMIT_A)).toBe(path.join(root, 'datasets--org--tiny-data', 'snapshots', COMMIT_A));
    expect(cache.snapshotFilePath(MODEL, COMMIT_A, 'tokenizer/vocab.txt')).toBe(
      path.join(root, 'models--org--tiny-model', 'snapshots', COMMIT_A, 'tokenizer', 'vocab.txt'),
    );
    expect(cache.lockPath(MODEL, blob)).toBe(path.join(root, '.locks', 'models--org--tiny-model', `${blob}.lock`));
  });

  it('refuses bad blob ids, commits and file paths', () => {
    for (const call of [
      () => cache.blobPath(MODEL, '../../etc'),
      () => cache.blobPath(MODEL, 'E'.repeat(64)),
      () => cache.incompletePath(MODEL, 'x'),
      () => cache.snapshotDir(MODEL, 'main'),
      () => cache.snapshotFilePath(MODEL, COMMIT_A, '../escape'),
      () => cache.snapshotFilePath(MODEL, COMMIT_A, '/etc/passwd'),
      () => cache.snapshotFilePath(MODEL, COMMIT_A, 'a/../../b'),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'UnsafePath' }));
    }
  });

  it('refuses to write through a symlinked folder inside the repo', async () => {
    const outside = makeTempDir('mistudio-outside-');
    try {
      await cache.ensureRepoLayout(MODEL);
      fs.symlinkSync(outside, path.join(cache.repoDir(MODEL), 'snapshots', COMMIT_A));
      expect(() => cache.snapshotFilePath(MODEL, COMMIT_A, 'config.json')).toThrow(expect.objectContaining({ code: 'UnsafePath' }));
      const blobId = blobIdOf('x');
      fs.writeFileSync(cache.incompletePath(MODEL, blobId), 'x');
      await cache.commitBlob(MODEL, blobId, cache.incompletePath(MODEL, blobId));
      await expectCode(cache.linkSnapshotFile(MODEL, COMMIT_A, 'config.json', blobId), 'UnsafePath');
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      removeDir(outside);
    }
  });

  it('also refuses a symlinked sub-folder of a snapshot', async () => {
    const outside = makeTempDir('mistudio-outside-');
    try {
      await cache.ensureRepoLayout(MODEL);
      fs.mkdirSync(cache.snapshotDir(MODEL, COMMIT_A), { recursive: true });
      fs.symlinkSync(outside, path.join(cache.snapshotDir(MODEL, COMMIT_A), 'tokenizer'));
      expect(() => cache.snapshotFilePath(MODEL, COMMIT_A, 'tokenizer/vocab.txt')).toThrow(expect.objectContaining({ code: 'UnsafePath' }));
    } finally {
      removeDir(outside);
    }
  });
});

describe('HfCache blobs and snapshot links', () => {
  let root: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  it('commits a blob by renaming the partial into blobs/<id>', async () => {
    const blobId = blobIdOf('weights');
    await cache.ensureRepoLayout(MODEL);
    const partial = cache.incompletePath(MODEL, blobId);
    fs.writeFileSync(partial, 'weights');
    expect(await cache.hasBlob(MODEL, blobId)).toBe(false);
    await cache.commitBlob(MODEL, blobId, partial);
    expect(await cache.hasBlob(MODEL, blobId)).toBe(true);
    expect(fs.existsSync(partial)).toBe(false);
    expect(fs.readFileSync(cache.blobPath(MODEL, blobId), 'utf8')).toBe('weights');
  });

  it('refuses to commit something that is not a file', async () => {
    await expectCode(cache.commitBlob(MODEL, blobIdOf('a'), path.join(root, 'missing')), 'Io');
  });

  it('lays out blobs, relative symlinks and refs exactly like huggingface_hub', async () => {
    const files = [
      { path: 'config.json', content: '{"a":1}' },
      { path: 'tokenizer/vocab.txt', content: 'hello\nworld\n' },
      { path: 'a/b/c/deep.bin', content: 'deep' },
    ];
    const written = await addRevision(cache, MODEL, COMMIT_A, files, 'main');
    const repo = cache.repoDir(MODEL);
    const [config, vocab, deep] = written.map((w) => w.blobId);
    expect(tree(repo)).toEqual(
      [
        'blobs/',
        `blobs/${config}`,
        `blobs/${vocab}`,
        `blobs/${deep}`,
        'refs/',
        'refs/main',
        'snapshots/',
        `snapshots/${COMMIT_A}/`,
        `snapshots/${COMMIT_A}/a/`,
        `snapshots/${COMMIT_A}/a/b/`,
        `snapshots/${COMMIT_A}/a/b/c/`,
        `snapshots/${COMMIT_A}/a/b/c/deep.bin@`,
        `snapshots/${COMMIT_A}/config.json@`,
        `snapshots/${COMMIT_A}/tokenizer/`,
        `snapshots/${COMMIT_A}/tokenizer/vocab.txt@`,
      ].sort(),
    );
    const link = (rel: string): string => fs.readlinkSync(cache.snapshotFilePath(MODEL, COMMIT_A, rel));
    expect(link('config.json')).toBe(path.join('..', '..', 'blobs', config!));
    expect(link('tokenizer/vocab.txt')).toBe(path.join('..', '..', '..', 'blobs', vocab!));
    expect(link('a/b/c/deep.bin')).toBe(path.join('..', '..', '..', '..', '..', 'blobs', deep!));
    for (const w of written) {
      const file = cache.snapshotFilePath(MODEL, COMMIT_A, w.path);
      expect(path.isAbsolute(fs.readlinkSync(file))).toBe(false);
      expect(fs.realpathSync(file)).toBe(fs.realpathSync(cache.blobPath(MODEL, w.blobId)));
    }
    expect(readSnapshot(cache, MODEL, COMMIT_A, files.map((f) => f.path))).toEqual(Object.fromEntries(files.map((f) => [f.path, f.content])));
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, written)).toBe(true);
  });

  it('handles names with spaces and unicode', async () => {
    const files = [
      { path: 'my folder/file name.txt', content: 'spaces' },
      { path: 'données/模型 🤗.json', content: 'unicode' },
    ];
    const written = await addRevision(cache, DATASET, COMMIT_A, files);
    expect(readSnapshot(cache, DATASET, COMMIT_A, files.map((f) => f.path))).toEqual({ 'my folder/file name.txt': 'spaces', 'données/模型 🤗.json': 'unicode' });
    expect(await cache.snapshotIsComplete(DATASET, COMMIT_A, written)).toBe(true);
  });

  it('replaces an existing link atomically and is idempotent', async () => {
    const [first] = await addRevision(cache, MODEL, COMMIT_A, [{ path: 'model.bin', content: 'one' }]);
    const two = blobIdOf('two');
    fs.writeFileSync(cache.incompletePath(MODEL, two), 'two');
    await cache.commitBlob(MODEL, two, cache.incompletePath(MODEL, two));
    expect(await cache.linkSnapshotFile(MODEL, COMMIT_A, 'model.bin', two)).toBe('symlink');
    expect(fs.readFileSync(cache.snapshotFilePath(MODEL, COMMIT_A, 'model.bin'), 'utf8')).toBe('two');
    expect(await cache.linkSnapshotFile(MODEL, COMMIT_A, 'model.bin', two)).toBe('symlink');
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, [{ path: 'model.bin', blobId: first!.blobId }])).toBe(false);
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, [{ path: 'model.bin', blobId: two }])).toBe(true);
    // No temp file may be left behind in the repo folder.
    expect(fs.readdirSync(cache.repoDir(MODEL)).sort()).toEqual(['blobs', 'refs', 'snapshots']);
  });

  it('refuses to link a blob that is not in the cache', async () => {
    await expectCode(cache.linkSnapshotFile(MODEL, COMMIT_A, 'x.bin', 'd'.repeat(64)), 'Io');
  });

  it('falls back to a hard link when symlinks are refused (EPERM), and the snapshot still reads', async () => {
    let symlinkCalls = 0;
    const linkFs: Partial<LinkFs> = {
      symlink: async () => {
        symlinkCalls++;
        throw errno('EPERM');
      },
    };
    cache = new HfCache(root, { linkFs });
    const files = [
      { path: 'config.json', content: 'cfg' },
      { path: 'sub/tokenizer.json', content: 'tok' },
    ];
    const written = await addRevision(cache, MODEL, COMMIT_A, files, 'main');
    expect(symlinkCalls).toBe(1); // remembered: not retried for every file
    for (const w of written) {
      const file = cache.snapshotFilePath(MODEL, COMMIT_A, w.path);
      const st = fs.lstatSync(file);
      expect(st.isSymbolicLink()).toBe(false);
      expect(st.ino).toBe(fs.statSync(cache.blobPath(MODEL, w.blobId)).ino);
    }
    expect(readSnapshot(cache, MODEL, COMMIT_A, ['config.json', 'sub/tokenizer.json'])).toEqual({ 'config.json': 'cfg', 'sub/tokenizer.json': 'tok' });
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, written)).toBe(true);
  });

  it('falls back to a real copy when neither symlinks nor hard links work (ENOTSUP)', async () => {
    cache = new HfCache(root, {
      linkFs: {
        symlink: async () => {
          throw errno('ENOTSUP');
        },
        link: async () => {
          throw errno('EPERM');
        },
      },
    });
    const [w] = await addRevision(cache, MODEL, COMMIT_A, [{ path: 'weights.bin', content: 'payload' }]);
    const file = cache.snapshotFilePath(MODEL, COMMIT_A, 'weights.bin');
    const st = fs.lstatSync(file);
    expect(st.isFile()).toBe(true);
    expect(st.ino).not.toBe(fs.statSync(cache.blobPath(MODEL, w!.blobId)).ino);
    expect(fs.readFileSync(file, 'utf8')).toBe('payload');
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, [{ ...w!, size: 7 }])).toBe(true);
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, [{ ...w!, size: 8 }])).toBe(false);
    expect(fs.readdirSync(cache.repoDir(MODEL)).sort()).toEqual(['blobs', 'refs', 'snapshots']);
  });

  it('reports a real link failure instead of silently copying', async () => {
    cache = new HfCache(root, {
      linkFs: {
        symlink: async () => {
          throw errno('EIO');
        },
      },
    });
    await expectCode(addRevision(cache, MODEL, COMMIT_A, [{ path: 'x', content: 'x' }]), 'Io');
  });

  it('snapshotIsComplete is false for a missing file, a missing blob or a wrong size', async () => {
    const written = await addRevision(cache, MODEL, COMMIT_A, [
      { path: 'a.txt', content: 'a' },
      { path: 'b.txt', content: 'bb' },
    ]);
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, [...written, { path: 'c.txt', blobId: blobIdOf('c') }])).toBe(false);
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, [{ ...written[1]!, size: 3 }])).toBe(false);
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_B, written)).toBe(false);
    fs.unlinkSync(cache.blobPath(MODEL, written[0]!.blobId));
    expect(await cache.snapshotIsComplete(MODEL, COMMIT_A, written)).toBe(false);
  });

  it('removeIncomplete deletes only the named partials', async () => {
    await cache.ensureRepoLayout(MODEL);
    const [one, two] = [blobIdOf('1'), blobIdOf('2')];
    fs.writeFileSync(cache.incompletePath(MODEL, one), 'partial');
    fs.writeFileSync(cache.incompletePath(MODEL, two), 'partial');
    await cache.removeIncomplete(MODEL, [one, 'f'.repeat(64)]);
    expect(fs.existsSync(cache.incompletePath(MODEL, one))).toBe(false);
    expect(fs.existsSync(cache.incompletePath(MODEL, two))).toBe(true);
    await expect(cache.removeIncomplete(MODEL, ['../../x'])).rejects.toMatchObject({ code: 'UnsafePath' });
  });
});

describe('HfCache refs', () => {
  let root: string;
  let cache: HfCache;

  beforeEach(() => {
    root = makeTempDir();
    cache = new HfCache(root);
  });
  afterEach(() => removeDir(root));

  it('writes the 40-hex commit with no trailing newline', async () => {
    await cache.writeRef(MODEL, 'main', COMMIT_A);
    const file = path.join(cache.repoDir(MODEL), 'refs', 'main');
    expect(fs.readFileSync(file, 'utf8')).toBe(COMMIT_A);
    expect(fs.statSync(file).size).toBe(40);
    expect(await cache.readRef(MODEL, 'main')).toBe(COMMIT_A);
  });

  it('replaces a ref by rename (a new file), leaving no temp files', async () => {
    await cache.writeRef(MODEL, 'main', COMMIT_A);
    const file = path.join(cache.repoDir(MODEL), 'refs', 'main');
    const before = fs.statSync(file).ino;
    await cache.writeRef(MODEL, 'main', COMMIT_B);
    expect(fs.readFileSync(file, 'utf8')).toBe(COMMIT_B);
    expect(fs.statSync(file).ino).not.toBe(before);
    expect(tree(cache.repoDir(MODEL))).toEqual(['blobs/', 'refs/', 'refs/main', 'snapshots/']);
  });

  it('does not rewrite an unchanged ref', async () => {
    await cache.writeRef(MODEL, 'main', COMMIT_A);
    const file = path.join(cache.repoDir(MODEL), 'refs', 'main');
    const before = fs.statSync(file).ino;
    await cache.writeRef(MODEL, 'main', COMMIT_A);
    expect(fs.statSync(file).ino).toBe(before);
  });

  it('creates sub-folders for refs/pr/1 like huggingface_hub', async () => {
    await cache.writeRef(DATASET, 'refs/pr/1', COMMIT_B);
    expect(fs.readFileSync(path.join(cache.repoDir(DATASET), 'refs', 'refs', 'pr', '1'), 'utf8')).toBe(COMMIT_B);
    expect(await cache.readRef(DATASET, 'refs/pr/1')).toBe(COMMIT_B);
  });

  it('writes no ref when the revision is the commit itself', async () => {
    await cache.writeRef(MODEL, COMMIT_A, COMMIT_A);
    expect(tree(path.join(cache.repoDir(MODEL), 'refs'))).toEqual([]);
    expect(await cache.readRef(MODEL, COMMIT_A)).toBe(COMMIT_A);
  });

  it('reads a ref written by another tool with a trailing newline, and nothing for unknown refs', async () => {
    await cache.ensureRepoLayout(MODEL);
    fs.writeFileSync(path.join(cache.repoDir(MODEL), 'refs', 'v1.0'), `${COMMIT_B}\n`);
    expect(await cache.readRef(MODEL, 'v1.0')).toBe(COMMIT_B);
    expect(await cache.readRef(MODEL, 'nope')).toBeUndefined();
  });

  it('refuses hostile revisions and commits', async () => {
    await expect(cache.writeRef(MODEL, '../../escape', COMMIT_A)).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(cache.writeRef(MODEL, 'main', 'not-a-commit')).rejects.toMatchObject({ code: 'UnsafePath' });
    await expect(cache.readRef(MODEL, '/etc/passwd')).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});
