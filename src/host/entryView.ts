import type { CatalogEntry, EntryFile, EntryStatus } from '../core/catalog';
import type { MemoryEstimate, ParameterCount } from '../core/metadata';
import { formatBytes, formatDuration, formatRate, rateLimitNote, waitingNote, type ProgressSnapshot } from '../core/progress';
import { entryContextValue, fileContextValue } from './capabilities';

/**
 * How a catalog entry and its files look in the trees, as plain data: the VS Code side only turns these into
 * TreeItems, so every status is rendered and tested here without VS Code.
 */
export interface IconModel {
  /** A codicon id, with "~spin" for animated ones. */
  readonly id: string;
  /** A theme colour id. */
  readonly color?: string;
}

export interface EntryItemModel {
  /** Stable across updates, so selection and focus survive live progress. */
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Markdown; user-supplied text is escaped. */
  readonly tooltip: string;
  readonly icon: IconModel;
  readonly contextValue: string;
  readonly collapsible: boolean;
}

export interface FileItemModel {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  /** Absent for verified files: they show the file-type icon of their path instead. */
  readonly icon?: IconModel;
  /** Absolute path inside the snapshot, once the file is there. */
  readonly localPath?: string;
  readonly contextValue: string;
}

export const STATUS_ICONS: Readonly<Record<EntryStatus, IconModel>> = {
  queued: { id: 'clock', color: 'descriptionForeground' },
  downloading: { id: 'sync~spin', color: 'charts.blue' },
  paused: { id: 'debug-pause', color: 'charts.yellow' },
  ready: { id: 'pass-filled', color: 'testing.iconPassed' },
  error: { id: 'error', color: 'errorForeground' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  missing: { id: 'warning', color: 'problemsWarningIcon.foreground' },
};

const STATUS_WORDS: Readonly<Record<EntryStatus, string>> = {
  queued: 'Queued',
  downloading: 'Downloading',
  paused: 'Paused',
  ready: 'Ready',
  error: 'Failed',
  cancelled: 'Cancelled',
  missing: 'Files missing from the cache',
};

export function entryNodeId(entryId: string): string {
  return `mistudio.entry/${entryId}`;
}

export function fileNodeId(entryId: string, path: string): string {
  return `mistudio.file/${entryId}/${path}`;
}

export function entryItem(entry: CatalogEntry, progress?: ProgressSnapshot): EntryItemModel {
  return {
    id: entryNodeId(entry.id),
    label: entryLabel(entry),
    description: entryDescription(entry, progress),
    tooltip: entryTooltip(entry, progress),
    icon: entry.status === 'downloading' && entry.bytesTotal === 0 && !progress ? { id: 'loading~spin', color: 'charts.blue' } : STATUS_ICONS[entry.status],
    contextValue: entryContextValue(entry),
    collapsible: entry.fileCount > 0,
  };
}

/**
 * The repo's own name ("tiny-gpt2"); the organisation follows in the description, so the part that tells rows apart
 * and the live progress both fit a narrow sidebar. A display name the user chose wins.
 */
export function entryLabel(entry: Pick<CatalogEntry, 'displayName' | 'repoId'>): string {
  if (entry.displayName && entry.displayName !== entry.repoId) return entry.displayName;
  return entry.repoId.slice(entry.repoId.lastIndexOf('/') + 1);
}

/** "43% · 12.3 MB/s · 1m 20s left · org" while downloading, the size when ready, the reason otherwise. */
export function entryDescription(entry: CatalogEntry, progress?: ProgressSnapshot): string {
  const parts: string[] = [];
  if (entry.revision !== 'main') parts.push(`@${entry.revision}`);
  parts.push(statusText(entry, progress));
  const customName = entry.displayName && entry.displayName !== entry.repoId;
  const slash = entry.repoId.lastIndexOf('/');
  if (customName) parts.push(entry.repoId);
  else if (slash > 0) parts.push(entry.repoId.slice(0, slash));
  return parts.join(' · ');
}

function statusText(entry: CatalogEntry, progress: ProgressSnapshot | undefined): string {
  const total = progress?.bytesTotal || entry.bytesTotal;
  const done = progress ? progress.bytesDone : entry.bytesDone;
  switch (entry.status) {
    case 'queued':
      return total > 0 ? `queued · ${formatBytes(total)}` : 'queued';
    case 'downloading': {
      const rateLimited = rateLimitNote(progress?.rateLimitResumeSeconds);
      if (total <= 0) return rateLimited ? `preparing… · ${rateLimited}` : 'preparing…';
      const parts = [`${percent(progress?.fraction ?? done / total)}%`];
      if (progress && progress.bytesPerSecond > 0) parts.push(formatRate(progress.bytesPerSecond));
      if (progress?.etaSeconds !== undefined && progress.bytesPerSecond > 0) parts.push(`${formatDuration(progress.etaSeconds)} left`);
      else parts.push(`${formatBytes(done)} of ${formatBytes(total)}`);
      const waiting = waitingNote(progress?.waitingFiles ?? 0);
      if (waiting) parts.push(waiting);
      if (rateLimited) parts.push(rateLimited);
      return parts.join(' · ');
    }
    case 'paused':
      return total > 0 ? `paused at ${percent(done / total)}% of ${formatBytes(total)}` : 'paused';
    case 'ready':
      return formatBytes(entry.bytesTotal);
    case 'error':
      return entry.errorMessage ? `failed: ${oneLine(entry.errorMessage, 80)}` : 'failed';
    case 'cancelled':
      return 'cancelled';
    case 'missing':
      return 'files missing';
  }
}

/** Whole percent, never 100 before the entry is ready (verification may still run). */
function percent(fraction: number): number {
  if (!Number.isFinite(fraction) || fraction <= 0) return 0;
  return Math.min(99, Math.floor(fraction * 100));
}

export function entryTooltip(entry: CatalogEntry, progress?: ProgressSnapshot): string {
  const kindWord = entry.kind === 'model' ? 'Model' : 'Dataset';
  const lines: string[] = [`**${md(entry.repoId)}** — ${kindWord}`, ''];
  const status = STATUS_WORDS[entry.status];
  const statusLine = entry.status === 'downloading' || entry.status === 'queued' || entry.status === 'paused' ? `${status}: ${statusText(entry, progress)}` : status;
  lines.push(`$(${STATUS_ICONS[entry.status].id.replace('~spin', '')}) ${md(statusLine)}`);
  if (entry.status === 'error' && entry.errorMessage) lines.push(`Error: ${md(oneLine(entry.errorMessage, 300))}`);
  lines.push('');
  const facts: string[] = [];
  facts.push(`Revision: \`${code(entry.revision)}\`${entry.commit ? ` · commit \`${code(entry.commit.slice(0, 12))}\`` : ''}`);
  if (entry.snapshotPath) facts.push(`Local path: \`${code(entry.snapshotPath)}\``);
  if (entry.fileCount > 0) facts.push(`Files: ${entry.fileCount} · ${formatBytes(entry.bytesTotal)}`);
  const meta = entry.metadata;
  const params = meta.model?.parameters;
  if (params) facts.push(`Parameters: ${formatParameters(params)}`);
  const memory = meta.model?.memory;
  if (memory) facts.push(`Memory for weights: ${formatMemory(memory)}`);
  if (meta.model?.modelType) facts.push(`Architecture: ${md(meta.model.architectures?.join(', ') || meta.model.modelType)}`);
  const configs = meta.dataset?.configs;
  if (configs && configs.length > 0) {
    facts.push(`Configs: ${configs.map((c) => `${md(c.name)} (${c.splits.map((s) => md(s.name)).join(', ')})`).join('; ')}`);
  }
  if (meta.license) facts.push(`License: ${md(meta.license)}`);
  if (meta.pipelineTag) facts.push(`Task: ${md(meta.pipelineTag)}`);
  if (meta.gated) facts.push(`Gated: access is granted ${meta.gated === 'manual' ? 'by the authors' : 'automatically'}`);
  // Two trailing spaces make each fact its own line in Markdown.
  lines.push(facts.join('  \n'));
  return lines.join('\n');
}

export function fileItem(entry: CatalogEntry, file: EntryFile, joinPath: (base: string, rel: string) => string): FileItemModel {
  const localPath = file.state === 'verified' && entry.snapshotPath ? joinPath(entry.snapshotPath, file.path) : undefined;
  let description = formatBytes(file.size);
  let icon: IconModel | undefined;
  if (file.state === 'partial') {
    description = `${percent(file.size > 0 ? file.bytesDone / file.size : 0)}% of ${formatBytes(file.size)}`;
    icon = entry.status === 'downloading' ? { id: 'sync~spin', color: 'charts.blue' } : { id: 'debug-pause', color: 'charts.yellow' };
  } else if (file.state === 'pending') {
    icon = { id: 'circle-large-outline', color: 'descriptionForeground' };
  }
  const tooltip = [
    `\`${code(file.path)}\``,
    '',
    [`${formatBytes(file.size)} (${file.size.toLocaleString('en-US')} bytes)`, file.sha256 ? `sha256 \`${file.sha256.slice(0, 16)}…\`` : `git sha1 \`${file.gitSha1.slice(0, 12)}\``, file.state === 'verified' ? 'verified' : file.state]
      .join(' · '),
  ].join('\n');
  return {
    id: fileNodeId(entry.id, file.path),
    label: file.path,
    description,
    tooltip,
    ...(icon ? { icon } : {}),
    ...(localPath ? { localPath } : {}),
    contextValue: fileContextValue(entry, file),
  };
}

/** "124.4M (BF16 100M, F32 24.4M)". */
export function formatParameters(params: ParameterCount): string {
  const dtypes = Object.entries(params.byDtype).filter(([, n]) => n > 0);
  const total = formatCount(params.total);
  if (dtypes.length <= 1) return dtypes[0] ? `${total} (${md(dtypes[0][0])})` : total;
  return `${total} (${dtypes.map(([d, n]) => `${md(d)} ${formatCount(n)}`).join(', ')})`;
}

export function formatMemory(memory: MemoryEstimate): string {
  return `${formatBytes(memory.bf16)} in bf16 · ${formatBytes(memory.fp32)} in fp32 · ${formatBytes(memory.int8)} in int8 · ${formatBytes(memory.int4)} in int4`;
}

/** 950 → "950", 12_300 → "12.3K", 124_400_000 → "124.4M", 7_600_000_000 → "7.6B". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of units) {
    if (Math.abs(n) >= size) {
      const value = n / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '')}${suffix}`;
    }
  }
  return String(Math.round(n));
}

function oneLine(text: string, max: number): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Escapes Markdown (and the `$(icon)` syntax) in text that came from the Hub or the file system. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, (c) => `\\${c}`);
}

/** Text inside a code span: a backtick would end it, so it becomes a look-alike. */
function code(text: string): string {
  return text.replace(/`/g, 'ˋ');
}
