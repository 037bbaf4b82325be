import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCache } from '../../../src/core/cache/scan';
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
