import { vi } from 'vitest';
import type { CacheInventory, InventoryOptions, InventoryPartial, InventoryRepo, InventoryRevision } from '../../../src/core/cacheInventory';
import type { Catalog } from '../../../src/core/catalog';
import { MistudioError } from '../../../src/core/errors';
import type { CacheRepoKind } from '../../../src/core/repo';
import type {
  CacheActionResult,
  CacheDeleteEstimate,
  CacheRevisionEstimate,
  CacheTarget,
  DownloadRequest,
  PrunePlan,
  StudioApi,
  VerifyProblem,
  VerifyReport,
} from '../../../src/core/studioTypes';

/** A cached revision as a test describes it; who holds it here is read from the catalog, as the real inventory does. */
export interface FakeRevision {
  readonly commit: string;
  readonly refs?: readonly string[];
  readonly size?: number;
  readonly files?: number;
  readonly lastModified?: number;
  /** Other catalogs' files holding it. */
  readonly otherCatalogs?: readonly string[];
}

export interface FakeRepo {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
  readonly revisions: readonly FakeRevision[];
  readonly lastAccessed?: number;
  readonly partials?: readonly Pick<InventoryPartial, 'blobId' | 'size' | 'owner' | 'heldBy'>[];
}

export interface FakeCacheState {
  /** The Hugging Face cache, repo by repo, in the order a scan reports them. */
  repos: FakeRepo[];
  /** Awaited before each repo is reported, so a test can hold a scan midway. */
  gate: (() => Promise<void>) | undefined;
  xetBytes: number | null;
  /** What Verify finds wrong. */
  verifyBad: VerifyProblem[];
}

type CacheMethods = Pick<StudioApi, 'inventory' | 'adopt' | 'estimateCacheDelete' | 'deleteFromCache' | 'planPrune' | 'prune' | 'verifyRevision' | 'repairRevision'>;

/**
 * The engine's whole-cache methods over a cache described as data: a scan streams its repos (optionally held at a
 * gate), Add to Catalog makes a ready entry at the revision, deletes and prunes take revisions out, and every call is
 * recorded in `calls`.
 */
export function fakeCache(catalog: Catalog, calls: string[], root: string): { state: FakeCacheState; methods: CacheMethods } {
  const state: FakeCacheState = { repos: [], gate: undefined, xetBytes: null, verifyBad: [] };

  const find = (kind: CacheRepoKind, repoId: string): FakeRepo | undefined => state.repos.find((r) => r.kind === kind && r.repoId === repoId);
  const entriesOn = (repo: FakeRepo, commit: string) =>
    repo.kind === 'space' ? [] : catalog.listEntries({ kind: repo.kind, repoId: repo.repoId }).filter((e) => e.commit === commit);

  const inventoryRevision = (repo: FakeRepo, r: FakeRevision): InventoryRevision => ({
    commit: r.commit,
    refs: [...(r.refs ?? [])],
    snapshotPath: `${root}/${repo.kind}s--${repo.repoId.replace('/', '--')}/snapshots/${r.commit}`,
    sizeOnDisk: r.size ?? 0,
    nbFiles: r.files ?? 1,
    lastModified: r.lastModified ?? 1_700_000_000_000,
    entries: entriesOn(repo, r.commit).map((e) => ({ entryId: e.id, revision: e.revision, status: e.status })),
    otherCatalogs: (r.otherCatalogs ?? []).map((catalogFile) => ({ catalog: catalogFile, revision: r.refs?.[0] ?? r.commit })),
  });

  const inventoryRepo = (repo: FakeRepo): InventoryRepo => {
    const revisions = repo.revisions.map((r) => inventoryRevision(repo, r));
    const partials = (repo.partials ?? []).map((p) => ({ ...p, path: `${root}/blobs/${p.blobId}.incomplete` }));
    return {
      kind: repo.kind,
      repoId: repo.repoId,
      path: `${root}/${repo.kind}s--${repo.repoId.replace('/', '--')}`,
      sizeOnDisk: revisions.reduce((s, r) => s + r.sizeOnDisk, 0),
      nbFiles: revisions.reduce((s, r) => s + r.nbFiles, 0),
      lastAccessed: repo.lastAccessed ?? 1_700_000_000_000,
      lastModified: repo.lastAccessed ?? 1_700_000_000_000,
      refs: Object.fromEntries(repo.revisions.flatMap((r) => (r.refs ?? []).map((ref) => [ref, r.commit]))),
      interruptedDeletes: [],
      revisions,
      partials,
    };
  };

  const estimateOf = (repo: FakeRepo, r: FakeRevision): CacheRevisionEstimate => ({
    kind: repo.kind,
    repoId: repo.repoId,
    commit: r.commit,
    refs: [...(r.refs ?? [])],
    freedBytes: (r.otherCatalogs ?? []).length > 0 ? 0 : (r.size ?? 0),
    heldBy: (r.otherCatalogs ?? []).map((c) => ({ catalog: c, revision: r.refs?.[0] ?? r.commit })),
    entries: entriesOn(repo, r.commit).map((e) => ({ entryId: e.id, revision: e.revision })),
  });

  const targeted = (targets: readonly CacheTarget[]): CacheRevisionEstimate[] =>
    targets.flatMap((t) => {
      const repo = find(t.kind, t.repoId);
      if (!repo) throw new MistudioError('RepoNotFound', `${t.repoId} is not in the cache`);
      const revisions = repo.revisions.filter((r) => t.revision === undefined || r.commit === t.revision || r.refs?.includes(t.revision));
      return revisions.map((r) => estimateOf(repo, r));
    });

  /** Takes revisions out of the cache (and this catalog's entries on them), as a finished cleanup would. */
  const remove = (revisions: readonly CacheRevisionEstimate[], partials: PrunePlan['partials'] = []): CacheActionResult => {
    for (const gone of revisions) {
      for (const e of gone.entries) catalog.removeEntry(e.entryId);
      state.repos = state.repos
        .map((repo) => (repo.kind === gone.kind && repo.repoId === gone.repoId ? { ...repo, revisions: repo.revisions.filter((r) => r.commit !== gone.commit) } : repo))
        .filter((repo) => repo.revisions.length > 0 || (repo.partials ?? []).length > 0);
    }
    for (const p of partials) {
      state.repos = state.repos.map((repo) => (repo.repoId === p.repoId ? { ...repo, partials: (repo.partials ?? []).filter((x) => `${root}/blobs/${x.blobId}.incomplete` !== p.path) } : repo));
    }
    return {
      freedBytes: revisions.reduce((s, r) => s + r.freedBytes, 0) + partials.reduce((s, p) => s + p.size, 0),
      revisions: revisions.map((r) => ({ kind: r.kind, repoId: r.repoId, commit: r.commit, freedBytes: r.freedBytes, pathsKept: 0, skipped: [] })),
      partials: partials.map((p) => ({ ...p, removed: true })),
      cancelled: false,
    };
  };

  const prunePlan = (): PrunePlan => {
    const revisions = state.repos.flatMap((repo) =>
      repo.revisions.filter((r) => (r.refs ?? []).length === 0 && (r.otherCatalogs ?? []).length === 0 && entriesOn(repo, r.commit).length === 0).map((r) => estimateOf(repo, r)),
    );
    const partials = state.repos.flatMap((repo) =>
      (repo.partials ?? []).filter((p) => p.heldBy === null).map((p) => ({ kind: repo.kind, repoId: repo.repoId, path: `${root}/blobs/${p.blobId}.incomplete`, size: p.size })),
    );
    return { revisions, partials, freedBytes: revisions.reduce((s, r) => s + r.freedBytes, 0) + partials.reduce((s, p) => s + p.size, 0) };
  };

  const methods: CacheMethods = {
    inventory: vi.fn(async (options: InventoryOptions = {}): Promise<CacheInventory> => {
      calls.push('inventory');
      const snapshot = [...state.repos];
      const repos: InventoryRepo[] = [];
      let filesScanned = 0;
      for (const [i, repo] of snapshot.entries()) {
        await state.gate?.();
        if (options.signal?.aborted) throw new MistudioError('Cancelled', 'Cancelled');
        const read = inventoryRepo(repo);
        repos.push(read);
        filesScanned += read.nbFiles;
        options.onRepo?.(read, { reposDone: i + 1, reposTotal: snapshot.length, filesScanned });
      }
      const partialBytes = repos.reduce((s, r) => s + r.partials.reduce((t, p) => t + p.size, 0), 0);
      const xet = state.xetBytes === null ? null : { path: `${root}/../xet`, bytes: state.xetBytes, files: 1 };
      return { root, repos, sizeOnDisk: repos.reduce((s, r) => s + r.sizeOnDisk, 0), partialBytes, xet, filesScanned, warnings: [] };
    }),
    adopt: vi.fn(async (request: DownloadRequest) => {
      const revision = request.revision ?? 'main';
      calls.push(`adopt:${request.kind}:${request.repoId}@${revision}`);
      const cached = find(request.kind, request.repoId)?.revisions.find((r) => r.commit === revision || r.refs?.includes(revision));
      if (!cached) throw new MistudioError('RevisionNotFound', `${request.repoId}@${revision} is not in the cache`);
      return catalog.addEntry({ kind: request.kind, repoId: request.repoId, revision, commit: cached.commit, status: 'ready', bytesTotal: cached.size ?? 0, bytesDone: cached.size ?? 0 });
    }),
    estimateCacheDelete: vi.fn(async (targets: readonly CacheTarget[]): Promise<CacheDeleteEstimate> => {
      const revisions = targeted(targets);
      return { revisions, freedBytes: revisions.reduce((s, r) => s + r.freedBytes, 0) };
    }),
    deleteFromCache: vi.fn(async (targets: readonly CacheTarget[]) => {
      calls.push(`deleteFromCache:${targets.map((t) => `${t.kind}:${t.repoId}${t.revision ? `@${t.revision}` : ''}`).join(',')}`);
      return remove(targeted(targets));
    }),
    planPrune: vi.fn(async () => prunePlan()),
    prune: vi.fn(async () => {
      calls.push('prune');
      const plan = prunePlan();
      return remove(plan.revisions, plan.partials);
    }),
    verifyRevision: vi.fn(async (target: Required<CacheTarget>): Promise<VerifyReport> => {
      calls.push(`verify:${target.kind}:${target.repoId}@${target.revision}`);
      const cached = find(target.kind, target.repoId)?.revisions.find((r) => r.commit === target.revision);
      if (!cached) throw new MistudioError('RevisionNotFound', `${target.repoId}@${target.revision} is not in the cache`);
      return { kind: target.kind, repoId: target.repoId, commit: cached.commit, files: cached.files ?? 1, bytes: cached.size ?? 0, bad: [...state.verifyBad], unverifiable: [] };
    }),
    repairRevision: vi.fn(async (report: VerifyReport) => {
      calls.push(`repair:${report.repoId}@${report.commit}`);
      if (report.kind === 'space') throw new MistudioError('InvalidInput', 'Spaces are not repaired');
      return catalog.addEntry({ kind: report.kind, repoId: report.repoId, revision: report.commit, commit: report.commit, status: 'queued' });
    }),
  };
  return { state, methods };
}
