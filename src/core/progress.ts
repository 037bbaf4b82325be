import { Emitter, type Disposable, type Event } from './events';

/**
 * One progress model per catalog entry (or per file): bytes done/total, a smoothed rate and an ETA, with update
 * events throttled so a 64 KiB-chunk stream does not flood the UI. The clock is injectable for tests.
 */
export interface ProgressSnapshot {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** 0..1; reaches 1 only after `complete()`, so a UI never shows "100 %" while verification still runs. */
  readonly fraction: number;
  readonly bytesPerSecond: number;
  /** Undefined until a rate has been measured (and while nothing moves). */
  readonly etaSeconds: number | undefined;
  /** Files waiting for another download of the same blob (another entry, process or tool holds its lock). */
  readonly waitingFiles: number;
  /**
   * Seconds until requests the Hub rate-limited are asked again (its `RateLimit` reset); absent while none waits.
   * Counts down in the events while nothing else moves.
   */
  readonly rateLimitResumeSeconds?: number;
}

export interface ProgressTrackerOptions {
  readonly totalBytes: number;
  /** Bytes already present when tracking starts (a resumed download); they do not count towards the rate. */
  readonly initialBytes?: number;
  /** Milliseconds, monotonic. Default: performance.now. */
  readonly now?: () => number;
  readonly emitIntervalMs?: number;
}

// The rate is an exponentially weighted average of per-window rates: windows of at least SAMPLE_MS, weighted by
// exp(-dt/TAU_MS) so the figure follows real changes within a few seconds without jittering on every chunk.
const SAMPLE_MS = 250;
const TAU_MS = 3_000;
const MAX_FRACTION_BEFORE_COMPLETE = 0.999;

export class ProgressTracker implements Disposable {
  private readonly emitter = new Emitter<ProgressSnapshot>();
  readonly onUpdate: Event<ProgressSnapshot> = this.emitter.event;

  private readonly now: () => number;
  private readonly emitIntervalMs: number;
  private bytesTotal: number;
  private bytesDone: number;
  private completed = false;
  private waiting = 0;
  /** When each rate-limited wait in progress ends (this tracker's clock). */
  private readonly rateLimitWaits = new Set<{ readonly until: number }>();
  private countdown: ReturnType<typeof setInterval> | undefined;

  private movedBytes = 0; // only positive deltas: discarded bytes must not make the rate negative
  private sampleStartMs: number;
  private sampleStartMoved = 0;
  private rate: number | undefined;

  private lastEmitMs = Number.NEGATIVE_INFINITY;
  private trailingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ProgressTrackerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.emitIntervalMs = options.emitIntervalMs ?? 100;
    this.bytesTotal = Math.max(0, options.totalBytes);
    this.bytesDone = Math.max(0, options.initialBytes ?? 0);
    this.sampleStartMs = this.now();
  }

  /** Bytes landed (positive) or discarded by a restart (negative). */
  add(deltaBytes: number): void {
    if (this.completed || deltaBytes === 0 || !Number.isFinite(deltaBytes)) return;
    this.bytesDone = Math.max(0, this.bytesDone + deltaBytes);
    if (deltaBytes > 0) this.movedBytes += deltaBytes;
    this.sample(this.now());
    this.scheduleEmit();
  }

  /** A file starts waiting for another writer of its blob; call the returned function when the wait ends. */
  beginWait(): () => void {
    this.waiting += 1;
    this.scheduleEmit();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.waiting -= 1;
      this.scheduleEmit();
    };
  }

  /**
   * A request waits `ms` because the Hub rate-limited it: the snapshot counts down to its end (an event every second,
   * so "resuming in 48 s" ticks while no byte moves). Call the returned function when the wait ends.
   */
  beginRateLimitWait(ms: number): () => void {
    const wait = { until: this.now() + Math.max(0, ms) };
    this.rateLimitWaits.add(wait);
    if (this.countdown === undefined) {
      this.countdown = setInterval(() => this.scheduleEmit(), 1000);
      this.countdown.unref?.();
    }
    this.scheduleEmit();
    return () => {
      if (!this.rateLimitWaits.delete(wait)) return;
      if (this.rateLimitWaits.size === 0) this.stopCountdown();
      this.scheduleEmit();
    };
  }

  /**
   * A fresh start once the plan is known (the tracker may exist before, to show a rate limit while planning): the
   * total and the bytes already present, which do not count towards the rate.
   */
  start(totalBytes: number, initialBytes: number): void {
    this.bytesTotal = Math.max(0, totalBytes);
    this.bytesDone = Math.max(0, initialBytes);
    this.movedBytes = 0;
    this.sampleStartMs = this.now();
    this.sampleStartMoved = 0;
    this.rate = undefined;
    this.scheduleEmit();
  }

  setTotal(totalBytes: number): void {
    this.bytesTotal = Math.max(0, totalBytes);
    this.scheduleEmit();
  }

  /** Marks the work finished: fraction 1, and one final event regardless of throttling. */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.stopCountdown();
    this.bytesDone = Math.max(this.bytesDone, this.bytesTotal);
    this.cancelTrailing();
    this.emit();
  }

  snapshot(): ProgressSnapshot {
    const nowMs = this.now();
    const bytesPerSecond = this.completed ? (this.rate ?? 0) : this.currentRate(nowMs);
    const remaining = Math.max(0, this.bytesTotal - this.bytesDone);
    let fraction = 0;
    if (this.completed) fraction = 1;
    else if (this.bytesTotal > 0) fraction = Math.min(MAX_FRACTION_BEFORE_COMPLETE, this.bytesDone / this.bytesTotal);
    let etaSeconds: number | undefined;
    if (this.completed) etaSeconds = 0;
    else if (this.rate !== undefined && bytesPerSecond > 0) etaSeconds = remaining / bytesPerSecond;
    const resumeAt = this.completed ? undefined : Math.max(Number.NEGATIVE_INFINITY, ...[...this.rateLimitWaits].map((w) => w.until));
    const rateLimitResumeSeconds = resumeAt !== undefined && Number.isFinite(resumeAt) ? Math.max(0, Math.ceil((resumeAt - nowMs) / 1000)) : undefined;
    return {
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      fraction,
      bytesPerSecond,
      etaSeconds,
      waitingFiles: this.completed ? 0 : this.waiting,
      ...(rateLimitResumeSeconds !== undefined ? { rateLimitResumeSeconds } : {}),
    };
  }

  dispose(): void {
    this.stopCountdown();
    this.cancelTrailing();
    this.emitter.dispose();
  }

  private sample(nowMs: number): void {
    const elapsed = nowMs - this.sampleStartMs;
    if (elapsed < SAMPLE_MS) return;
    this.rate = this.blend(this.rate, (this.movedBytes - this.sampleStartMoved) / (elapsed / 1000), elapsed);
    this.sampleStartMs = nowMs;
    this.sampleStartMoved = this.movedBytes;
  }

  /** The rate as of now, decaying towards zero while no bytes arrive (without committing a sample). */
  private currentRate(nowMs: number): number {
    const elapsed = nowMs - this.sampleStartMs;
    if (this.rate === undefined || elapsed < SAMPLE_MS) return this.rate ?? 0;
    return this.blend(this.rate, (this.movedBytes - this.sampleStartMoved) / (elapsed / 1000), elapsed);
  }

  private blend(previous: number | undefined, instant: number, elapsedMs: number): number {
    if (previous === undefined) return instant;
    const weight = 1 - Math.exp(-elapsedMs / TAU_MS);
    return previous + weight * (instant - previous);
  }

  // Leading-edge throttle plus one trailing emit, so the last value before a pause is never lost.
  private scheduleEmit(): void {
    if (this.completed) return;
    const wait = this.lastEmitMs + this.emitIntervalMs - this.now();
    if (wait <= 0) {
      this.cancelTrailing();
      this.emit();
      return;
    }
    if (this.trailingTimer !== undefined) return;
    this.trailingTimer = setTimeout(() => {
      this.trailingTimer = undefined;
      this.emit();
    }, wait);
    this.trailingTimer.unref?.();
  }

  private emit(): void {
    this.lastEmitMs = this.now();
    this.emitter.fire(this.snapshot());
  }

  private stopCountdown(): void {
    if (this.countdown !== undefined) clearInterval(this.countdown);
    this.countdown = undefined;
  }

  private cancelTrailing(): void {
    if (this.trailingTimer !== undefined) clearTimeout(this.trailingTimer);
    this.trailingTimer = undefined;
  }
}

// Decimal units, as the Hugging Face Hub shows sizes (1 GB = 10^9 bytes), so numbers match the model page.
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1000) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let text = value >= 100 ? value.toFixed(0) : value.toFixed(1);
  // 999.96 MB rounds to "1000 MB"; show it as the next unit instead.
  if (Number(text) >= 1000 && unit < UNITS.length - 1) {
    unit++;
    text = (value / 1000).toFixed(1);
  }
  return `${sign}${text} ${UNITS[unit]}`;
}

/** What a download waits for while another writer (entry, process, Python) holds a blob's lock; undefined when nothing. */
export function waitingNote(waitingFiles: number): string | undefined {
  if (!(waitingFiles > 0)) return undefined;
  return waitingFiles === 1 ? 'waiting for another download of this file' : `waiting for other downloads of ${waitingFiles} files`;
}

/** What a download waits for while the Hub rate-limits it: "rate limited by the Hub, resuming in 48 s". */
export function rateLimitNote(resumeSeconds: number | undefined): string | undefined {
  if (resumeSeconds === undefined) return undefined;
  return resumeSeconds > 0 ? `rate limited by the Hub, resuming in ${resumeSeconds} s` : 'rate limited by the Hub, resuming now';
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "45s", "1m 20s", "2h 5m", "3d 4h"; "—" when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const secs = total % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return secs > 0 ? `${minutes}m ${secs}s` : `${minutes}m`;
  return `${secs}s`;
}
