import { setMaxListeners } from 'node:events';

export interface LinkedAbort {
  readonly controller: AbortController;
  readonly signal: AbortSignal;
  /** Detaches from the parent so finished children do not pile up listeners on a long-lived signal. */
  dispose(): void;
}

/** A child AbortController that aborts when `parent` does, and can also be aborted on its own. */
export function linkAbort(parent: AbortSignal | undefined): LinkedAbort {
  const controller = new AbortController();
  // Every part and attempt of a file listens on its parent; the default limit of 10 would warn spuriously.
  setMaxListeners(256, controller.signal);
  if (parent === undefined) return { controller, signal: controller.signal, dispose: () => undefined };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, signal: controller.signal, dispose: () => undefined };
  }
  const onAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, signal: controller.signal, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Fires `onStall` when `touch()` has not been called for `ms` milliseconds. */
export class StallWatchdog {
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(ms: number, onStall: () => void) {
    this.timer = setTimeout(onStall, ms);
    this.timer.unref?.();
  }

  touch(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * A floor under a response's throughput: every `windowMs` the bytes received in that window must reach
 * `minBytesPerSecond` × its length, else `onTooSlow` fires (a slow-loris server trickling a byte now and then stays
 * under any stall timeout, and would hold a download slot for ever). Time spent waiting on our own disk (between
 * `pause()` and `resume()`) is not the server's and does not count; a window mostly spent there is not judged.
 */
export class ThroughputFloor {
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private bytes = 0;
  private windowStart = performance.now();
  private pausedMs = 0;
  private pausedAt: number | undefined;

  constructor(
    private readonly minBytesPerSecond: number,
    private readonly windowMs: number,
    private readonly onTooSlow: (bytes: number, ms: number) => void,
  ) {
    if (minBytesPerSecond <= 0) return;
    this.timer = setInterval(() => this.check(), windowMs);
    this.timer.unref?.();
  }

  add(bytes: number): void {
    this.bytes += bytes;
  }

  pause(): void {
    this.pausedAt ??= performance.now();
  }

  resume(): void {
    if (this.pausedAt === undefined) return;
    this.pausedMs += performance.now() - this.pausedAt;
    this.pausedAt = undefined;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private check(): void {
    const now = performance.now();
    const paused = this.pausedMs + (this.pausedAt !== undefined ? now - this.pausedAt : 0);
    const serverMs = now - this.windowStart - paused;
    const bytes = this.bytes;
    this.windowStart = now;
    this.pausedMs = 0;
    if (this.pausedAt !== undefined) this.pausedAt = now;
    this.bytes = 0;
    if (serverMs < this.windowMs / 2) return;
    if (bytes < (this.minBytesPerSecond * serverMs) / 1000) {
      this.stop();
      this.onTooSlow(bytes, serverMs);
    }
  }
}
