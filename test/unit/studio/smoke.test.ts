import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCacheDir } from '@huggingface/hub';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi } from '../../../src/core/studioTypes';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';

const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');

describe('Studio smoke', () => {
  let hub: FakeHub;
  let dir: string;
  let studio: StudioApi;
  beforeAll(async () => {
    hub = await startFakeHub({ repos: demoRepos() });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'studio-smoke-'));
    studio = await openStudio({ catalogFile: path.join(dir, 'catalog.sqlite'), wasmPath, cacheRoot: path.join(dir, 'hub'), endpoint: hub.url });
  });
  afterAll(async () => {
    await studio.close();
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a model into the HF cache layout', async () => {
    const entry = await studio.enqueue({ kind: 'model', repoId: 'mistudio-demo/tiny-gpt2' });
    const done = await studio.whenSettled(entry.id);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('ready');
    const commit = hub.commitSha('model', 'mistudio-demo/tiny-gpt2', 'main');
    expect(done.commit).toBe(commit);
    const ref = fs.readFileSync(path.join(dir, 'hub', 'models--mistudio-demo--tiny-gpt2', 'refs', 'main'), 'utf8');
    expect(ref).toBe(commit);
    const scan = await scanCacheDir(path.join(dir, 'hub'));
    expect(scan.warnings).toEqual([]);
    expect(scan.repos.map((r) => r.id.name)).toContain('mistudio-demo/tiny-gpt2');
    expect(done.metadata.model?.parameters?.total).toBe(141_056);
  });
});
