import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bigRepo, fileOf, repoFolder, sha256Hex, startEnv, waitForStatus, type StudioEnv } from './helpers';

/** Under the 1 MiB line a file keeps no range journal; at it, the journal is there as before. */
const SMALL = 600 * 1024;
const LARGE = 1024 * 1024;
/** Slow enough that each partial exists for seconds while the blobs folder is watched. */
const BPS = 256 * 1024;

describe('range journals only for files worth resuming', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv({ hub: { repos: [bigRepo('test/small', SMALL, 21), bigRepo('test/large', LARGE, 22)], cdnBytesPerSecondPerConnection: BPS } });
  });
  afterEach(async () => {
    await env.dispose();
  });

  async function namesSeenWhileDownloading(repoId: string): Promise<Set<string>> {
    const blobs = path.join(repoFolder(env.cacheRoot, 'model', repoId), 'blobs');
    const entry = await env.studio.enqueue({ kind: 'model', repoId });
    const seen = new Set<string>();
    const done = waitForStatus(env.studio, entry.id, 'ready');
    let finished = false;
    void done.then(() => (finished = true), () => (finished = true));
    while (!finished) {
      if (fs.existsSync(blobs)) for (const name of fs.readdirSync(blobs)) seen.add(name);
      await sleep(10);
    }
    expect((await done).status).toBe('ready');
    return seen;
  }

  it('a 600 KB file is written to its partial with no journal beside it, and verified in place', async () => {
    const seen = await namesSeenWhileDownloading('test/small');
    const blobId = sha256Hex(fileOf(bigRepo('test/small', SMALL, 21), 'weights.bin'));
    expect(seen).toContain(`${blobId}.mistudio.incomplete`);
    expect([...seen].filter((n) => n.endsWith('.ranges'))).toEqual([]);
    expect(fs.statSync(path.join(repoFolder(env.cacheRoot, 'model', 'test/small'), 'blobs', blobId)).size).toBe(SMALL);
  });

  it('a 1 MiB file keeps its journal while it downloads', async () => {
    const seen = await namesSeenWhileDownloading('test/large');
    const blobId = sha256Hex(fileOf(bigRepo('test/large', LARGE, 22), 'weights.bin'));
    expect(seen).toContain(`${blobId}.mistudio.incomplete.ranges`);
  });
});
