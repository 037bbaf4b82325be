import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { gitSha1Hex, repoFolder, sha256Hex, startEnv, type StudioEnv } from './helpers';

const CONFIG = '{"model_type": "tiny"}\n';
const WEIGHTS = seededBytes(300, 41);
const tiny: FakeRepo = {
  kind: 'model',
  id: 'test/tiny-trees',
  commits: [{ files: [{ path: 'config.json', content: CONFIG }, { path: 'weights.bin', content: WEIGHTS, lfs: true }] }],
};

function sha16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

describe('what a download tells the shared cache', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [tiny] } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('trees/<commit>.json lists the whole commit exactly as huggingface_hub writes it, even for an include-filtered entry', async () => {
    const entry = await env.studio.enqueue({ kind: 'model', repoId: tiny.id, include: ['*.json'] });
    expect((await env.studio.whenSettled(entry.id)).status).toBe('ready');
    const commit = env.hub.commitSha('model', tiny.id, 'main');
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(WEIGHTS)}\nsize ${WEIGHTS.length}\n`;
    const expected =
      `{\n "format_version": 1,\n "files": {\n` +
      `  "config.json": {\n   "size": ${Buffer.byteLength(CONFIG)},\n   "blob_id": "${gitSha1Hex(Buffer.from(CONFIG))}"\n  },\n` +
      `  "weights.bin": {\n   "size": ${WEIGHTS.length},\n   "blob_id": "${gitSha1Hex(Buffer.from(pointer))}",\n` +
      `   "lfs_sha256": "${sha256Hex(WEIGHTS)}",\n   "lfs_size": ${WEIGHTS.length}\n  }\n }\n}`;
    const folder = repoFolder(env.cacheRoot, 'model', tiny.id);
    expect(fs.readFileSync(path.join(folder, 'trees', `${commit}.json`), 'utf8')).toBe(expected);
  });

  it('the holder record names this catalog, the revision and exactly the entry\'s files, refreshed when it is ready', async () => {
    const started = Date.now();
    const entry = await env.studio.enqueue({ kind: 'model', repoId: tiny.id, include: ['*.json'] });
    expect((await env.studio.whenSettled(entry.id)).status).toBe('ready');
    const commit = env.hub.commitSha('model', tiny.id, 'main');
    const dir = path.join(repoFolder(env.cacheRoot, 'model', tiny.id), '.mistudio-holders', commit);
    const name = `${sha16(path.resolve(env.catalogFile))}.${sha16(`model\0${tiny.id}\0main`)}.json`;
    expect(fs.readdirSync(dir)).toEqual([name]);
    const record = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Record<string, unknown>;
    expect(record).toEqual({
      version: 1,
      catalog: path.resolve(env.catalogFile),
      kind: 'model',
      repoId: tiny.id,
      revision: 'main',
      commit,
      paths: ['config.json'],
      updatedAt: record.updatedAt,
    });
    // Written again once ready: after the last link was made.
    expect(record.updatedAt).toBeGreaterThanOrEqual(started);
    expect(record.updatedAt).toBeGreaterThanOrEqual(Math.floor(fs.lstatSync(path.join(dir, '..', '..', 'snapshots', commit, 'config.json')).mtimeMs));
  });

  it('the holder record is on disk before the first link is attempted', async () => {
    const commit = env.hub.commitSha('model', tiny.id, 'main');
    const folder = repoFolder(env.cacheRoot, 'model', tiny.id);
    // A folder where the link must go makes the first link fail.
    fs.mkdirSync(path.join(folder, 'snapshots', commit, 'config.json'), { recursive: true });
    const entry = await env.studio.enqueue({ kind: 'model', repoId: tiny.id, include: ['*.json'] });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('error');
    expect(done.errorMessage).toMatch(/a folder is in the way/);
    expect(fs.readdirSync(path.join(folder, '.mistudio-holders', commit))).toHaveLength(1);
  });
});
