import { copyCatalog } from '../support/catalogCopy';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogEntry } from '../../../src/core/catalog';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { buildSafetensors, seededBytes } from '../../fake-hub/safetensors';
import {
  auditCache,
  blobIdOf,
  buildCliBundle,
  contentOf,
  filesOf,
  isLfs,
  repoFolder,
  Rng,
  runNode,
  scratch,
  suiteSeed,
  verifySnapshot,
  wasmPath,
  type ChildRun,
  type Scratch,
} from './helpers';
import { createTally, writeTally } from './summary';

const KILLS = 20;
/** Slow enough that a second of transfer (one checkpoint) is a fraction of a file, fast enough for ~60 s in all. */
const CDN_BYTES_PER_SECOND = 160 * 1024;

const repos: FakeRepo[] = [
  {
    kind: 'model',
    id: 'crash/alpha',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"model_type": "gpt2", "n_layer": 2}\n' },
          { path: 'nested/dir/notes with space.txt', content: seededBytes(6 * 1024, 11).toString('base64'), lfs: false },
          { path: 'model-00001-of-00002.safetensors', content: buildSafetensors([{ name: 'a.weight', dtype: 'F32', shape: [256, 680] }], {}, 12) },
          { path: 'model-00002-of-00002.safetensors', content: buildSafetensors([{ name: 'b.weight', dtype: 'BF16', shape: [256, 1000] }], {}, 13) },
          { path: 'tokenizer.json', content: seededBytes(180 * 1024, 14), lfs: true },
        ],
      },
    ],
  },
  {
    kind: 'dataset',
    id: 'crash/beta-data',
    commits: [
      {
        files: [
          { path: 'README.md', content: '# beta\n\nA dataset for the crash suite.\n' },
          { path: 'data/train-00000-of-00002.parquet', content: seededBytes(600 * 1024, 21) },
          { path: 'data/train-00001-of-00002.parquet', content: seededBytes(560 * 1024, 22) },
          { path: 'data/test-00000-of-00001.parquet', content: seededBytes(150 * 1024, 23) },
        ],
      },
    ],
  },
  {
    kind: 'model',
    id: 'crash/gamma',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"model_type": "llama"}\n' },
          { path: 'weights.bin', content: seededBytes(900 * 1024, 31) },
          // The same blob under a second path: fetched once, linked twice.
          { path: 'copy/weights.bin', content: seededBytes(900 * 1024, 31) },
          { path: 'ünïcode-名前.txt', content: 'hello\n', lfs: false },
        ],
      },
    ],
  },
  {
    kind: 'dataset',
    id: 'crash/delta',
    commits: [
      {
        files: [
          { path: 'README.md', content: '# delta\n' },
          { path: 'data/all.parquet', content: seededBytes(800 * 1024, 41) },
        ],
      },
    ],
  },
];

/** 'mid-late' waits long enough for a checkpoint to reach the catalog first, so the next run has bytes to resume. */
type Phase = 'plan' | 'mid' | 'mid-late' | 'complete';

/** Observed state after a kill: what the process was doing when it died. */
type Landed = 'planning' | 'mid-file' | 'completion' | 'rerun of a ready repo';

const keyOf = (e: { kind: string; repoId: string; revision: string }): string => `${e.kind}:${e.repoId}@${e.revision}`;

describe('kill -9 of the real CLI at random points over multi-file repos', () => {
  const seed = suiteSeed('killCli');
  const rng = new Rng(seed);
  const tally = createTally();
  let hub: FakeHub;
  let home: Scratch;
  let cliJs: string;
  let removeBundle: () => void = () => undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    hub = await startFakeHub({ repos, cdnBytesPerSecondPerConnection: CDN_BYTES_PER_SECOND });
    home = scratch('kill');
    const bundle = await buildCliBundle();
    removeBundle = bundle.cleanup;
    cliJs = bundle.file;
    env = { ...process.env, ...home.env, HF_ENDPOINT: hub.url };
    delete env.MISTUDIO_DEBUG;
  });
  afterAll(async () => {
    await writeTally('killCli', tally);
    await hub?.close();
    home?.cleanup();
    removeBundle();
  });

  function downloadArgs(repo: FakeRepo): string[] {
    return [cliJs, 'download', repo.id, ...(repo.kind === 'dataset' ? ['--dataset'] : [])];
  }

  /** Reads a copy of the catalog file, as the next process would find it. */
  async function catalogOnDisk(): Promise<{ entries: CatalogEntry[]; kept: Map<string, number>; warnings: string[] }> {
    const copy = path.join(home.dir, 'catalog-copy.sqlite');
    for (const suffix of ['', '.log', '.log.prev']) fs.rmSync(`${copy}${suffix}`, { force: true });
    // The killed process holds no lock any more, so a busy lock here would be a bug.
    if (fs.existsSync(home.catalogFile)) expect(copyCatalog(home.catalogFile, copy)).toBe(true);
    const warnings: string[] = [];
    const catalog = await openCatalog({ file: copy, wasmPath, onWarning: (w) => warnings.push(w) });
    try {
      const entries = catalog.listEntries();
      const kept = new Map<string, number>();
      for (const e of entries) {
        for (const f of catalog.getFiles(e.id)) if (f.state === 'partial') kept.set(`${keyOf(e)}#${f.blobId}`, f.bytesDone);
      }
      return { entries, kept, warnings };
    } finally {
      await catalog.close();
      fs.rmSync(copy, { force: true });
    }
  }

  /**
   * The most CDN bytes a resumed run may fetch for the repo: every LFS blob not yet complete in the cache, minus
   * what the catalog on disk records as kept in its partial (trusted only when the partial really holds that much).
   */
  function resumeBound(repo: FakeRepo, kept: Map<string, number>): { bound: number; ranges: Array<{ file: string; from: number }> } {
    const folder = repoFolder(home.cacheRoot, repo.kind, repo.id);
    const seen = new Set<string>();
    let bound = 0;
    const ranges: Array<{ file: string; from: number }> = [];
    for (const file of filesOf(repo)) {
      if (!isLfs(file)) continue;
      const blobId = blobIdOf(file);
      if (seen.has(blobId)) continue;
      seen.add(blobId);
      if (fs.existsSync(path.join(folder, 'blobs', blobId))) continue;
      const size = contentOf(file).length;
      const partial = fs.statSync(path.join(folder, 'blobs', `${blobId}.mistudio.incomplete`), { throwIfNoEntry: false })?.size ?? 0;
      const claimed = kept.get(`${repo.kind}:${repo.id}@main#${blobId}`) ?? 0;
      const trusted = claimed > 0 && partial >= claimed ? claimed : 0;
      if (trusted > 0) ranges.push({ file: file.path, from: trusted });
      bound += size - trusted;
    }
    return { bound, ranges };
  }

  async function until(condition: () => boolean, exited: () => boolean, pollMs: number): Promise<boolean> {
    while (!condition()) {
      if (exited()) return false;
      await sleep(pollMs);
    }
    return true;
  }

  /** Starts one download; kills it with SIGKILL at the phase's trigger unless it finishes first. */
  async function attempt(repo: FakeRepo, phase: Phase): Promise<ChildRun & { killed: boolean }> {
    hub.resetStats();
    const stalledApi = rng.chance(0.5) ? /\/api\/(models|datasets)\/.+\/revision\// : /\/api\/(models|datasets)\/.+\/tree\//;
    // Planning: hold the revision or tree answer so the kill lands while the process is still asking the Hub.
    hub.setFaults(phase === 'plan' ? [{ kind: 'stall', afterBytes: 1, ms: 15_000, match: { server: 'hub', path: stalledApi }, times: 1 }] : []);
    const child = spawn(process.execPath, downloadArgs(repo), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => {
        exited = true;
        resolve({ code, signal });
      }),
    );
    const folder = repoFolder(home.cacheRoot, repo.kind, repo.id);
    const blobIds = [...new Set(filesOf(repo).map(blobIdOf))];
    let fire = false;
    if (phase === 'plan') {
      fire = await until(() => hub.requests.some((r) => r.server === 'hub' && stalledApi.test(r.url)), () => exited, 5);
      if (fire) await sleep(rng.int(0, 120));
    } else if (phase === 'mid' || phase === 'mid-late') {
      fire = await until(() => hub.bytesSent({ server: 'cdn' }) > 0, () => exited, 5);
      if (fire) await sleep(phase === 'mid' ? rng.int(50, 2_200) : rng.int(1_600, 2_400));
    } else {
      // Right at completion: the last blob has just been renamed into place; links, ref and catalog are next. The
      // rename is caught by inotify and the kill sent from its handler, so it lands inside that short window.
      const allPlaced = (): boolean => blobIds.every((id) => fs.existsSync(path.join(folder, 'blobs', id)));
      const blobsDir = path.join(folder, 'blobs');
      await until(() => fs.existsSync(blobsDir), () => exited, 5);
      if (!exited) {
        const watcher = fs.watch(blobsDir, () => {
          if (!exited && allPlaced()) child.kill('SIGKILL');
        });
        fire = await until(allPlaced, () => exited, 2);
        watcher.close();
      }
    }
    if (!exited) child.kill('SIGKILL');
    const { code, signal } = await exit;
    hub.setFaults([]);
    return { code, signal, stdout, stderr, killed: signal === 'SIGKILL' };
  }

  /** Kept partials this run continued with a Range request from where the checkpoint ended. */
  /** Resumes that asked for the rest of a kept partial: from the catalog's kept bytes, or further on (the range journal). */
  function countResumes(ranges: ReadonlyArray<{ file: string; from: number }>): number {
    const rangeStart = (header: unknown): number => Number(/^bytes=(\d+)-/.exec(String(header ?? ''))?.[1] ?? -1);
    return ranges.filter((r) =>
      hub.requests.some((q) => q.server === 'cdn' && q.url.split('?')[0]!.endsWith(`/${r.file}`) && rangeStart(q.headers.range) >= r.from),
    ).length;
  }

  function classify(repo: FakeRepo, cdnBytes: number, wasReady: boolean): Landed {
    if (wasReady) return 'rerun of a ready repo';
    const folder = repoFolder(home.cacheRoot, repo.kind, repo.id);
    const blobs = fs.existsSync(path.join(folder, 'blobs')) ? fs.readdirSync(path.join(folder, 'blobs')) : [];
    const complete = [...new Set(filesOf(repo).map(blobIdOf))].every((id) => blobs.includes(id));
    if (complete) return 'completion';
    return cdnBytes === 0 ? 'planning' : 'mid-file';
  }

  it(`${KILLS} SIGKILLs: every run resumes, every file ends verified, no entry is lost or duplicated`, { timeout: 180_000 }, async () => {
    const where = `(seed ${seed})`;
    // Per repo, in a seeded order: a kill while planning, one after a checkpoint, a few more anywhere before the end,
    // then one right at completion.
    const schedule = new Map<FakeRepo, Phase[]>(
      repos.map((repo) => {
        const extra = Array.from({ length: rng.int(2, 3) }, (): Phase => (rng.chance(0.3) ? 'plan' : 'mid'));
        return [repo, [...rng.shuffle<Phase>(['plan', 'mid-late', ...extra]), 'complete']];
      }),
    );
    const landed: Record<Landed, number> = { planning: 0, 'mid-file': 0, completion: 0, 'rerun of a ready repo': 0 };
    const everSeen = new Map<string, CatalogEntry['status']>();
    let resumesObserved = 0;
    let completionMisses = 0;
    let kills = 0;
    let cursor = 0;
    let attempts = 0;

    while (kills < KILLS) {
      attempts += 1;
      expect(attempts, `too many attempts without ${KILLS} kills ${where}`).toBeLessThan(KILLS * 3);
      const repo = repos[cursor % repos.length]!;
      const phases = schedule.get(repo)!;
      const phase: Phase = phases.shift() ?? (rng.chance(0.5) ? 'plan' : 'mid');
      if (phases.length === 0 && phase === 'complete') cursor += 1;

      const before = await catalogOnDisk();
      const { bound, ranges } = resumeBound(repo, before.kept);
      const run = await attempt(repo, phase);
      const cdnBytes = hub.bytesSent({ server: 'cdn' });
      const label = `attempt ${attempts} (${phase}) on ${repo.id} ${where}`;

      // Resume: nothing the catalog recorded as kept is fetched again, whether or not this run was killed.
      expect(cdnBytes, `${label}: CDN bytes`).toBeLessThanOrEqual(bound);
      resumesObserved += countResumes(ranges);

      if (run.killed) {
        kills += 1;
        tally.kills += 1;
        tally.faultsInjected += 1;
        const wasReady = before.entries.some((e) => keyOf(e) === `${repo.kind}:${repo.id}@main` && e.status === 'ready');
        landed[classify(repo, cdnBytes, wasReady)] += 1;
      } else {
        // It finished before the trigger: a clean exit with the snapshot path, and the repo moves on.
        expect(run.stderr, label).not.toMatch(/error/i);
        expect(run.code, label).toBe(0);
        expect(run.stdout.trim(), label).toContain(repoFolder(home.cacheRoot, repo.kind, repo.id));
        if (phase === 'complete') completionMisses += 1;
        else {
          // Done before its kill: its remaining kills would only rerun a ready repo.
          phases.length = 0;
          cursor += 1;
        }
      }
      tally.scenarios += 1;

      // The catalog opens, holds at most one entry per repo, and keeps every entry it ever showed.
      const after = await catalogOnDisk();
      expect(after.warnings.filter((w) => !/unfinished catalog save/.test(w)), label).toEqual([]);
      const keys = after.entries.map(keyOf);
      const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
      const lost = [...everSeen.keys()].filter((k) => !keys.includes(k));
      const unready = [...everSeen].filter(([k, s]) => s === 'ready' && after.entries.find((e) => keyOf(e) === k)?.status !== 'ready').map(([k]) => k);
      tally.entriesLost += duplicates.length + lost.length + unready.length;
      expect(duplicates, `${label}: duplicated entries`).toEqual([]);
      expect(lost, `${label}: lost entries`).toEqual([]);
      expect(unready, `${label}: ready entries that stopped being ready`).toEqual([]);
      for (const e of after.entries) everSeen.set(keyOf(e), e.status);

      // Nothing half-written is visible, and the catalog never claims more than a partial holds.
      const audit = auditCache(home.cacheRoot);
      expect(audit.problems, label).toEqual([]);
      for (const [key, bytes] of after.kept) {
        const [entryKey, blobId] = key.split('#') as [string, string];
        const entry = after.entries.find((e) => keyOf(e) === entryKey)!;
        const partial = path.join(repoFolder(home.cacheRoot, entry.kind, entry.repoId), 'blobs', `${blobId}.mistudio.incomplete`);
        const complete = path.join(repoFolder(home.cacheRoot, entry.kind, entry.repoId), 'blobs', blobId);
        if (!fs.existsSync(complete)) expect(fs.statSync(partial).size, `${label}: partial of ${blobId}`).toBeGreaterThanOrEqual(bytes);
      }
    }

    // Finish every repo with one clean run each: resumes, ends verified, leaves no partial.
    for (const repo of repos) {
      const { bound, ranges } = resumeBound(repo, (await catalogOnDisk()).kept);
      hub.resetStats();
      const run = await runNode(downloadArgs(repo), env);
      resumesObserved += countResumes(ranges);
      expect(run.stderr, `${repo.id} ${where}`).not.toMatch(/error/i);
      expect(run.code, `${repo.id} ${where}`).toBe(0);
      expect(hub.bytesSent({ server: 'cdn' }), `${repo.id}: final run CDN bytes ${where}`).toBeLessThanOrEqual(bound);
      tally.bytesVerified += verifySnapshot(hub, home.cacheRoot, repo);
    }
    const list = await runNode([cliJs, 'list', '--json'], env);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as Array<{ repoId: string; kind: string; status: string }>;
    expect(listed.map((e) => `${e.kind}:${e.repoId}:${e.status}`).sort()).toEqual(repos.map((r) => `${r.kind}:${r.id}:ready`).sort());
    const audit = auditCache(home.cacheRoot);
    expect(audit.problems).toEqual([]);
    expect([...audit.partials.keys()], `partials left ${where}`).toEqual([]);

    console.log(`[robustness] killCli: ${kills} kills in ${attempts} attempts, landed ${JSON.stringify(landed)}, ${completionMisses} completion kills too late, ${resumesObserved} Range resumes ${where}`);
    expect(kills).toBe(KILLS);
    expect(landed.planning, `kills while planning ${where}`).toBeGreaterThan(0);
    expect(landed['mid-file'], `kills mid-file ${where}`).toBeGreaterThan(0);
    expect(landed.completion, `kills at completion ${where}`).toBeGreaterThan(0);
    expect(resumesObserved, `runs that resumed a kept partial with Range ${where}`).toBeGreaterThan(0);
    expect(tally.entriesLost).toBe(0);
  });
});
