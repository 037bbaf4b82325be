import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CatalogEntry, EntryStatus } from '../../../src/core/catalog';
import type { ProgressSnapshot } from '../../../src/core/progress';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi, StudioOptions } from '../../../src/core/studioTypes';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeFile, type FakeHub, type FakeHubOptions, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';

export const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');

export type ExtraOptions = Partial<Omit<StudioOptions, 'catalogFile' | 'wasmPath' | 'cacheRoot' | 'endpoint'>>;

/** A fake hub, a temp folder holding the cache and the catalog file, and a Studio over them. */
export interface StudioEnv {
  readonly hub: FakeHub;
  readonly dir: string;
  readonly cacheRoot: string;
  readonly catalogFile: string;
  studio: StudioApi;
  /** Closes the current Studio (if still open) and opens a new one on the same catalog file and cache. */
  reopen(extra?: ExtraOptions): Promise<StudioApi>;
  dispose(): Promise<void>;
}

export async function startEnv(options: { hub?: FakeHubOptions; studio?: ExtraOptions } = {}): Promise<StudioEnv> {
  const hub = await startFakeHub({ repos: demoRepos(), ...options.hub });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'studio-test-'));
  const cacheRoot = path.join(dir, 'hub');
  const catalogFile = path.join(dir, 'catalog.sqlite');
  const open = (extra: ExtraOptions | undefined): Promise<StudioApi> =>
    openStudio({ catalogFile, wasmPath, cacheRoot, endpoint: hub.url, ...options.studio, ...extra });
  const opened: StudioApi[] = [];
  const env: StudioEnv = {
    hub,
    dir,
    cacheRoot,
    catalogFile,
    studio: await open(undefined),
    async reopen(extra) {
      await env.studio.close();
      env.studio = await open(extra);
      opened.push(env.studio);
      return env.studio;
    },
    async dispose() {
      for (const s of [env.studio, ...opened]) await s.close();
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  opened.push(env.studio);
  return env;
}

// ── Fake repos ─────────────────────────────────────────────────────────────────────────────────────────────────

/** A repo with one large LFS file (served by the CDN, so the bandwidth cap applies) and a small config. */
export function bigRepo(id: string, size: number, seed: number, kind: 'model' | 'dataset' = 'model'): FakeRepo {
  return {
    kind,
    id,
    commits: [
      {
        files: [
          { path: 'config.json', content: `{"model_type": "big", "seed": ${seed}}\n` },
          { path: kind === 'model' ? 'weights.bin' : 'data/train-00000-of-00001.parquet', content: seededBytes(size, seed), lfs: true },
        ],
      },
    ],
  };
}

export function fileOf(repo: FakeRepo, filePath: string, commitIndex = repo.commits.length - 1): Buffer {
  const file = repo.commits[commitIndex]?.files.find((f) => f.path === filePath);
  if (!file) throw new Error(`test: no ${filePath} in ${repo.id}`);
  return contentOf(file);
}

export function contentOf(file: FakeFile): Buffer {
  return typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
}

export function demoRepo(id: string): FakeRepo {
  const repo = demoRepos().find((r) => r.id === id);
  if (!repo) throw new Error(`test: no demo repo ${id}`);
  return repo;
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function gitSha1Hex(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** What the cache must name a file's blob: the LFS sha256, else the git blob sha1 (as huggingface_hub does). */
export function expectedBlobId(file: FakeFile): string {
  const content = contentOf(file);
  const lfs = file.lfs ?? (/\.(safetensors|bin|parquet|pt)$/i.test(file.path) || content.length > 10 * 1024);
  return lfs ? sha256Hex(content) : gitSha1Hex(content);
}

export function repoFolder(cacheRoot: string, kind: 'model' | 'dataset', repoId: string): string {
  return path.join(cacheRoot, `${kind}s--${repoId.replaceAll('/', '--')}`);
}

/** Every file path under `dir` (relative, "/"-separated), symlinks included as files; [] when absent. */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const d of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? d.name : `${sub}/${d.name}`;
      if (d.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

// ── Waiting on the engine ──────────────────────────────────────────────────────────────────────────────────────

/** Resolves on the first progress event of the entry that satisfies `predicate`. */
export function waitForProgress(studio: StudioApi, entryId: string, predicate: (p: ProgressSnapshot) => boolean): Promise<ProgressSnapshot> {
  return new Promise((resolve) => {
    const sub = studio.onDidProgress((e) => {
      if (e.entryId === entryId && predicate(e.progress)) {
        sub.dispose();
        resolve(e.progress);
      }
    });
  });
}

/** Resolves once the entry has the status (checked at once and on every catalog change). */
export function waitForStatus(studio: StudioApi, entryId: string, status: EntryStatus): Promise<CatalogEntry> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const entry = studio.catalog.getEntry(entryId);
      if (entry?.status !== status) return false;
      resolve(entry);
      return true;
    };
    if (check()) return;
    const sub = studio.onDidChangeEntry((c) => {
      if (c.entryId === entryId && check()) sub.dispose();
    });
  });
}

/** Bytes of CDN responses for paths ending in `fileName` (the throttled LFS bodies). */
export function cdnBytes(hub: FakeHub, fileName: string): number {
  return hub.bytesSent({ server: 'cdn', path: fileName });
}
