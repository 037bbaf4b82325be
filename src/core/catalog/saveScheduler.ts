import { MistudioError, describeError } from '../errors';

export interface SaveSchedulerOptions {
  /** Writes every change made so far; called outside any transaction. */
  readonly save: () => Promise<void>;
  readonly delayMs: number;
  readonly onFailure: (error: MistudioError) => void;
}

/**
 * Coalesces many changes into one write: the first change after a quiet period starts a timer, changes until it
 * fires ride along. Writes never overlap; a change made during a write schedules the next one. A failed write keeps
 * the changes pending, and the next change (or flush) tries again.
 */
export class SaveScheduler {
  private changeSeq = 0;
  private savedSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastDurationMs = 0;
  private disposed = false;
  private requestedWhileRunning = false;

  constructor(private readonly options: SaveSchedulerOptions) {}

  get hasUnsavedChanges(): boolean {
    return this.changeSeq > this.savedSeq;
  }

  request(): void {
    this.changeSeq += 1;
    if (this.running) this.requestedWhileRunning = true;
    this.schedule();
  }

  /** Writes everything changed before this call; rejects if that final write fails. */
  async flush(): Promise<void> {
    const target = this.changeSeq;
    while (this.savedSeq < target && !this.disposed) {
      this.clearTimer();
      if (this.running) {
        await this.running.catch(() => undefined);
        continue;
      }
      await this.start();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private schedule(): void {
    if (this.timer || this.running || this.disposed) return;
    // A slow write (huge catalog, slow disk) stretches the gap so saving never takes most of the time.
    const delay = Math.max(this.options.delayMs, this.lastDurationMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start().catch(() => undefined);
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): Promise<void> {
    this.requestedWhileRunning = false;
    const run = this.saveOnce();
    this.running = run;
    const settle = (succeeded: boolean): void => {
      this.running = undefined;
      // After a failure, retry only when something new asks for it: a full disk should not be hammered.
      if (this.hasUnsavedChanges && (succeeded || this.requestedWhileRunning)) this.schedule();
    };
    run.then(
      () => settle(true),
      () => settle(false),
    );
    return run;
  }

  private async saveOnce(): Promise<void> {
    // Yield first: a flush() called inside a transaction must not export the half-done transaction.
    await Promise.resolve();
    const seq = this.changeSeq;
    const started = performance.now();
    try {
      await this.options.save();
    } catch (err) {
      const error = err instanceof MistudioError ? err : new MistudioError('Io', `Cannot save the catalog: ${describeError(err)}`, {}, { cause: err });
      this.options.onFailure(error);
      throw error;
    } finally {
      this.lastDurationMs = performance.now() - started;
    }
    this.savedSeq = Math.max(this.savedSeq, seq);
  }
}
