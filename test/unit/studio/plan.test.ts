import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntryProgress } from '../../../src/core/studioTypes';
import { seededBytes } from '../../fake-hub/safetensors';
import type { FakeRepo } from '../../fake-hub/index';
import { contentOf, demoRepo, listTree, repoFolder, startEnv, type StudioEnv } from './helpers';

const GPT2 = 'mistudio-demo/tiny-gpt2';

function sizesOf(repo: FakeRepo, paths: readonly string[]): number {
  return repo.commits[0]!.files.filter((f) => paths.includes(f.path)).reduce((s, f) => s + contentOf(f).length, 0);
}

describe('Studio plan and include / exclude patterns', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('plans every file with sizes, blob ids, the commit and free space, before any byte moves', async () => {
    const repo = demoRepo(GPT2);
    const plan = await env.studio.plan({ kind: 'model', repoId: GPT2 });
    expect(plan.commit).toBe(env.hub.commitSha('model', GPT2, 'main'));
    expect(plan.revision).toBe('main');
    const all = repo.commits[0]!.files.map((f) => f.path).sort();
    expect(plan.files.map((f) => f.path)).toEqual(all);
    expect(plan.allFiles.map((f) => f.path)).toEqual(all);
    expect(plan.totalBytes).toBe(sizesOf(repo, all));
    expect(plan.bytesToDownload).toBe(plan.totalBytes);
    expect(plan.files.every((f) => !f.cached)).toBe(true);
    expect(plan.freeBytes).toBeGreaterThan(0);
    expect(plan.cacheRoot).toBe(path.resolve(env.cacheRoot));
    expect(fs.existsSync(env.cacheRoot)).toBe(false);
    expect(env.hub.requests.filter((r) => r.server === 'cdn' || r.url.includes('/resolve/'))).toEqual([]);
  });

  it('include keeps only matching files; `*` crosses "/" like fnmatch; totals follow', async () => {
    const repo = demoRepo(GPT2);
    const plan = await env.studio.plan({ kind: 'model', repoId: GPT2, include: ['*.json'] });
    const expected = ['config.json', 'generation_config.json', 'special tokens map.json', 'tokenizer.json'];
    expect(plan.files.map((f) => f.path)).toEqual(expected);
    expect(plan.allFiles).toHaveLength(repo.commits[0]!.files.length);
    expect(plan.totalBytes).toBe(sizesOf(repo, expected));

    const nested = await env.studio.plan({ kind: 'model', repoId: GPT2, include: ['*vocab*'] });
    expect(nested.files.map((f) => f.path)).toEqual(['tokenizer/vocab.txt']);

    const entry = await env.studio.enqueue(plan);
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    expect(done.includePatterns).toEqual(['*.json']);
    expect(done.bytesTotal).toBe(sizesOf(repo, expected));
    expect(done.fileCount).toBe(expected.length);
    const snapshot = path.join(repoFolder(env.cacheRoot, 'model', GPT2), 'snapshots', plan.commit);
    expect(listTree(snapshot)).toEqual(expected);
  });

  it('exclude removes matches after include; a folder pattern ending in "/" means everything below it', async () => {
    const repo = demoRepo(GPT2);
    const plan = await env.studio.plan({ kind: 'model', repoId: GPT2, exclude: ['*.safetensors', 'tokenizer/', '.git*'] });
    const expected = ['README.md', 'config.json', 'generation_config.json', 'special tokens map.json', 'tokenizer.json'];
    expect(plan.files.map((f) => f.path)).toEqual(expected);
    expect(plan.totalBytes).toBe(sizesOf(repo, expected));

    const both = await env.studio.plan({ kind: 'model', repoId: GPT2, include: ['*.json', '*.md'], exclude: ['*config*'] });
    expect(both.files.map((f) => f.path)).toEqual(['README.md', 'special tokens map.json', 'tokenizer.json']);

    // Patterns are case-sensitive, like fnmatchcase: "*.JSON" selects nothing, which the plan refuses.
    await expect(env.studio.plan({ kind: 'model', repoId: GPT2, include: ['*.JSON'] })).rejects.toThrow(/No files in .* match --include '\*\.JSON'/);

    const done = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GPT2, exclude: ['*.safetensors', 'tokenizer/', '.git*'] })).id);
    expect(done.status).toBe('ready');
    expect(done.bytesTotal).toBe(sizesOf(repo, expected));
    expect(listTree(path.join(repoFolder(env.cacheRoot, 'model', GPT2), 'snapshots', plan.commit))).toEqual(expected);
    // Only the safetensors header was read (for the parameter count), never the excluded weights themselves.
    const weights = contentOf(repo.commits[0]!.files.find((f) => f.path === 'model.safetensors')!);
    expect(env.hub.bytesSent({ path: 'model.safetensors' })).toBeLessThan(weights.length / 4);
    expect(fs.readdirSync(path.join(repoFolder(env.cacheRoot, 'model', GPT2), 'blobs'))).toHaveLength(new Set(expected).size);
  });

  it('re-enqueueing with wider patterns downloads only the new files, marking the rest cached', async () => {
    const first = await env.studio.whenSettled((await env.studio.enqueue({ kind: 'model', repoId: GPT2, include: ['*.json'] })).id);
    expect(first.status).toBe('ready');
    const plan = await env.studio.plan({ kind: 'model', repoId: GPT2 });
    const cached = plan.files.filter((f) => f.cached).map((f) => f.path);
    expect(cached).toEqual(['config.json', 'generation_config.json', 'special tokens map.json', 'tokenizer.json']);
    expect(plan.bytesToDownload).toBe(plan.totalBytes - sizesOf(demoRepo(GPT2), cached));

    env.hub.resetStats();
    const again = await env.studio.whenSettled((await env.studio.enqueue(plan)).id);
    expect(again.id).toBe(first.id);
    expect(again.status).toBe('ready');
    expect(again.includePatterns).toEqual([]);
    expect(again.bytesTotal).toBe(plan.totalBytes);
    expect(env.hub.bytesSent({ path: 'tokenizer.json' })).toBe(0);
    expect(env.hub.bytesSent({ path: 'model.safetensors' })).toBeGreaterThan(0);
  });
});

describe('Studio progress events', () => {
  // Three LFS bodies through a slow CDN (so there are many events), one of them stored twice under two paths.
  const repo: FakeRepo = {
    kind: 'model',
    id: 'test/progress',
    commits: [
      {
        files: [
          { path: 'a.bin', content: seededBytes(192 * 1024, 1) },
          { path: 'b.bin', content: seededBytes(128 * 1024, 2) },
          { path: 'copy/a.bin', content: seededBytes(192 * 1024, 1) },
          { path: 'config.json', content: '{"model_type": "progress"}\n' },
        ],
      },
    ],
  };
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [repo], cdnBytesPerSecondPerConnection: 256 * 1024 } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('reports monotone bytes, fraction ≤ 1, a complete last event, and counts every planned byte', async () => {
    const total = repo.commits[0]!.files.reduce((s, f) => s + contentOf(f).length, 0);
    const events: EntryProgress[] = [];
    env.studio.onDidProgress((e) => events.push(e));
    // The entry's persisted byte count while it is still downloading: the tracker's own sum, before complete().
    const persisted: number[] = [];
    env.studio.onDidChangeEntry((c) => {
      const e = env.studio.catalog.getEntry(c.entryId);
      if (e?.status === 'downloading') persisted.push(e.bytesDone);
    });
    const entry = await env.studio.enqueue({ kind: 'model', repoId: repo.id });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('ready');
    expect(done.bytesTotal).toBe(total);
    expect(done.bytesDone).toBe(total);

    const mine = events.filter((e) => e.entryId === entry.id).map((e) => e.progress);
    expect(mine.length).toBeGreaterThan(3);
    for (let i = 0; i < mine.length; i++) {
      const p = mine[i]!;
      expect(p.bytesTotal).toBe(total);
      expect(p.fraction).toBeGreaterThanOrEqual(0);
      expect(p.fraction).toBeLessThanOrEqual(1);
      expect(p.bytesDone).toBeLessThanOrEqual(total);
      if (i > 0) expect(p.bytesDone).toBeGreaterThanOrEqual(mine[i - 1]!.bytesDone);
      if (i < mine.length - 1) expect(p.fraction).toBeLessThan(1);
    }
    const last = mine.at(-1)!;
    expect(last.fraction).toBe(1);
    expect(last.bytesDone).toBe(total);
    expect(last.etaSeconds).toBe(0);
    // Before completion the tracker itself had reached the total (the duplicated path counts too).
    expect(persisted.at(-1)).toBe(total);
    expect(env.studio.progressOf(entry.id)).toBeUndefined();
  });
});
