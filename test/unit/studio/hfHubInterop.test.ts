import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import { scanCache } from '../../../src/core/cache/scan';
import { addRevision } from '../cache/fixtures';
import { bigRepo, fileOf, repoFolder, sha256Hex, startEnv, type StudioEnv } from './helpers';

/**
 * Runs huggingface_hub itself against what we leave in the cache. Its source is not ours to ship, and CI has no PyPI:
 * point MISTUDIO_HF_HUB_SRC at a checkout (or its src/ folder) and have Debian's python3-httpx, -filelock, -fsspec,
 * -packaging, -tqdm, -typing-extensions, -yaml and -click installed.
 */
const HF_HUB_SRC = hubSource(process.env.MISTUDIO_HF_HUB_SRC);
const PYTHON = '/usr/bin/python3';
const importable = HF_HUB_SRC !== undefined && spawnSync(PYTHON, ['-c', 'import huggingface_hub'], { env: pythonEnv({}) }).status === 0;
const FILELOCK_TAKES_MODE =
  importable && spawnSync(PYTHON, ['-c', 'import filelock, tempfile, os; filelock.FileLock(os.path.join(tempfile.mkdtemp(), "x.lock"), mode=0o664)'], { env: pythonEnv({}) }).status === 0;
const SKIPPED = HF_HUB_SRC === undefined ? 'skipped: set MISTUDIO_HF_HUB_SRC to a huggingface_hub checkout' : importable ? '' : `skipped: ${PYTHON} cannot import huggingface_hub from ${HF_HUB_SRC}`;

function hubSource(dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  const src = path.join(dir, 'src');
  return fs.existsSync(path.join(src, 'huggingface_hub')) ? src : dir;
}

function pythonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PYTHONPATH: HF_HUB_SRC ?? '', HF_HUB_DISABLE_TELEMETRY: '1', ...extra };
}

/** What huggingface_hub makes of the cache: scan_cache_dir, and offline snapshot_download of each asked repo. */
const INSPECT = `
import json, sys
from huggingface_hub import scan_cache_dir, snapshot_download
from huggingface_hub.errors import IncompleteSnapshotError
root = sys.argv[1]
info = scan_cache_dir(root)
out = {
  "warnings": [str(w) for w in info.warnings],
  "repos": sorted(({
    "repo_id": r.repo_id, "size_on_disk": r.size_on_disk, "nb_files": r.nb_files,
    "revisions": sorted(({"commit": v.commit_hash, "nb_files": v.nb_files, "size_on_disk": v.size_on_disk, "refs": sorted(v.refs)} for v in r.revisions), key=lambda v: v["commit"]),
  } for r in info.repos), key=lambda r: r["repo_id"]),
  "offline": {},
}
for repo_id in sys.argv[2:]:
  try:
    snapshot_download(repo_id, cache_dir=root, local_files_only=True)
    out["offline"][repo_id] = "complete"
  except IncompleteSnapshotError:
    out["offline"][repo_id] = "incomplete"
  except Exception as e:
    out["offline"][repo_id] = type(e).__name__
print(json.dumps(out))
`;

/** scan_cache_dir with its incomplete files and repo types, for the whole-cache view. */
const SCAN = `
import json, sys
from huggingface_hub import scan_cache_dir
info = scan_cache_dir(sys.argv[1])
print(json.dumps({
  "warnings": [str(w) for w in info.warnings],
  "repos": sorted(({
    "id": r.repo_type + "/" + r.repo_id, "size_on_disk": r.size_on_disk, "nb_files": r.nb_files,
    "revisions": sorted(({"commit": v.commit_hash, "nb_files": v.nb_files, "size_on_disk": v.size_on_disk, "refs": sorted(v.refs)} for v in r.revisions), key=lambda v: v["commit"]),
  } for r in info.repos), key=lambda r: r["id"]),
  "incomplete": sorted((str(f.file_path), f.size_on_disk) for f in info.incomplete_files),
}))
`;

/** hf_hub_download of one file from the fake hub into the cache, as a notebook next to the extension would. */
const DOWNLOAD = `
import sys
from huggingface_hub import hf_hub_download
print(hf_hub_download(sys.argv[2], sys.argv[3], cache_dir=sys.argv[1]))
`;

interface PythonView {
  warnings: string[];
  repos: Array<{ repo_id: string; size_on_disk: number; nb_files: number; revisions: Array<{ commit: string; nb_files: number; size_on_disk: number; refs: string[] }> }>;
  offline: Record<string, string>;
}

/** Asynchronous: the fake hub Python downloads from runs in this very process. */
function python(code: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', code, ...args], { env: pythonEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`python failed (${code}): ${stderr}`))));
  });
}

const full = bigRepo('test/py-full', 40 * 1024, 61);
const partial = bigRepo('test/py-partial', 40 * 1024, 62);

describe('huggingface_hub reads the cache we leave behind', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    if (!importable) return;
    env = await startEnv({ hub: { repos: [full, partial] } });
  });
  afterEach(async () => {
    if (importable) await env.dispose();
  });

  const inspect = async (): Promise<PythonView> => JSON.parse(await python(INSPECT, [env.cacheRoot, full.id, partial.id], { HF_HUB_OFFLINE: '1' })) as PythonView;

  it.skipIf(!importable)(`scan_cache_dir agrees on sizes, trees/ makes offline completeness right, deletes leave no ghost repo ${SKIPPED}`, async () => {
    const { studio } = env;
    const whole = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: full.id })).id);
    const filtered = await studio.whenSettled((await studio.enqueue({ kind: 'model', repoId: partial.id, include: ['*.json'] })).id);
    expect([whole.status, filtered.status]).toEqual(['ready', 'ready']);

    let view = await inspect();
    expect(view.warnings).toEqual([]);
    const ours = await scanCache(env.cacheRoot);
    expect(view.repos).toEqual(
      ours.repos.map((r) => ({
        repo_id: r.repoId,
        size_on_disk: r.sizeOnDisk,
        nb_files: r.nbFiles,
        revisions: r.revisions.map((v) => ({ commit: v.commit, nb_files: v.nbFiles, size_on_disk: v.sizeOnDisk, refs: v.refs })),
      })),
    );
    // Our tree listing tells huggingface_hub the include-filtered snapshot lacks weights.bin.
    expect(view.offline).toEqual({ [full.id]: 'complete', [partial.id]: 'incomplete' });

    // Another tool fetches the file our entry left out, into the same snapshot; our delete then leaves it alone.
    // huggingface_hub itself when its filelock is new enough (it passes mode=, filelock >= 3.10), else by hand as it would.
    const weights = fileOf(partial, 'weights.bin');
    const commit = filtered.commit!;
    if (FILELOCK_TAKES_MODE) {
      const fetched = await python(DOWNLOAD, [env.cacheRoot, partial.id, 'weights.bin'], { HF_ENDPOINT: env.hub.url, HF_HUB_DISABLE_XET: '1' });
      expect(fs.realpathSync(fetched)).toBe(fs.realpathSync(path.join(repoFolder(env.cacheRoot, 'model', partial.id), 'snapshots', commit, 'weights.bin')));
    } else {
      const blob = path.join(repoFolder(env.cacheRoot, 'model', partial.id), 'blobs', sha256Hex(weights));
      fs.writeFileSync(blob, weights);
      fs.symlinkSync(path.relative(path.join(repoFolder(env.cacheRoot, 'model', partial.id), 'snapshots', commit), blob), path.join(filtered.snapshotPath!, 'weights.bin'));
    }
    expect(fs.readFileSync(path.join(filtered.snapshotPath!, 'weights.bin')).equals(weights)).toBe(true);
    expect((await inspect()).offline[partial.id]).toBe('complete');
    await studio.delete(filtered.id);
    await studio.delete(whole.id);
    await studio.whenIdle();

    view = await inspect();
    expect(view.warnings).toEqual([]);
    expect(view.repos.map((r) => r.repo_id)).toEqual([partial.id]);
    expect(view.repos[0]).toMatchObject({ nb_files: 1, size_on_disk: fileOf(partial, 'weights.bin').length });
    expect(view.repos[0]!.revisions.map((v) => v.refs)).toEqual([['main']]);
    expect(fs.existsSync(repoFolder(env.cacheRoot, 'model', full.id))).toBe(false);
  });
});

describe('huggingface_hub agrees with the Cache view on a cache other tools filled', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    if (!importable) return;
    env = await startEnv();
  });
  afterEach(async () => {
    if (importable) await env.dispose();
  });

  interface ScanView {
    warnings: string[];
    repos: Array<{ id: string; size_on_disk: number; nb_files: number; revisions: Array<{ commit: string; nb_files: number; size_on_disk: number; refs: string[] }> }>;
    incomplete: Array<[string, number]>;
  }
  const scan = async (): Promise<ScanView> => JSON.parse(await python(SCAN, [env.cacheRoot])) as ScanView;

  it.skipIf(!importable)(`sizes, refs, detached revisions, Spaces and partials agree; our deletes and prune leave no ghost ${SKIPPED}`, async () => {
    const cache = new HfCache(env.cacheRoot);
    const A = '1'.repeat(40);
    const B = '2'.repeat(40);
    const shared = 'w'.repeat(10_000);
    const model = { kind: 'model' as const, repoId: 'python/two-revs' };
    await addRevision(cache, model, A, [{ path: 'config.json', content: '{"a":1}' }, { path: 'w.bin', content: shared }], 'main');
    await addRevision(cache, model, B, [{ path: 'config.json', content: '{"a":2}' }, { path: 'w.bin', content: shared }]);
    await cache.writeRef(model, 'refs/pr/1', B);
    const dataset = { kind: 'dataset' as const, repoId: 'python/data' };
    await addRevision(cache, dataset, A, [{ path: 'data/train.parquet', content: 'PAR1 train' }], 'main');
    await addRevision(cache, dataset, B, [{ path: 'data/old.parquet', content: 'PAR1 old' }]);
    const space = { kind: 'space' as const, repoId: 'someone/demo' };
    await addRevision(cache, space, A, [{ path: 'app.py', content: 'print(1)' }], 'main');
    // What else huggingface_hub leaves around: its negative cache, CACHEDIR.TAG, lock files, an interrupted download.
    fs.mkdirSync(path.join(repoFolder(env.cacheRoot, 'model', model.repoId), '.no_exist', A), { recursive: true });
    fs.writeFileSync(path.join(repoFolder(env.cacheRoot, 'model', model.repoId), '.no_exist', A, 'tokenizer.json'), '');
    fs.writeFileSync(path.join(env.cacheRoot, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n');
    fs.mkdirSync(path.join(env.cacheRoot, '.locks', 'models--python--two-revs'), { recursive: true });
    fs.writeFileSync(path.join(env.cacheRoot, '.locks', 'models--python--two-revs', `${'e'.repeat(64)}.lock`), '');
    const orphan = path.join(repoFolder(env.cacheRoot, 'dataset', dataset.repoId), 'blobs', `${'e'.repeat(64)}.0a1b2c3d.incomplete`);
    fs.writeFileSync(orphan, Buffer.alloc(4321));

    const theirs = await scan();
    const ours = await env.studio.inventory();
    expect(theirs.warnings).toEqual([]);
    expect(ours.warnings).toEqual([]);
    expect(theirs.repos).toEqual(
      [...ours.repos]
        .map((r) => ({
          id: `${r.kind}/${r.repoId}`,
          size_on_disk: r.sizeOnDisk,
          nb_files: r.nbFiles,
          revisions: r.revisions.map((v) => ({ commit: v.commit, nb_files: v.nbFiles, size_on_disk: v.sizeOnDisk, refs: v.refs })),
        }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(theirs.incomplete).toEqual(ours.repos.flatMap((r) => r.partials.map((p) => [p.path, p.size])));
    expect(ours.sizeOnDisk).toBe(theirs.repos.reduce((sum, r) => sum + r.size_on_disk, 0));

    // A whole repo and one revision deleted from disk, then a prune: huggingface_hub sees no ghost, no warning.
    expect((await env.studio.deleteFromCache([{ kind: 'space', repoId: space.repoId }, { ...model, revision: 'refs/pr/1' }])).revisions.every((r) => r.error === undefined)).toBe(true);
    expect((await env.studio.prune()).revisions.map((r) => `${r.repoId}@${r.commit}`)).toEqual([`${dataset.repoId}@${B}`]);
    const after = await scan();
    expect(after.warnings).toEqual([]);
    expect(after.repos.map((r) => [r.id, r.revisions.map((v) => v.refs)])).toEqual([
      ['dataset/python/data', [['main']]],
      ['model/python/two-revs', [['main']]],
    ]);
    expect(after.repos.find((r) => r.id === 'model/python/two-revs')?.size_on_disk).toBe(shared.length + 7);
    expect(after.incomplete).toEqual([]);
    expect(fs.existsSync(path.join(env.cacheRoot, 'spaces--someone--demo'))).toBe(false);
  });
});

