import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import { readRangeJournal } from '../../../src/core/transfer/rangeJournal';
import { buildChildBundle } from '../support/bundle';
import { scratch, wasmPath } from './helpers';

const GPT2 = 'mistudio-demo/tiny-gpt2';

/** The real CLI bundle, as `npm run build` makes it, so the process can be killed for real. */
async function buildCli(): Promise<string> {
  const bundle = await buildChildBundle('src/core/cli.ts', 'cli.js');
  bundles.push(bundle);
  fs.copyFileSync(wasmPath, path.join(bundle.dir, 'sql-wasm.wasm'));
  return bundle.file;
}
const bundles: Array<{ cleanup: () => void }> = [];
afterAll(() => {
  for (const b of bundles) b.cleanup();
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Async on purpose: the fake hub lives in this process, so a blocking spawnSync would starve it. */
function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function incompleteBytes(repoDir: string): number {
  const blobs = path.join(repoDir, 'blobs');
  if (!fs.existsSync(blobs)) return 0;
  return fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete')).reduce((s, f) => s + fs.statSync(path.join(blobs, f)).size, 0);
}

describe('mistudio CLI killed with SIGKILL mid-download', () => {
  let hub: FakeHub;
  let home: ReturnType<typeof scratch>;
  let cliJs: string;

  beforeAll(async () => {
    // Slow enough that the kill lands mid-file, fast enough for a unit test.
    hub = await startFakeHub({ repos: demoRepos(), cdnBytesPerSecondPerConnection: 64 * 1024 });
    home = scratch();
    cliJs = await buildCli();
  });
  afterAll(async () => {
    await hub.close();
    home.cleanup();
  });

  it('resumes on the next run without re-sending kept bytes and ends verified', async () => {
    const env = { ...process.env, ...home.env, HF_ENDPOINT: hub.url, HF_TOKEN: '' };
    const repoDir = path.join(home.dir, 'hub', 'models--mistudio-demo--tiny-gpt2');
    const args = [cliJs, 'download', GPT2, '--include', 'model.safetensors'];
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    // Kill once a checkpoint has certainly been written (checkpoints come about once a second).
    await waitFor(() => incompleteBytes(repoDir) > 100 * 1024, 'a partial of 100 KB');
    await new Promise((r) => setTimeout(r, 1_300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const kept = incompleteBytes(repoDir);
    expect(kept).toBeGreaterThan(0);

    hub.resetStats();
    const second = await runNode(args, env);
    expect(second.stderr).not.toContain('error');
    expect(second.status).toBe(0);
    const snapshot = second.stdout.trim();
    const file = fs.readFileSync(path.join(snapshot, 'model.safetensors'));
    const size = file.length;
    // The second run fetched at most what was missing (plus what the last second before the kill had not checkpointed).
    const resent = hub.bytesSent({ path: 'model.safetensors', server: 'cdn' });
    expect(resent).toBeLessThan(size);
    expect(resent).toBeLessThanOrEqual(size - kept + 2 * 64 * 1024);
    expect(incompleteBytes(repoDir)).toBe(0);
    const list = JSON.parse((await runNode([cliJs, 'list', '--json'], env)).stdout) as Array<{ status: string }>;
    expect(list.map((e) => e.status)).toEqual(['ready']);
  });
});

describe('mistudio CLI killed with SIGKILL right after bytes landed', () => {
  const MiB = 1024 * 1024;
  const SIZE = 12 * MiB;
  const STALL_AT = 10 * MiB;
  /** What a resume may re-send at most: the bytes in flight (2 MiB of socket and queue) plus one write batch. */
  const BOUND = 2 * MiB + 2 * MiB;
  const content = seededBytes(SIZE, 91);
  const repo: FakeRepo = { kind: 'model', id: 'kill/big', commits: [{ files: [{ path: 'weights.bin', content }] }] };
  let hub: FakeHub;
  let home: ReturnType<typeof scratch>;
  let cliJs: string;

  beforeAll(async () => {
    hub = await startFakeHub({ repos: [repo] });
    home = scratch();
    cliJs = await buildCli();
  });
  afterAll(async () => {
    await hub.close();
    home.cleanup();
  });

  it('resumes from the range journal, re-sending at most what was in flight', async () => {
    const env = { ...process.env, ...home.env, HF_ENDPOINT: hub.url, HF_TOKEN: '' };
    const blobs = path.join(home.dir, 'hub', 'models--kill--big', 'blobs');
    const blobId = createHash('sha256').update(content).digest('hex');
    const journal = path.join(blobs, `${blobId}.mistudio.incomplete.ranges`);
    // A known point: the CDN sends 10 MiB at full speed, then holds the connection. Once the journal records all
    // of it, the process is killed — the catalog's last checkpoint may be a second older, the journal is not.
    hub.setFaults([{ kind: 'stall', afterBytes: STALL_AT, ms: 120_000, times: 1, match: { server: 'cdn' } }]);
    const args = [cliJs, 'download', repo.id];
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const partial = path.join(blobs, `${blobId}.mistudio.incomplete`);
    await waitFor(() => (fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0) >= STALL_AT, 'the first 10 MiB to land');
    // The journal's append follows each write; give it up to a few seconds. During the stall nothing lands, so
    // nothing else (the catalog) learns about these bytes meanwhile: without the journal, they would all be re-sent.
    const recorded = async (): Promise<number> => (await readRangeJournal(journal, SIZE)).reduce((s, [a, b]) => s + (b - a), 0);
    for (let i = 0; i < 250 && (await recorded()) < STALL_AT; i++) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const sentBeforeKill = hub.bytesSent({ path: 'weights.bin', server: 'cdn' });
    expect(sentBeforeKill).toBe(STALL_AT);

    hub.setFaults([]);
    hub.resetStats();
    const second = await runNode(args, env);
    expect(second.stderr).not.toContain('error');
    expect(second.status).toBe(0);
    expect(fs.readFileSync(path.join(second.stdout.trim(), 'weights.bin')).equals(content)).toBe(true);
    const resent = sentBeforeKill + hub.bytesSent({ path: 'weights.bin', server: 'cdn' }) - SIZE;
    expect(resent).toBeLessThanOrEqual(BOUND);
    expect(fs.readdirSync(blobs).filter((n) => n.includes('.incomplete'))).toEqual([]);
  });
});
