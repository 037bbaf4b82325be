import type { CatalogEntry, EntryFile, EntryStatus } from '../../core/catalog/types';
import type { HubSearchResult } from '../../core/hub/types';
import type { ProgressSnapshot } from '../../core/progress';
import type { DownloadPlan } from '../../core/studioTypes';
import { allowedActions } from '../actions/entryActions';
import type { EntryDetail, EntryFacts, EntryRow, FileRow, HubRow, PlanView, ProgressRow } from '../../shared/protocol';

/** Catalog entries and engine results as the webview sees them: plain JSON, only what it shows. */
export function toEntryRow(entry: CatalogEntry): EntryRow {
  return {
    id: entry.id,
    kind: entry.kind,
    repoId: entry.repoId,
    displayName: entry.displayName,
    revision: entry.revision,
    commit: entry.commit,
    status: entry.status,
    bytesDone: entry.bytesDone,
    bytesTotal: entry.bytesTotal,
    fileCount: entry.fileCount,
    snapshotPath: entry.snapshotPath,
    errorCode: entry.errorCode,
    errorMessage: entry.errorMessage,
    include: entry.includePatterns,
    exclude: entry.excludePatterns,
    facts: entryFacts(entry),
    updatedAt: entry.updatedAt,
    actions: allowedActions(entry),
  };
}

function entryFacts(entry: CatalogEntry): EntryFacts {
  const m = entry.metadata;
  const facts: { -readonly [K in keyof EntryFacts]: EntryFacts[K] } = {};
  if (m.model?.parameters) facts.parameters = m.model.parameters.total;
  if (m.model?.memory) facts.memory = m.model.memory;
  if (m.model?.modelType) facts.modelType = m.model.modelType;
  if (m.dataset?.configs) facts.configs = m.dataset.configs.map((c) => ({ name: c.name, splits: c.splits.map((s) => s.name) }));
  if (m.license) facts.license = m.license;
  if (m.pipelineTag) facts.pipelineTag = m.pipelineTag;
  if (m.gated !== undefined) facts.gated = m.gated;
  if (m.private !== undefined) facts.private = m.private;
  return facts;
}

export function toProgressRow(entryId: string, p: ProgressSnapshot): ProgressRow {
  return {
    entryId,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    fraction: p.fraction,
    bytesPerSecond: p.bytesPerSecond,
    etaSeconds: p.etaSeconds ?? null,
    waitingFiles: p.waitingFiles,
    rateLimitResumeSeconds: p.rateLimitResumeSeconds ?? null,
  };
}

export function toFileRow(file: EntryFile): FileRow {
  return { path: file.path, size: file.size, state: file.state, bytesDone: file.bytesDone, lfs: file.sha256 !== null };
}

/** Bytes of the entry's files on disk now: verified files whole, partial files as far as they got. */
export function diskBytes(files: readonly EntryFile[]): number {
  let total = 0;
  for (const f of files) total += f.state === 'verified' ? f.size : f.bytesDone;
  return total;
}

export function toEntryDetail(entry: CatalogEntry, files: readonly EntryFile[], hubUrl: string): EntryDetail {
  const m = entry.metadata;
  return {
    entry: toEntryRow(entry),
    files: files.map(toFileRow),
    diskBytes: diskBytes(files),
    hubUrl,
    ...(m.downloads !== undefined ? { downloads: m.downloads } : {}),
    ...(m.likes !== undefined ? { likes: m.likes } : {}),
    ...(m.lastModified !== undefined ? { lastModified: m.lastModified } : {}),
    ...(m.model?.architectures ? { architectures: m.model.architectures } : {}),
    ...(m.model?.numLayers !== undefined ? { numLayers: m.model.numLayers } : {}),
    ...(m.model?.hiddenSize !== undefined ? { hiddenSize: m.model.hiddenSize } : {}),
  };
}

export function toHubRow(result: HubSearchResult, catalogStatus: EntryStatus | null): HubRow {
  return {
    id: result.id,
    kind: result.kind,
    downloads: result.downloads,
    likes: result.likes,
    lastModified: result.lastModified ?? null,
    gated: result.gated,
    private: result.private,
    pipelineTag: result.pipelineTag ?? null,
    catalogStatus,
  };
}

export function toPlanView(plan: DownloadPlan, include: readonly string[], inCatalog: boolean): PlanView {
  return {
    kind: plan.ref.kind,
    repoId: plan.ref.repoId,
    revision: plan.revision,
    commit: plan.commit,
    files: plan.allFiles.map((f) => ({ path: f.path, size: f.size, cached: f.cached })),
    include,
    exclude: [],
    freeBytes: plan.freeBytes,
    cacheRoot: plan.cacheRoot,
    gated: plan.info.gated,
    private: plan.info.private,
    license: plan.info.license ?? null,
    inCatalog,
  };
}
