import { formatBytes, formatDuration, formatRate, rateLimitNote, waitingNote, type ProgressSnapshot } from '../core/progress';

export interface ProgressStep {
  /** Percent points to add to the notification's bar (VS Code sums increments). */
  readonly increment: number;
  readonly message: string;
}

export interface NotificationProgressOptions {
  /** Milliseconds between reports; the first report is never held back. Default 250. */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Turns a stream of progress snapshots into `progress.report()` steps for a notification: increments are whole
 * percent points that never go backwards and add up to exactly 100 once `finish()` is called, and reports are
 * throttled so a fast download does not repaint the notification on every chunk.
 */
export class NotificationProgress {
  private reported = 0;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private lastMessage = '';
  private finished = false;
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(options: NotificationProgressOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 250;
    this.now = options.now ?? (() => performance.now());
  }

  /** Percent points reported so far. */
  get total(): number {
    return this.reported;
  }

  /** The step to report for this snapshot, or undefined when throttled or nothing changed. */
  update(snapshot: ProgressSnapshot): ProgressStep | undefined {
    if (this.finished) return undefined;
    const now = this.now();
    if (now - this.lastReportAt < this.minIntervalMs) return undefined;
    // 100 is reserved for finish(): the bar must not look full while the last file is still being verified.
    const target = Math.min(99, Math.max(0, Math.floor(snapshot.fraction * 100)));
    const increment = Math.max(0, target - this.reported);
    const message = progressMessage(snapshot);
    if (increment === 0 && message === this.lastMessage) return undefined;
    this.reported += increment;
    this.lastReportAt = now;
    this.lastMessage = message;
    return { increment, message };
  }

  /** The step that completes the bar; afterwards update() reports nothing. */
  finish(message = 'Done'): ProgressStep {
    const increment = this.finished ? 0 : 100 - this.reported;
    this.finished = true;
    this.reported = 100;
    return { increment, message };
  }
}

/** "12.3 MB of 1.2 GB · 4.5 MB/s · 1m 20s left". */
export function progressMessage(snapshot: ProgressSnapshot): string {
  const rateLimited = rateLimitNote(snapshot.rateLimitResumeSeconds);
  if (snapshot.bytesTotal <= 0) return rateLimited ? `Preparing… · ${rateLimited}` : 'Preparing…';
  const parts = [`${formatBytes(snapshot.bytesDone)} of ${formatBytes(snapshot.bytesTotal)}`];
  if (snapshot.bytesPerSecond > 0) {
    parts.push(formatRate(snapshot.bytesPerSecond));
    if (snapshot.etaSeconds !== undefined) parts.push(`${formatDuration(snapshot.etaSeconds)} left`);
  }
  const waiting = waitingNote(snapshot.waitingFiles);
  if (waiting) parts.push(waiting);
  if (rateLimited) parts.push(rateLimited);
  return parts.join(' · ');
}
