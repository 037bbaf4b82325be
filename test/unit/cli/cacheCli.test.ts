import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HfCache } from '../../../src/core/cache/hfCache';
import type { CacheInventory } from '../../../src/core/cacheInventory';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { addRevision } from '../cache/fixtures';
import { cli, scratch } from './helpers';

const GPT2 = 'mistudio-demo/tiny-gpt2';
const FOREIGN = { kind: 'model' as const, repoId: 'python/cached-only' };
const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);

/** `mistudio cache …` and `mistudio add`, named like huggingface_hub's `hf cache` commands, on the same engine. */
describe('mistudio cache and add', () => {
  let hub: FakeHub;
  let home: ReturnType<typeof scratch>;
  let env: NodeJS.ProcessEnv;
  const hubDir = (): string => path.join(home.dir, 'hub');
  const foreignDir = (): string => path.join(hubDir(), 'models--python--cached-only');

  beforeAll(async () => {
    hub = await startFakeHub({ repos: demoRepos() });
  });
  afterAll(async () => hub.close());
  beforeEach(async () => {
    home = scratch();
    env = { ...home.env, HF_ENDPOINT: hub.url };
    // What Python left: two revisions, main on the first, the second detached.
    const cache = new HfCache(hubDir());
    await addRevision(cache, FOREIGN, C1, [{ path: 'config.json', content: '{"model_type":"gpt2"}' }, { path: 'w.bin', content: 'w'.repeat(5000) }], 'main');
    await addRevision(cache, FOREIGN, C2, [{ path: 'config.json', content: '{"model_type":"gpt3"}' }]);
    hub.resetStats();
  });
  afterEach(() => home.cleanup());

  it('cache ls lists every repo with who holds it; --revisions shows each, detached ones named so; --json for scripts', async () => {
    expect((await cli(['download', GPT2], env)).code).toBe(0);
    const text = await cli(['cache', 'ls'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.find((l) => l.startsWith(`model/${GPT2} `))).toMatch(/this catalog/);
    expect(lines.find((l) => l.startsWith(`model/${FOREIGN.repoId} `))).toMatch(/ main +- /);
    expect(text.stdout).toMatch(/2 repos, .* in /);

    const revisions = await cli(['cache', 'ls', '--revisions'], env);
    expect(revisions.stdout.split('\n').find((l) => l.includes(C2.slice(0, 12)))).toMatch(/\(detached\)/);

    const json = JSON.parse((await cli(['cache', 'ls', '--json'], env)).stdout) as CacheInventory;
    const foreign = json.repos.find((r) => r.repoId === FOREIGN.repoId);
    expect(foreign?.revisions.map((r) => [r.commit, r.refs, r.entries.length, r.otherCatalogs.length])).toEqual([
      [C1, ['main'], 0, 0],
      [C2, [], 0, 0],
    ]);
  });

  it('add makes a cached repo a ready entry without a request, and prints its folder', async () => {
    const r = await cli(['add', FOREIGN.repoId], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(foreignDir(), 'snapshots', C1));
    expect(hub.requests).toEqual([]);
    const list = JSON.parse((await cli(['list', '--json'], env)).stdout) as Array<{ repoId: string; status: string; commit: string }>;
    expect(list).toMatchObject([{ repoId: FOREIGN.repoId, status: 'ready', commit: C1 }]);
    const missing = await cli(['add', 'python/not-cached'], env);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr.trim()).toMatch(/^mistudio: error: python\/not-cached@main is not in the cache at .*: nothing to add$/);
  });

  it('cache rm --dry-run says what it would free and deletes nothing; cache rm deletes a revision or the whole repo', async () => {
    const dry = await cli(['cache', 'rm', `${FOREIGN.repoId}@main`, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(new RegExp(`model/${FOREIGN.repoId}@${C1.slice(0, 12)} \\(main\\): frees 5\\.\\d+ kB`));
    expect(dry.stderr).toMatch(/Would free .* \(dry run: nothing was deleted\)/);
    expect(fs.existsSync(path.join(foreignDir(), 'snapshots', C1))).toBe(true);

    const one = await cli(['cache', 'rm', `${FOREIGN.repoId}@main`], env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(new RegExp(`Deleted model/${FOREIGN.repoId}@${C1.slice(0, 12)}: freed`));
    expect(fs.readdirSync(path.join(foreignDir(), 'snapshots'))).toEqual([C2]);

    const all = await cli(['cache', 'rm', FOREIGN.repoId, '--json'], env);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ cancelled: false, revisions: [{ commit: C2 }] });
    expect(fs.existsSync(foreignDir())).toBe(false);
  });

  it('cache prune removes the detached revision and an orphan partial; --dry-run only tells', async () => {
    const partial = path.join(foreignDir(), 'blobs', `${'e'.repeat(64)}.abcdef12.incomplete`);
    fs.writeFileSync(partial, Buffer.alloc(2048));
    const dry = await cli(['cache', 'prune', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`@${C2.slice(0, 12)} (detached)`);
    expect(dry.stderr).toContain(partial);
    expect(fs.existsSync(partial)).toBe(true);

    const r = await cli(['cache', 'prune'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Removed partial ${partial}`);
    expect(fs.existsSync(partial)).toBe(false);
    expect(fs.readdirSync(path.join(foreignDir(), 'snapshots'))).toEqual([C1]);
    expect((await cli(['cache', 'prune'], env)).stderr).toMatch(/^Nothing to prune/);
  });

  it('cache verify: exit 0 when intact, 1 naming a damaged file, and --repair fetches it again', async () => {
    expect((await cli(['download', GPT2], env)).code).toBe(0);
    const ok = await cli(['cache', 'verify', GPT2], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/files verified \(.* hashed\)/);

    const snapshot = path.join(hubDir(), 'models--mistudio-demo--tiny-gpt2', 'snapshots', hub.commitSha('model', GPT2, 'main'));
    const weights = fs.realpathSync(path.join(snapshot, 'model.safetensors'));
    const size = fs.statSync(weights).size;
    fs.truncateSync(weights, 64);
    const bad = await cli(['cache', 'verify', GPT2], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^model\.safetensors: wrong size/m);
    expect(bad.stderr).toMatch(/run again with --repair/);

    const repaired = await cli(['cache', 'verify', GPT2, '--repair'], env);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(fs.statSync(weights).size).toBe(size);
  });

  it('refuses bad input with one line and exit 2, before touching anything', async () => {
    for (const argv of [['cache'], ['cache', 'frob'], ['cache', 'rm'], ['cache', 'rm', 'a/b@..x'], ['cache', 'rm', 'a/b', '--dataset', '--space'], ['cache', 'verify', 'python/not-cached']]) {
      const r = await cli(argv, env);
      if (argv.length === 1) {
        expect(r.code).toBe(0); // bare `cache` shows the help
        expect(r.stdout).toContain('cache prune');
        continue;
      }
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mistudio: error: /);
    }
    expect(fs.readdirSync(path.join(foreignDir(), 'snapshots')).sort()).toEqual([C1, C2]);
  });
});
