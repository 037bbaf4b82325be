import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChildBundle } from '../support/bundle';
import { runCli } from '../../../src/core/cli/run';
import type { FakeFile, FakeHub, FakeRepo } from '../../fake-hub/index';

export const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// ── Seeded randomness ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * The seed of a randomised suite: MISTUDIO_ROBUSTNESS_SEED replays a failure, otherwise a fresh one per run.
 * Printed so a failing run can be replayed exactly.
 */
export function suiteSeed(suite: string): number {
  const fromEnv = Number(process.env.MISTUDIO_ROBUSTNESS_SEED);
  const seed = Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : (Date.now() ^ (process.pid << 8)) >>> 0 || 1;
  console.log(`[robustness] ${suite}: seed ${seed} (replay with MISTUDIO_ROBUSTNESS_SEED=${seed})`);
  return seed;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

// ── Scratch folders ────────────────────────────────────────────────────────────────────────────────────────────

export interface Scratch {
  readonly dir: string;
  readonly cacheRoot: string;
  readonly catalogFile: string;
  /** Environment for the CLI: cache, HF home and catalog all inside `dir`. */
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function scratch(prefix: string): Scratch {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mistudio-robust-${prefix}-`));
  const cacheRoot = path.join(dir, 'hub');
  const catalogFile = path.join(dir, 'catalog.sqlite');
  return {
    dir,
    cacheRoot,
    catalogFile,
    env: { HF_HUB_CACHE: cacheRoot, HF_HOME: path.join(dir, 'hf-home'), MISTUDIO_CATALOG: catalogFile, HF_TOKEN: '' },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every path under `dir` (relative, "/"-separated) with a fingerprint (kind, size, link target), for before/after diffs. */
export function treeSnapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (sub: string): void => {
    for (const d of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? d.name : `${sub}/${d.name}`;
      const full = path.join(dir, rel);
      if (d.isSymbolicLink()) out.set(rel, `link:${fs.readlinkSync(full)}`);
      else if (d.isDirectory()) {
        out.set(rel, 'dir');
        walk(rel);
      } else out.set(rel, `file:${fs.statSync(full).size}`);
    }
  };
  walk('');
  return out;
}

/** Paths added or changed between two snapshots. */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p).sort();
}

// ── Content checks ─────────────────────────────────────────────────────────────────────────────────────────────

export function contentOf(file: FakeFile): Buffer {
  return typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function gitSha1Hex(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function repoFolder(cacheRoot: string, kind: 'model' | 'dataset', repoId: string): string {
  return path.join(cacheRoot, `${kind}s--${repoId.replaceAll('/', '--')}`);
}

export function filesOf(repo: FakeRepo): FakeFile[] {
  const commit = repo.commits.at(-1);
  if (!commit) throw new Error(`test: ${repo.id} has no commit`);
  return commit.files;
}

/** LFS as the fake hub decides it (explicit flag, LFS extension, or larger than 10 KiB). */
export function isLfs(file: FakeFile): boolean {
  return file.lfs ?? (/\.(safetensors|bin|parquet|pt)$/i.test(file.path) || contentOf(file).length > 10 * 1024);
}

export function blobIdOf(file: FakeFile): string {
  const content = contentOf(file);
  return isLfs(file) ? sha256Hex(content) : gitSha1Hex(content);
}

/**
 * Reads every file of the repo's latest commit through its snapshot folder and compares bytes and sha256 with
 * what the fake hub serves. Returns the bytes verified; throws naming the first file that is wrong.
 */
export function verifySnapshot(hub: FakeHub, cacheRoot: string, repo: FakeRepo): number {
  const commit = hub.commitSha(repo.kind, repo.id, 'main');
  const snapshot = path.join(repoFolder(cacheRoot, repo.kind, repo.id), 'snapshots', commit);
  let bytes = 0;
  for (const file of filesOf(repo)) {
    const expected = contentOf(file);
    const onDisk = path.join(snapshot, ...file.path.split('/'));
    if (!fs.existsSync(onDisk)) throw new Error(`${repo.id}: ${file.path} is missing from the snapshot`);
    const actual = fs.readFileSync(onDisk);
    if (sha256Hex(actual) !== sha256Hex(expected) || !actual.equals(expected)) throw new Error(`${repo.id}: ${file.path} differs from the hub's bytes`);
    bytes += actual.length;
  }
  return bytes;
}

export interface CacheAudit {
  /** Everything that would be visible and wrong: a blob whose bytes do not match its name, a link to nothing, … */
  readonly problems: string[];
  /** `<repo folder>/blobs/<id>.incomplete` → size. */
  readonly partials: Map<string, number>;
  /** Bytes of complete blobs whose content was hashed and matched. */
  readonly verifiedBytes: number;
}

/**
 * Checks the invariant that nothing half-written is ever visible in the cache: every complete blob hashes to its
 * name (sha256 or git sha1), every snapshot entry is a link to an existing complete blob of the same repo (never to a
 * partial), and every ref names a commit whose snapshot folder exists.
 */
export function auditCache(cacheRoot: string): CacheAudit {
  const problems: string[] = [];
  const partials = new Map<string, number>();
  let verifiedBytes = 0;
  if (!fs.existsSync(cacheRoot)) return { problems, partials, verifiedBytes };
  for (const repoName of fs.readdirSync(cacheRoot)) {
    if (!/^(models|datasets)--/.test(repoName)) continue;
    const repoDir = path.join(fs.realpathSync(cacheRoot), repoName);
    const blobsDir = path.join(repoDir, 'blobs');
    const blobs = fs.existsSync(blobsDir) ? fs.readdirSync(blobsDir) : [];
    for (const name of blobs) {
      const full = path.join(blobsDir, name);
      if (name.endsWith('.incomplete.ranges')) {
        // The transfer's journal of landed ranges: it lives and dies with its partial.
        if (!blobs.includes(name.slice(0, -'.ranges'.length))) problems.push(`${repoName}/blobs/${name}: a range journal without its partial`);
        continue;
      }
      if (name.endsWith('.incomplete')) {
        partials.set(`${repoName}/blobs/${name}`, fs.statSync(full).size);
        continue;
      }
      const content = fs.readFileSync(full);
      const ok = /^[0-9a-f]{64}$/.test(name) ? sha256Hex(content) === name : /^[0-9a-f]{40}$/.test(name) ? gitSha1Hex(content) === name : false;
      if (ok) verifiedBytes += content.length;
      else problems.push(`${repoName}/blobs/${name}: content does not match its name`);
    }
    const snapshotsDir = path.join(repoDir, 'snapshots');
    const walk = (dir: string, rel: string): void => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, d.name);
        const where = `${repoName}/snapshots/${rel}${d.name}`;
        if (d.isDirectory()) walk(full, `${rel}${d.name}/`);
        else if (d.isSymbolicLink()) {
          const target = path.resolve(path.dirname(full), fs.readlinkSync(full));
          if (path.dirname(target) !== blobsDir) problems.push(`${where}: links outside the repo's blobs (${target})`);
          else if (target.endsWith('.incomplete')) problems.push(`${where}: links to a partial`);
          else if (!fs.existsSync(target)) problems.push(`${where}: links to a missing blob`);
        } else problems.push(`${where}: a plain file where a link was expected`);
      }
    };
    if (fs.existsSync(snapshotsDir)) walk(snapshotsDir, '');
    const refsDir = path.join(repoDir, 'refs');
    const walkRefs = (dir: string, rel: string): void => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, d.name);
        if (d.isDirectory()) {
          walkRefs(full, `${rel}${d.name}/`);
          continue;
        }
        if (d.name.includes('.tmp')) continue;
        const commit = fs.readFileSync(full, 'utf8').trim();
        if (!/^[0-9a-f]{40}$/.test(commit)) problems.push(`${repoName}/refs/${rel}${d.name}: not a commit (${JSON.stringify(commit.slice(0, 60))})`);
        else if (!fs.existsSync(path.join(snapshotsDir, commit))) problems.push(`${repoName}/refs/${rel}${d.name}: names a commit with no snapshot`);
      }
    };
    if (fs.existsSync(refsDir)) walkRefs(refsDir, '');
  }
  return { problems, partials, verifiedBytes };
}

// ── The CLI ────────────────────────────────────────────────────────────────────────────────────────────────────

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI in this process (the fake hub lives here too). */
export async function cliInProcess(argv: readonly string[], env: NodeJS.ProcessEnv, homedir: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    homedir,
    wasmPath,
  });
  return { code, stdout, stderr };
}

/** The real CLI bundle, as `npm run build` makes it, so a process can be killed for real. Remove with `cleanup`. */
export async function buildCliBundle(): Promise<{ file: string; cleanup: () => void }> {
  const bundle = await buildChildBundle(path.join(repoRoot, 'src/core/cli.ts'), 'cli.js');
  fs.copyFileSync(wasmPath, path.join(bundle.dir, 'sql-wasm.wasm'));
  return bundle;
}

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs` (a deadline, never a timing assertion). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A node process started by a test: killable, and its output readable while it runs. */
export interface StartedNode {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its output is closed. */
  readonly result: Promise<ChildRun>;
  readonly exited: () => boolean;
  readonly output: () => { readonly stdout: string; readonly stderr: string };
}

/** Async on purpose: the fake hub lives in this process, so a blocking spawnSync would starve it. */
export function startNode(args: readonly string[], env: NodeJS.ProcessEnv): StartedNode {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<ChildRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result, exited: () => exited, output: () => ({ stdout, stderr }) };
}

export function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  return startNode(args, env).result;
}

/** Lines of stderr that are CLI errors; the CLI promises at most one, and never a stack trace. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('mistudio: error:'));
}

export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+[(:]\d+/.test(text) || /^\s+at /m.test(text);
}
