import { delay } from '../delay';

/**
 * When and how long to wait before asking a server again: one policy for metadata calls (core/hub) and file
 * transfers (core/transfer), following huggingface_hub's http_backoff.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. */
  readonly maxAttempts: number;
  /** The first backoff step; each later one doubles, with jitter. */
  readonly baseDelayMs: number;
  /** The longest backoff step. */
  readonly maxDelayMs: number;
  /** The longest wait a server may ask for (Retry-After); a longer ask is cut to this and the request tried again. */
  readonly maxServerWaitMs: number;
}

/**
 * Five attempts, as huggingface_hub. A server's wait is honoured up to five minutes: the Hub's rate-limit windows
 * are five minutes long (`RateLimit-Policy: …;w=300`), so an honest reset always fits, while a hostile or confused
 * server cannot park a download for hours — and every wait ends at once on cancel.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 10_000, maxServerWaitMs: 300_000 };

export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const whole = (value: number | undefined, fallback: number, min: number): number =>
    value !== undefined && Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
  return {
    maxAttempts: whole(partial?.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts, 1),
    baseDelayMs: whole(partial?.baseDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs, 0),
    maxDelayMs: whole(partial?.maxDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs, 0),
    maxServerWaitMs: whole(partial?.maxServerWaitMs, DEFAULT_RETRY_POLICY.maxServerWaitMs, 0),
  };
}

/** huggingface_hub's retryable answers: request timeout, rate limited, and the server errors a busy server gives. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Only requests that change nothing may be repeated. */
export function isIdempotent(method: string | undefined): boolean {
  const m = (method ?? 'GET').toUpperCase();
  return m === 'GET' || m === 'HEAD';
}

/** Exponential backoff with jitter (50–100 % of the step), so parallel requests do not retry in lockstep. */
export function backoffDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step * (0.5 + 0.5 * random()));
}

/** The wait before attempt `failures + 1`: what the server asked for (capped), else backoff. */
export function retryDelayMs(failures: number, serverWaitMs: number | undefined, policy: RetryPolicy, random: () => number = Math.random): number {
  if (serverWaitMs !== undefined) return Math.min(serverWaitMs, policy.maxServerWaitMs);
  return backoffDelayMs(failures, policy, random);
}

/** A request waiting because its server said so (a 429's RateLimit reset, a Retry-After). */
export interface ServerWaitNotice {
  readonly ms: number;
  /** A 429: shown as "rate limited by the Hub, resuming in N s" while it lasts. */
  readonly rateLimited: boolean;
  /** Who asked for the wait (an origin). */
  readonly host: string;
}

/** Told when such a wait starts; the function it returns is called when the wait ends (elapsed or cancelled). */
export type ServerWaitListener = (notice: ServerWaitNotice) => () => void;

/**
 * Waits `ms` before the next attempt; a wait the server asked for is announced to `listener` for as long as it lasts.
 * Rejects with Cancelled at once on abort.
 */
export async function waitBeforeRetry(ms: number, signal: AbortSignal | undefined, notice: Omit<ServerWaitNotice, 'ms'> | undefined, listener: ServerWaitListener | undefined): Promise<void> {
  const end = notice !== undefined && listener !== undefined && ms > 0 ? safeListen(listener, { ...notice, ms }) : undefined;
  try {
    await delay(ms, signal);
  } finally {
    end?.();
  }
}

function safeListen(listener: ServerWaitListener, notice: ServerWaitNotice): (() => void) | undefined {
  try {
    const end = listener(notice);
    return () => {
      try {
        end();
      } catch {
        // A broken listener must not break the request.
      }
    };
  } catch {
    return undefined;
  }
}
