import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCacheDir } from '@huggingface/hub';
import { tinyGpt2Tensors } from '../../fake-hub/demo';
import { elementCount } from '../../fake-hub/safetensors';
import type { FakeFile, FakeRepo } from '../../fake-hub/index';
import { contentOf, demoRepo, expectedBlobId, listTree, repoFolder, startEnv, type StudioEnv } from './helpers';

/** Every file of the commit is a relative symlink into blobs/<expected id> with exactly the fake hub's bytes. */
function expectSnapshot(env: StudioEnv, repo: FakeRepo, commitIndex: number, commit: string, only?: readonly string[]): void {
  const folder = repoFolder(env.cacheRoot, repo.kind, repo.id);
  const files = repo.commits[commitIndex]!.files.filter((f) => !only || only.includes(f.path));
  const snapshot = path.join(folder, 'snapshots', commit);
  expect(listTree(snapshot)).toEqual(files.map((f) => f.path).sort());
  for (const file of files) {
    const link = path.join(snapshot, ...file.path.split('/'));
    expect(fs.lstatSync(link).isSymbolicLink(), file.path).toBe(true);
    const target = fs.readlinkSync(link);
    expect(path.isAbsolute(target), `${file.path} -> ${target}`).toBe(false);
    const blob = path.join(folder, 'blobs', expectedBlobId(file));
    expect(path.resolve(path.dirname(link), target)).toBe(blob);
    expect(fs.readFileSync(link).equals(contentOf(file)), file.path).toBe(true);
  }
}

function uniqueBlobBytes(repo: FakeRepo, keep: (filePath: string) => boolean): number {
  const sizes = new Map<string, number>();
  for (const c of repo.commits) for (const f of c.files) if (keep(f.path)) sizes.set(expectedBlobId(f), contentOf(f).length);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

function filesAtCommit(env: StudioEnv, repo: FakeRepo, commit: string): FakeFile[] {
  const refs = repo.commits.map((c, i) => c.refs?.[0] ?? (i === repo.commits.length - 1 ? 'main' : undefined));
  const index = refs.findIndex((r) => r !== undefined && env.hub.commitSha(repo.kind, repo.id, r) === commit);
  if (index < 0) throw new Error(`test: ${commit} is not a named commit of ${repo.id}`);
  return repo.commits[index]!.files;
}

describe('Studio downloads into the Hugging Face cache layout', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('downloads a model: blobs by sha256 / git sha1, relative links, nested paths and spaces, refs/main without newline', async () => {
    const repo = demoRepo('mistudio-demo/tiny-gpt2');
    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    const commit = env.hub.commitSha('model', repo.id, 'main');
    expect(done.commit).toBe(commit);
    const folder = repoFolder(env.cacheRoot, 'model', repo.id);
    expect(done.snapshotPath).toBe(path.join(folder, 'snapshots', commit));
    expectSnapshot(env, repo, 0, commit);
    // Both kinds of blob names are present: the weights by sha256 and the configs by git sha1.
    const blobs = fs.readdirSync(path.join(folder, 'blobs')).sort();
    expect(blobs).toEqual([...new Set(repo.commits[0]!.files.map(expectedBlobId))].sort());
    expect(blobs.some((b) => b.length === 64) && blobs.some((b) => b.length === 40)).toBe(true);
    expect(fs.readFileSync(path.join(folder, 'refs', 'main'), 'utf8')).toBe(commit);
    // No leftovers: no partials, locks or temp files in the repo folder; only huggingface_hub's tree listing and our
    // holder record beside the layout.
    const others = listTree(folder).filter((p) => !p.startsWith('snapshots/') && !p.startsWith('blobs/') && !p.startsWith('refs/'));
    expect(others.map((p) => p.replace(/[0-9a-f]{16}\.[0-9a-f]{16}\.json$/, '<record>'))).toEqual([`.mistudio-holders/${commit}/<record>`, `trees/${commit}.json`]);
    expect(blobs.filter((b) => b.endsWith('.incomplete'))).toEqual([]);

    const total = repo.commits[0]!.files.reduce((s, f) => s + contentOf(f).length, 0);
    expect(done.bytesTotal).toBe(total);
    expect(done.bytesDone).toBe(total);
    expect(done.fileCount).toBe(repo.commits[0]!.files.length);
    expect(env.studio.files(entry.id).every((f) => f.state === 'verified')).toBe(true);
  });

  it('downloads a dataset through the same path, with its configs and splits as metadata', async () => {
    const repo = demoRepo('mistudio-demo/tiny-stories');
    const entry = await env.studio.enqueue({ kind: 'dataset', repoId: repo.id });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    expect(done.kind).toBe('dataset');
    const commit = env.hub.commitSha('dataset', repo.id, 'main');
    expectSnapshot(env, repo, 0, commit);
    expect(fs.readFileSync(path.join(repoFolder(env.cacheRoot, 'dataset', repo.id), 'refs', 'main'), 'utf8')).toBe(commit);
    expect(done.metadata.dataset?.configs).toEqual([
      { name: 'default', splits: [{ name: 'train', files: ['data/train-00000-of-00001.parquet'] }, { name: 'test', files: ['data/test-00000-of-00001.parquet'] }] },
    ]);
    expect(done.metadata.license).toBe('cdla-sharing-1.0');
    expect(done.metadata.totalSize).toBe(repo.commits[0]!.files.reduce((s, f) => s + contentOf(f).length, 0));
  });

  it('infers dataset configs from folder layout when the card has none', async () => {
    const entry = await env.studio.enqueue({ kind: 'dataset', repoId: 'mistudio-demo/tiny-glue' });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    const configs = done.metadata.dataset?.configs ?? [];
    expect(configs.map((c) => c.name).sort()).toEqual(['cola', 'sst2']);
    expect(configs.find((c) => c.name === 'cola')?.splits.map((s) => s.name).sort()).toEqual(['test', 'train', 'validation']);
  });

  it('stores model metadata: config facts, parameters per dtype and memory estimates', async () => {
    const entry = await env.studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    const byDtype: Record<string, number> = {};
    for (const t of tinyGpt2Tensors()) byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + elementCount(t.shape);
    const total = Object.values(byDtype).reduce((a, b) => a + b, 0);
    const model = done.metadata.model;
    expect(model?.modelType).toBe('gpt2');
    expect(model?.architectures).toEqual(['GPT2LMHeadModel']);
    expect(model?.numLayers).toBe(2);
    expect(model?.hiddenSize).toBe(64);
    expect(model?.parameters).toEqual({ total, byDtype });
    expect(model?.memory?.fp32).toBe(total * 4);
    expect(model?.memory?.bf16).toBe(total * 2);
    expect(model?.memory?.int8).toBe(total);
    expect(model?.memory?.int4).toBe(total / 2);
    expect(done.metadata.pipelineTag).toBe('text-generation');
    expect(done.metadata.downloads).toBe(12_345);
    expect(done.metadata.likes).toBe(67);
  });

  it('writes the ref of a tag, and no ref for a commit revision', async () => {
    const repo = demoRepo('mistudio-demo/tiny-sae');
    const v1 = env.hub.commitSha('model', repo.id, 'v1.0');
    const main = env.hub.commitSha('model', repo.id, 'main');
    expect(v1).not.toBe(main);

    const tagged = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: repo.id, revision: 'v1.0' })).id);
    expect(tagged.status).toBe('ready');
    expect(tagged.commit).toBe(v1);
    const folder = repoFolder(env.cacheRoot, 'model', repo.id);
    expect(listTree(path.join(folder, 'refs'))).toEqual(['v1.0']);
    expect(fs.readFileSync(path.join(folder, 'refs', 'v1.0'), 'utf8')).toBe(v1);
    expectSnapshot(env, repo, 0, v1);

    const pinned = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: repo.id, revision: main })).id);
    expect(pinned.status).toBe('ready');
    expect(pinned.commit).toBe(main);
    expect(listTree(path.join(folder, 'refs'))).toEqual(['v1.0']);
    expectSnapshot(env, repo, 1, main);
    // The weights are shared by both commits and stored once.
    const weights = expectedBlobId(repo.commits[0]!.files.find((f) => f.path === 'sae_weights.safetensors')!);
    expect(fs.readdirSync(path.join(folder, 'blobs')).filter((b) => b === weights)).toHaveLength(1);
  });

  it('leaves a cache that @huggingface/hub scanCacheDir reads with zero warnings and matching sizes', async () => {
    const requests = [
      { kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' },
      { kind: 'model', repoId: 'mistudio-demo/tiny-sae', revision: 'v1.0' },
      { kind: 'model', repoId: 'mistudio-demo/tiny-sae' },
      { kind: 'dataset', repoId: 'mistudio-demo/tiny-stories' },
    ] as const;
    for (const r of requests) {
      const done = await env.studio.whenSettled((await env.studio.enqueue(r)).id);
      expect(done.status, r.repoId).toBe('ready');
    }
    const scan = await scanCacheDir(env.cacheRoot);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos.map((r) => `${r.id.type}:${r.id.name}`).sort()).toEqual([
      'dataset:mistudio-demo/tiny-stories',
      'model:mistudio-demo/tiny-gpt2',
      'model:mistudio-demo/tiny-sae',
    ]);
    // @huggingface/hub's scan does not descend into snapshot sub-folders (Python's does): it sees top-level files only.
    const topLevel = (p: string): boolean => !p.includes('/');
    for (const scanned of scan.repos) {
      const repo = demoRepo(scanned.id.name);
      expect(scanned.size, scanned.id.name).toBe(uniqueBlobBytes(repo, topLevel));
      expect(scanned.revisions).toHaveLength(repo.commits.length);
      for (const rev of scanned.revisions) {
        const files = filesAtCommit(env, repo, rev.commitOid).filter((f) => topLevel(f.path));
        expect(rev.files.map((f) => path.basename(f.path)).sort()).toEqual(files.map((f) => f.path).sort());
        expect(rev.size).toBe(files.reduce((s, f) => s + contentOf(f).length, 0));
      }
    }
    // Our own scan (recursive, like Python's) counts every file.
    const ours = await env.studio.scanCache();
    expect(ours.warnings).toEqual([]);
    expect(ours.repos.map((r) => r.repoId).sort()).toEqual(scan.repos.map((r) => r.id.name).sort());
    for (const scanned of ours.repos) {
      expect(scanned.sizeOnDisk, scanned.repoId).toBe(uniqueBlobBytes(demoRepo(scanned.repoId), () => true));
      expect(scanned.partialFiles).toEqual([]);
    }
  });
});
