import type { EntryStatus } from '../core/catalog/types';
import { formatBytes, formatDuration, formatRate, rateLimitNote, waitingNote } from '../core/progress';

export { formatBytes, formatDuration, formatRate, rateLimitNote, waitingNote };

/** 124_000_000 → "124M", 7_240_000_000 → "7.2B". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const value = n / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '')}${suffix}`;
    }
  }
  return String(Math.round(n));
}

export function formatParameters(n: number): string {
  return `${formatCount(n)} params`;
}

/** "3 days ago"-style age of an ISO date or epoch ms; the exact date for anything older than a year. */
export function formatAge(when: string | number | null | undefined, now = Date.now()): string {
  if (when === null || when === undefined) return '—';
  const t = typeof when === 'number' ? when : Date.parse(when);
  if (!Number.isFinite(t)) return '—';
  const seconds = Math.max(0, (now - t) / 1000);
  const steps: [number, string][] = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [30, 'day'],
    [12, 'month'],
  ];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (value < size) {
      const n = Math.floor(value);
      return n <= 0 && unit === 'second' ? 'just now' : `${n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
    value /= size;
  }
  return new Date(t).toISOString().slice(0, 10);
}

export function shortCommit(commit: string | null): string {
  return commit ? commit.slice(0, 8) : '—';
}

export const STATUS_LABELS: Readonly<Record<EntryStatus, string>> = {
  queued: 'Queued',
  downloading: 'Downloading',
  paused: 'Paused',
  ready: 'Ready',
  error: 'Error',
  cancelled: 'Cancelled',
  missing: 'Missing',
};

export const STATUS_ICONS: Readonly<Record<EntryStatus, string>> = {
  queued: 'clock',
  downloading: 'cloud-download',
  paused: 'debug-pause',
  ready: 'pass-filled',
  error: 'error',
  cancelled: 'circle-slash',
  missing: 'warning',
};
