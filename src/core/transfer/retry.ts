/** A failure worth retrying: 5xx, 408, 429, dropped or stalled connections, truncated bodies. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    message: string,
    readonly detail: {
      readonly status?: number;
      readonly retryAfterMs?: number;
      /** The host could not be reached at all (DNS, refused, unreachable): reported as Offline when retries run out. */
      readonly unreachable?: boolean;
      /** Retry at once (a cached signed URL expired; fetching a fresh one costs no backoff). */
      readonly immediate?: boolean;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

const RETRY_AFTER_FLOOR_CAP_MS = 60_000;

/** Exponential backoff with jitter (50–100 % of the step) so parallel parts do not retry in lockstep. */
export function backoffDelayMs(failures: number, options: ResolvedRetryOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step * (0.5 + 0.5 * random()));
}

/** The wait before the next attempt: the server's Retry-After when given (capped), else backoff. */
export function retryDelayMs(error: TransientError, failures: number, options: ResolvedRetryOptions): number {
  if (error.detail.immediate) return 0;
  const retryAfter = error.detail.retryAfterMs;
  if (retryAfter !== undefined) return Math.min(retryAfter, Math.max(options.maxDelayMs, RETRY_AFTER_FLOOR_CAP_MS));
  return backoffDelayMs(failures, options);
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Resolves after `ms`, or early when `signal` aborts (the caller checks the signal next). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
