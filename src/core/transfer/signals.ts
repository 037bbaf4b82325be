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
