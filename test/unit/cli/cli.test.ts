import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { cli, scratch } from './helpers';

const GPT2 = 'mistudio-demo/tiny-gpt2';
const TOKEN = 'hf_cli_test_token';

describe('mistudio CLI', () => {
  let hub: FakeHub;
  let home: ReturnType<typeof scratch>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    hub = await startFakeHub({ repos: demoRepos(), tokens: { [TOKEN]: { user: 'tester', canAccessGated: true } } });
  });
  afterAll(async () => hub.close());
  beforeEach(() => {
    home = scratch();
    env = { ...home.env, HF_ENDPOINT: hub.url };
  });
  afterEach(() => home.cleanup());

  it('download prints the snapshot folder, and transformers-style files are there', async () => {
    const r = await cli(['download', GPT2], env);
    expect(r.stderr).toContain(`${GPT2}@main`);
    expect(r.code).toBe(0);
    const snapshot = r.stdout.trim();
    const commit = hub.commitSha('model', GPT2, 'main');
    expect(snapshot).toBe(path.join(home.dir, 'hub', 'models--mistudio-demo--tiny-gpt2', 'snapshots', commit));
    const config = JSON.parse(fs.readFileSync(path.join(snapshot, 'config.json'), 'utf8')) as { model_type?: string };
    expect(config.model_type).toBeTruthy();
    expect(fs.lstatSync(path.join(snapshot, 'config.json')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(snapshot, 'tokenizer', 'vocab.txt'))).toBe(true);
  });

  it('list --json shows entries with repoId, kind, status, commit and sizeBytes', async () => {
    expect((await cli(['download', GPT2], env)).code).toBe(0);
    expect((await cli(['download', 'mistudio-demo/tiny-stories', '--dataset'], env)).code).toBe(0);
    const all = await cli(['list', '--json'], env);
    expect(all.code).toBe(0);
    const entries = JSON.parse(all.stdout) as Array<{ repoId: string; kind: string; status: string; commit: string; sizeBytes: number }>;
    expect(entries.map((e) => [e.repoId, e.kind, e.status])).toEqual([
      [GPT2, 'model', 'ready'],
      ['mistudio-demo/tiny-stories', 'dataset', 'ready'],
    ]);
    for (const e of entries) {
      expect(e.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(e.sizeBytes).toBeGreaterThan(0);
    }
    const datasets = JSON.parse((await cli(['list', '--datasets', '--json'], env)).stdout) as unknown[];
    expect(datasets).toHaveLength(1);
    const searched = JSON.parse((await cli(['list', '--search', 'GPT', '--json'], env)).stdout) as Array<{ repoId: string }>;
    expect(searched.map((e) => e.repoId)).toEqual([GPT2]);
    const text = await cli(['list'], env);
    expect(text.stdout).toMatch(/REPO ID\s+TYPE/);
    expect(text.stdout).toContain('ready');
  });

  it('include / exclude select files like hf download', async () => {
    const r = await cli(['download', GPT2, '--include', '*.json', '--exclude', 'tokenizer*'], env);
    expect(r.code).toBe(0);
    const files = fs.readdirSync(r.stdout.trim()).sort();
    expect(files).toContain('config.json');
    expect(files.every((f) => f.endsWith('.json'))).toBe(true);
    expect(files).not.toContain('tokenizer.json');
  });

  it('an include that matches nothing is refused before anything is recorded or fetched', async () => {
    const r = await cli(['download', GPT2, '--include', '*.gguf'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mistudio: error: No files in ${GPT2}@main match --include '*.gguf'\n`);
    expect(r.stdout).toBe('');
    expect(JSON.parse((await cli(['list', '--json'], env)).stdout)).toEqual([]);
    expect(fs.existsSync(path.join(home.dir, 'hub'))).toBe(false);
  });

  it('rm removes the entry and frees the cache', async () => {
    expect((await cli(['download', GPT2], env)).code).toBe(0);
    const repoDir = path.join(home.dir, 'hub', 'models--mistudio-demo--tiny-gpt2');
    expect(fs.existsSync(repoDir)).toBe(true);
    const r = await cli(['rm', GPT2], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/freed \d/);
    expect(fs.existsSync(repoDir)).toBe(false);
    expect(JSON.parse((await cli(['list', '--json'], env)).stdout)).toEqual([]);
  });

  it('scan reports repos, revisions and sizes like hf cache ls', async () => {
    expect((await cli(['download', GPT2], env)).code).toBe(0);
    const r = await cli(['scan', '--json'], env);
    expect(r.code).toBe(0);
    const scan = JSON.parse(r.stdout) as { repos: Array<{ repoId: string; sizeOnDisk: number; revisions: Array<{ commit: string; refs: string[] }> }> };
    expect(scan.repos).toHaveLength(1);
    expect(scan.repos[0]?.repoId).toBe(GPT2);
    expect(scan.repos[0]?.revisions[0]?.refs).toEqual(['main']);
    expect(scan.repos[0]?.sizeOnDisk).toBeGreaterThan(0);
    const text = await cli(['scan'], env);
    expect(text.stdout).toContain(GPT2);
    expect(text.stdout).toMatch(/1 repo, /);
  });

  it('gated repo: a clear one-line error without a token, success with one', async () => {
    const denied = await cli(['download', 'mistudio-demo/gated-model'], env);
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim().split('\n')).toHaveLength(2); // the plan line, then the error line
    expect(denied.stderr).toMatch(/mistudio: error: .*gated/i);
    expect(denied.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const allowed = await cli(['download', 'mistudio-demo/gated-model', '--token', TOKEN], env);
    expect(allowed.stderr).not.toContain('error');
    expect(allowed.code).toBe(0);
  });

  it('failures exit non-zero with one line on stderr and no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['download', 'mistudio-demo/does-not-exist'], /not found/i],
      [['download', GPT2, '--revision', 'no-such-branch'], /revision/i],
      [['download', '../etc/passwd'], /invalid repo id/i],
      [['download', GPT2, '--revision', '../../x'], /invalid revision/i],
      [['frobnicate'], /unknown command/],
      [['download'], /missing <repo_id>/],
      [['list', '--models', '--datasets'], /either --models or --datasets/],
      [['rm', GPT2], /not in the catalog/],
      [['download', GPT2, '--endpoint', 'not a url'], /endpoint/i],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv, env);
      expect(r.code, argv.join(' ')).not.toBe(0);
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('mistudio: error:'));
      expect(errorLines, argv.join(' ')).toHaveLength(1);
      expect(errorLines[0], argv.join(' ')).toMatch(message);
      expect(r.stderr, argv.join(' ')).not.toMatch(/\n\s+at /);
    }
    // Nothing landed in the cache for any of them.
    expect(fs.existsSync(path.join(home.dir, 'hub', 'models--mistudio-demo--tiny-gpt2', 'snapshots'))).toBe(false);
  });

  it('checksum mismatch fails the download and leaves no blob', async () => {
    hub.setFaults([{ match: { path: 'model.safetensors', server: 'cdn' }, kind: 'corrupt' }]);
    try {
      const r = await cli(['download', GPT2, '--include', 'model.safetensors'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/mistudio: error: .*checksum mismatch/i);
      const blobs = path.join(home.dir, 'hub', 'models--mistudio-demo--tiny-gpt2', 'blobs');
      const left = fs.existsSync(blobs) ? fs.readdirSync(blobs) : [];
      expect(left).toEqual([]);
    } finally {
      hub.setFaults([]);
    }
  });
});
