import type { CatalogEntry } from '../catalog';
import { formatBytes, formatDuration, formatRate, rateLimitNote, waitingNote, type ProgressSnapshot } from '../progress';

/** What `list --json` prints per entry: a stable, documented shape for scripts. */
export interface EntryJson {
  readonly id: string;
  readonly repoId: string;
  readonly kind: string;
  readonly revision: string;
  readonly status: string;
  readonly commit: string | null;
  readonly sizeBytes: number;
  readonly bytesDone: number;
  readonly fileCount: number;
  readonly snapshotPath: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly updatedAt: string;
}

export function entryJson(e: CatalogEntry): EntryJson {
  return {
    id: e.id,
    repoId: e.repoId,
    kind: e.kind,
    revision: e.revision,
    status: e.status,
    commit: e.commit,
    sizeBytes: e.bytesTotal,
    bytesDone: e.bytesDone,
    fileCount: e.fileCount,
    snapshotPath: e.snapshotPath,
    error: e.errorCode ? { code: e.errorCode, message: e.errorMessage ?? '' } : null,
    updatedAt: new Date(e.updatedAt).toISOString(),
  };
}

/** A plain text table with left-aligned columns, like `hf cache ls`. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** One line of progress for a terminal: bar, percent, bytes, rate, ETA. */
export function progressLine(label: string, p: ProgressSnapshot, width = 24): string {
  const filled = Math.round(p.fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const pct = `${Math.floor(p.fraction * 100)}%`.padStart(4);
  const eta = p.etaSeconds === undefined ? '' : ` · ${formatDuration(p.etaSeconds)} left`;
  const notes = [waitingNote(p.waitingFiles), rateLimitNote(p.rateLimitResumeSeconds)].filter((n) => n !== undefined).map((n) => ` · ${n}`);
  return `${label} ${bar} ${pct} ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} · ${formatRate(p.bytesPerSecond)}${eta}${notes.join('')}`;
}
