/**
 * The cache-scan benchmark's two halves, run in worker processes: build a synthetic huggingface_hub-layout cache
 * (each builder process a range of its repos); scan it with ours (`scanCache`, `readCacheInventory`) or with
 * `@huggingface/hub`'s `scanCacheDir`, timing the whole scan, the first screen and the event loop's delays.
 *
 * Everything about a repo (name, kind, commits, file paths, blob ids and sizes) is derived from its index, so the
 * builders need no shared state and the measuring worker can set up its catalog without reading the disk.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { readCacheInventory } from '../../src/core/cacheInventory';
import { HfCache, Holders, LAYOUT, catalogKeyOf, entryKeyOf, scanCache, type HolderRecord } from '../../src/core/cache';
import { openCatalog, type Catalog } from '../../src/core/catalog';
import type { RepoKind } from '../../src/core/repo';
import { seededRandom } from '../content';

/** The cache's shape: how many repos, and how many snapshot entries (links and files) they hold on average. */
export interface CachePlan {
  readonly repos: number;
  readonly linksPerRepo: number;
}

export interface CacheBuildArgs {
  readonly root: string;
  readonly plan: CachePlan;
  /** This builder's repos: [fromRepo, toRepo). Cross-repo hard links pair repos 10k+0 and 10k+1, so split on tens. */
  readonly fromRepo: number;
  readonly toRepo: number;
  /** An existing file standing for another workspace's catalog, named by the holder records. */
  readonly otherCatalog: string;
}

/** What the builder made, to check each scan against (as `scanCache` counts it) and to describe the cache. */
export interface CacheTally {
  readonly repos: number;
  readonly revisions: number;
  /** Snapshot entries: symlinks plus the few hard-linked real files. */
  readonly snapshotEntries: number;
  /** Snapshot entries directly in a revision folder (`scanCacheDir` does not descend into subfolders). */
  readonly topLevelEntries: number;
  readonly nestedEntries: number;
  readonly blobs: number;
  /** Sum over repos of their distinct blobs' sizes (a blob shared by revisions or hard-linked counts once per repo). */
  readonly sizeOnDisk: number;
  readonly partials: number;
  readonly hardLinkedSnapshotFiles: number;
  readonly crossRepoHardLinks: number;
  readonly detachedRevisions: number;
  readonly holderRecords: number;
}

const ORGS = ['EleutherAI', 'openai-community', 'google', 'meta-llama', 'jbloom', 'neuronpedia', 'mistralai', 'Qwen', 'roneneldan', 'NeelNanda', 'apollo-research', 'canrager'];
const NAMES = ['pythia', 'gpt2', 'gemma-scope', 'llama', 'tiny-stories', 'sae-res-jb', 'transcoders', 'qwen', 'mistral', 'pile-dedup'];
/** Share of a second revision's files that are the first's unchanged (same path, same blob). */
const SHARED_WITH_OLDER_REVISION = 0.8;
/** A few files of some repos are hard links to their blob instead of symlinks (huggingface_hub's copy fallback). */
const HARD_LINKED_FILES_PER_REPO = 5;
const CROSS_REPO_HARD_LINKS = 3;

export interface RepoSpec {
  readonly index: number;
  readonly kind: RepoKind | 'space';
  readonly repoId: string;
  readonly folder: string;
  /** Oldest first; the last is `refs/main`. */
  readonly commits: readonly string[];
  /** Snapshot entries over all revisions. */
  readonly links: number;
  readonly partials: ReadonlyArray<{ readonly blobId: string; readonly name: string; readonly size: number }>;
  readonly hasHolderRecord: boolean;
  readonly catalogEntry: 'none' | 'ready' | 'paused';
}

function hex(algorithm: 'sha1' | 'sha256', text: string): string {
  return createHash(algorithm).update(text).digest('hex');
}

/**
 * Snapshot entries per repo, heavy-tailed like a real cache (many small repos, a few SAE suites with thousands of
 * files), scaled so they sum to exactly repos × linksPerRepo. The same in every process: seeded, from the plan only.
 */
export function linkCounts(plan: CachePlan): number[] {
  const random = seededRandom(11);
  const weights = Array.from({ length: plan.repos }, () => Math.exp(random() * 7));
  const total = plan.repos * plan.linksPerRepo;
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(2, Math.floor((w / sum) * total)));
  let missing = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; missing !== 0; i = (i + 1) % counts.length) {
    const step = missing > 0 ? 1 : counts[i]! > 2 ? -1 : 0;
    counts[i]! += step;
    missing -= step;
  }
  return counts;
}

export function repoSpec(index: number, links: number): RepoSpec {
  const kind = index % 100 === 17 ? 'space' : index % 40 === 3 ? 'dataset' : 'model';
  const org = ORGS[index % ORGS.length]!;
  const name = `${NAMES[(index >> 2) % NAMES.length]!}-${index}`;
  const revisions = index % 5 === 1 && links >= 4 ? 2 : 1;
  const commits = Array.from({ length: revisions }, (_, r) => hex('sha1', `commit:${index}:${r}`));
  const partials: Array<{ blobId: string; name: string; size: number }> = [];
  const partialBlob = hex('sha256', `partial:${index}`);
  // huggingface_hub < 1.18's name (and ours before the rename), huggingface_hub 1.18+'s, ours.
  if (index % 20 === 7) partials.push({ blobId: partialBlob, name: `${partialBlob}.incomplete`, size: 3000 + index });
  if (index % 20 === 8) partials.push({ blobId: partialBlob, name: `${partialBlob}.1a2b3c4d.incomplete`, size: 5000 + index });
  if (index % 50 === 9) partials.push({ blobId: partialBlob, name: `${partialBlob}${LAYOUT.partialSuffix}`, size: 7000 + index });
  return {
    index,
    kind,
    repoId: `${org}/${name}`,
    folder: `${kind}s--${org}--${name}`,
    commits,
    links,
    partials,
    hasHolderRecord: kind !== 'space' && index % 10 === 7,
    catalogEntry: kind === 'space' ? 'none' : index % 100 === 7 ? 'paused' : index % 10 === 3 ? 'ready' : 'none',
  };
}

/** Repo path of a revision's j-th file: most at the top, every third of the rest two folders down (SAE suites). */
function filePath(j: number): { rel: string; depth: number; lfs: boolean } {
  if (j === 0) return { rel: 'config.json', depth: 0, lfs: false };
  if (j % 10 >= 7) return { rel: `blocks.${(j >> 4) % 24}/${['attn', 'mlp', 'resid'][j % 3]!}/sae-${j}.safetensors`, depth: 2, lfs: true };
  if (j % 4 === 0) return { rel: `model-${String(j).padStart(5, '0')}.safetensors`, depth: 0, lfs: true };
  return { rel: `file-${j}.json`, depth: 0, lfs: false };
}

/** A blob's id (sha256 for LFS files, git sha1 otherwise) and size: LFS blobs 1 MB–2 GB, others up to 64 KB. */
function blobOf(index: number, revision: number, j: number, lfs: boolean): { id: string; size: number } {
  const key = `blob:${index}:${revision}:${j}`;
  const id = hex(lfs ? 'sha256' : 'sha1', key);
  const r = parseInt(id.slice(0, 8), 16) / 0x1_0000_0000;
  return { id, size: lfs ? Math.floor(1e6 + r * 2e9) : Math.floor(1 + r * 65_536) };
}

/**
 * The blob file j of a revision links to: a second revision keeps most of the first's blobs; every 50th file is a
 * copy of the one before it (same content, same blob); the first files of some repos are the previous repo's blobs.
 */
function blobForFile(spec: RepoSpec, revision: number, j: number, filesInFirst: number, filesInThis: number): { id: string; size: number; crossRepo: boolean } {
  const { lfs } = filePath(j);
  if (revision > 0 && j < filesInFirst && j < Math.floor(filesInThis * SHARED_WITH_OLDER_REVISION)) return blobForFile(spec, 0, j, filesInFirst, filesInFirst);
  if (j % 50 === 49) return blobForFile(spec, revision, j - 1, filesInFirst, filesInThis);
  if (revision === 0 && spec.index % 100 === 41 && j < CROSS_REPO_HARD_LINKS) return { ...blobOf(spec.index - 1, 0, j, lfs), crossRepo: true };
  return { ...blobOf(spec.index, revision, j, lfs), crossRepo: false };
}

function filesPerRevision(spec: RepoSpec): number[] {
  const first = Math.ceil(spec.links / spec.commits.length);
  return spec.commits.map((_, r) => (r === 0 ? first : spec.links - first));
}

/**
 * Writes repos [fromRepo, toRepo) with synchronous calls (the fastest way to make a million small entries from one
 * process). Blobs are sparse files of their size (no data blocks: a scan only stats them); links are relative, as
 * huggingface_hub makes them.
 */
export function buildSyntheticCache(args: CacheBuildArgs): CacheTally & { ms: number } {
  const started = performance.now();
  const counts = linkCounts(args.plan);
  const tally = { repos: 0, revisions: 0, snapshotEntries: 0, topLevelEntries: 0, nestedEntries: 0, blobs: 0, sizeOnDisk: 0, partials: 0, hardLinkedSnapshotFiles: 0, crossRepoHardLinks: 0, detachedRevisions: 0, holderRecords: 0 };
  fs.mkdirSync(args.root, { recursive: true });
  for (let index = args.fromRepo; index < args.toRepo; index++) {
    const spec = repoSpec(index, counts[index]!);
    const repoDir = path.join(args.root, spec.folder);
    const blobsDir = path.join(repoDir, LAYOUT.blobs);
    fs.mkdirSync(blobsDir, { recursive: true });
    fs.mkdirSync(path.join(repoDir, LAYOUT.refs));
    const perRevision = filesPerRevision(spec);
    const repoBlobs = new Map<string, number>();
    for (const [revision, commit] of spec.commits.entries()) {
      const snapshot = path.join(repoDir, LAYOUT.snapshots, commit);
      fs.mkdirSync(snapshot, { recursive: true });
      const madeDirs = new Set<string>();
      for (let j = 0; j < perRevision[revision]!; j++) {
        const file = filePath(j);
        const blob = blobForFile(spec, revision, j, perRevision[0]!, perRevision[revision]!);
        const blobPath = path.join(blobsDir, blob.id);
        if (!repoBlobs.has(blob.id)) {
          const sameBlobNextDoor = blob.crossRepo ? path.join(args.root, repoSpec(index - 1, counts[index - 1] ?? 0).folder, LAYOUT.blobs, blob.id) : undefined;
          if (sameBlobNextDoor !== undefined && fs.existsSync(sameBlobNextDoor)) {
            fs.linkSync(sameBlobNextDoor, blobPath);
            tally.crossRepoHardLinks++;
          } else {
            const fd = fs.openSync(blobPath, 'wx');
            fs.ftruncateSync(fd, blob.size);
            fs.closeSync(fd);
          }
          repoBlobs.set(blob.id, blob.size);
        }
        const parts = file.rel.split('/');
        if (parts.length > 1) {
          const dir = parts.slice(0, -1).join('/');
          if (!madeDirs.has(dir)) {
            fs.mkdirSync(path.join(snapshot, ...parts.slice(0, -1)), { recursive: true });
            madeDirs.add(dir);
          }
        }
        const linkPath = path.join(snapshot, ...parts);
        const isLatest = revision === spec.commits.length - 1;
        if (index % 100 === 23 && isLatest && j < HARD_LINKED_FILES_PER_REPO) {
          fs.linkSync(blobPath, linkPath);
          tally.hardLinkedSnapshotFiles++;
        } else {
          fs.symlinkSync(`${'../'.repeat(2 + file.depth)}${LAYOUT.blobs}/${blob.id}`, linkPath);
        }
        tally.snapshotEntries++;
        if (file.depth === 0) tally.topLevelEntries++;
        else tally.nestedEntries++;
      }
    }
    // huggingface_hub writes refs without a trailing newline.
    fs.writeFileSync(path.join(repoDir, LAYOUT.refs, 'main'), spec.commits.at(-1)!);
    if (spec.commits.length > 1) {
      // The older revision: a PR ref (a nested ref file) on some repos, detached (no ref at all) on the others.
      if (index % 10 === 6) {
        fs.mkdirSync(path.join(repoDir, LAYOUT.refs, 'refs', 'pr'), { recursive: true });
        fs.writeFileSync(path.join(repoDir, LAYOUT.refs, 'refs', 'pr', '1'), spec.commits[0]!);
      } else {
        tally.detachedRevisions++;
      }
    }
    for (const partial of spec.partials) {
      const fd = fs.openSync(path.join(blobsDir, partial.name), 'wx');
      fs.ftruncateSync(fd, partial.size);
      fs.closeSync(fd);
      if (partial.name.endsWith(LAYOUT.partialSuffix)) fs.writeFileSync(path.join(blobsDir, `${partial.blobId}${LAYOUT.rangeJournalSuffix}`), Buffer.alloc(32));
      tally.partials++;
    }
    if (index % 25 === 4) {
      // huggingface_hub's negative cache: files the Hub said it does not have. Scanners skip it.
      fs.mkdirSync(path.join(repoDir, LAYOUT.noExist, spec.commits.at(-1)!), { recursive: true });
      fs.writeFileSync(path.join(repoDir, LAYOUT.noExist, spec.commits.at(-1)!, 'adapter_config.json'), '');
    }
    if (index % 50 === 12) {
      const firstBlob = blobForFile(spec, 0, 0, perRevision[0]!, perRevision[0]!).id;
      fs.mkdirSync(path.join(args.root, LAYOUT.locks, spec.folder), { recursive: true });
      fs.writeFileSync(path.join(args.root, LAYOUT.locks, spec.folder, `${firstBlob}.lock`), '');
    }
    if (spec.hasHolderRecord && spec.kind !== 'space') {
      writeHolderRecord(repoDir, spec, spec.kind, args.otherCatalog, perRevision.at(-1)!);
      tally.holderRecords++;
    }
    tally.repos++;
    tally.revisions += spec.commits.length;
    tally.blobs += repoBlobs.size;
    for (const size of repoBlobs.values()) tally.sizeOnDisk += size;
  }
  return { ...tally, ms: performance.now() - started };
}

/** Another workspace's catalog holding the latest revision's first files, as its Holders would have written it. */
function writeHolderRecord(repoDir: string, spec: RepoSpec, kind: RepoKind, otherCatalog: string, files: number): void {
  const commit = spec.commits.at(-1)!;
  const record: HolderRecord = {
    version: 1,
    catalog: path.resolve(otherCatalog),
    kind,
    repoId: spec.repoId,
    revision: 'main',
    commit,
    paths: Array.from({ length: Math.min(3, files) }, (_, j) => filePath(j).rel).sort(),
    updatedAt: Date.now(),
  };
  const dir = path.join(repoDir, LAYOUT.holders, commit);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${catalogKeyOf(otherCatalog)}.${entryKeyOf(kind, spec.repoId, 'main')}.json`), `${JSON.stringify(record)}\n`);
}

/** Adds the tallies of the builder processes. */
export function sumTallies(parts: readonly CacheTally[]): CacheTally {
  const total: Record<keyof CacheTally, number> = { repos: 0, revisions: 0, snapshotEntries: 0, topLevelEntries: 0, nestedEntries: 0, blobs: 0, sizeOnDisk: 0, partials: 0, hardLinkedSnapshotFiles: 0, crossRepoHardLinks: 0, detachedRevisions: 0, holderRecords: 0 };
  for (const part of parts) for (const key of Object.keys(total) as Array<keyof CacheTally>) total[key] += part[key];
  return total;
}

export type ScanTool = 'scanCache' | 'readCacheInventory' | 'scanCacheDir';

export interface CacheScanArgs {
  readonly root: string;
  readonly plan: CachePlan;
  readonly tool: ScanTool;
  /** Repos reported before the first screen can be drawn. */
  readonly firstScreenRepos: number;
}

/** What one measured scan saw and how it went; checked by the scenario against the builder's tally. */
export interface CacheScanOutcome {
  readonly ms: number;
  /** Undefined for `scanCacheDir`, which reports nothing before it returns. */
  readonly firstScreenMs: number | undefined;
  readonly cpuMs: number;
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMeanMs: number;
  readonly loopDelaySamples: number;
  readonly repos: number;
  readonly revisions: number;
  /** Snapshot entries the tool looked at (for `scanCacheDir`: its file records). */
  readonly entries: number;
  readonly sizeOnDisk: number;
  readonly partials: number;
  readonly warnings: readonly string[];
  /** readCacheInventory only: revisions another catalog holds, partials this catalog may resume. */
  readonly heldByOtherCatalogs?: number;
  readonly partialsHeldHere?: number;
}

/** This workspace's catalog as the view would have it: entries on some cached repos, a paused download with a partial. */
async function catalogFor(plan: CachePlan, wasmPath: string): Promise<Catalog> {
  const catalog = await openCatalog({ file: null, wasmPath });
  const counts = linkCounts(plan);
  catalog.transaction(() => {
    for (let index = 0; index < plan.repos; index++) {
      const spec = repoSpec(index, counts[index]!);
      if (spec.catalogEntry === 'none' || spec.kind === 'space') continue;
      const entry = catalog.addEntry({ kind: spec.kind, repoId: spec.repoId, revision: 'main', commit: spec.commits.at(-1)!, status: spec.catalogEntry, bytesTotal: 1e9, fileCount: 1 });
      const partial = spec.partials[0];
      if (spec.catalogEntry === 'paused' && partial) {
        catalog.setFiles(entry.id, [{ path: 'model.safetensors', size: partial.size * 2, blobId: partial.blobId, sha256: partial.blobId, gitSha1: hex('sha1', partial.blobId), state: 'pending' }]);
      }
    }
  });
  return catalog;
}

/** One measured scan in this (fresh) process: setup untimed, then the call alone with the event loop watched. */
export async function measureCacheScan(args: CacheScanArgs, wasmPath: string): Promise<CacheScanOutcome> {
  const run = await prepareScan(args, wasmPath);
  // Node's default period; each sample is the timer's whole interval, so the scenario subtracts the 10 ms.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let firstScreenMs: number | undefined;
  let reported = 0;
  const started = performance.now();
  const onRepo = (): void => {
    if (++reported === args.firstScreenRepos) firstScreenMs = performance.now() - started;
  };
  const cpuBefore = process.cpuUsage();
  loop.enable();
  const seen = await run(onRepo);
  loop.disable();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ms,
    firstScreenMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelayMaxMs: loop.max / 1e6,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMeanMs: loop.mean / 1e6,
    loopDelaySamples: loop.count,
    ...seen,
  };
}

type ScanCounts = Omit<CacheScanOutcome, 'ms' | 'firstScreenMs' | 'cpuMs' | 'loopDelayMaxMs' | 'loopDelayP99Ms' | 'loopDelayMeanMs' | 'loopDelaySamples'>;

/** Everything a tool needs before the clock starts (modules loaded, catalog filled); returns the timed call. */
async function prepareScan(args: CacheScanArgs, wasmPath: string): Promise<(onRepo: () => void) => Promise<ScanCounts>> {
  switch (args.tool) {
    case 'scanCache':
      return async (onRepo) => {
        const scan = await scanCache(args.root, { withFiles: false, onRepo });
        return {
          repos: scan.repos.length,
          revisions: scan.repos.reduce((n, r) => n + r.revisions.length, 0),
          entries: scan.filesScanned,
          sizeOnDisk: scan.sizeOnDisk,
          partials: scan.repos.reduce((n, r) => n + r.partialFiles.length, 0),
          warnings: scan.warnings.slice(0, 20),
        };
      };
    case 'readCacheInventory': {
      const cache = new HfCache(args.root);
      const catalog = await catalogFor(args.plan, wasmPath);
      const holders = new Holders(cache, null);
      return async (onRepo) => {
        const inventory = await readCacheInventory({ cache, catalog, holders, xetRoot: null }, { onRepo });
        const revisions = inventory.repos.flatMap((r) => r.revisions);
        const partials = inventory.repos.flatMap((r) => r.partials);
        return {
          repos: inventory.repos.length,
          revisions: revisions.length,
          entries: inventory.filesScanned,
          sizeOnDisk: inventory.sizeOnDisk,
          partials: partials.length,
          warnings: inventory.warnings.slice(0, 20),
          heldByOtherCatalogs: revisions.filter((r) => r.otherCatalogs.length > 0).length,
          partialsHeldHere: partials.filter((p) => p.heldBy === 'this-catalog').length,
        };
      };
    }
    case 'scanCacheDir': {
      // Loaded only in this mode, before the clock starts, so neither the others' memory nor the timing includes it.
      const { scanCacheDir } = await import('@huggingface/hub');
      return async () => {
        const info = await scanCacheDir(args.root);
        return {
          repos: info.repos.length,
          revisions: info.repos.reduce((n, r) => n + r.revisions.length, 0),
          entries: info.repos.reduce((n, r) => n + r.revisions.reduce((m, v) => m + v.files.length, 0), 0),
          sizeOnDisk: info.size,
          partials: 0,
          warnings: info.warnings.slice(0, 20).map((w) => w.message),
        };
      };
    }
  }
}
