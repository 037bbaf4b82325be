/** How metadata requests retry transient failures (file transfers have their own policy in core/transfer). */
export interface HubRetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. */
  readonly maxAttempts: number;
  /** The first backoff step; each later one doubles, with jitter. */
  readonly baseDelayMs: number;
  /** Longest backoff step, and the cap on a server's Retry-After. */
  readonly maxDelayMs: number;
}

/** Like the transfer engine: five attempts, so one 503 from a busy Hub no longer fails a whole download. */
export const DEFAULT_HUB_RETRY: HubRetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 10_000 };

export function resolveRetryPolicy(partial: Partial<HubRetryPolicy> | undefined): HubRetryPolicy {
  const whole = (value: number | undefined, fallback: number, min: number): number =>
    value !== undefined && Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
  return {
    maxAttempts: whole(partial?.maxAttempts, DEFAULT_HUB_RETRY.maxAttempts, 1),
    baseDelayMs: whole(partial?.baseDelayMs, DEFAULT_HUB_RETRY.baseDelayMs, 0),
    maxDelayMs: whole(partial?.maxDelayMs, DEFAULT_HUB_RETRY.maxDelayMs, 0),
  };
}

/** Answers worth asking again: the server was busy or failed (5xx but 501 "not implemented"), or rate-limited us. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Only requests that change nothing may be repeated. */
export function isIdempotent(method: string | undefined): boolean {
  const m = (method ?? 'GET').toUpperCase();
  return m === 'GET' || m === 'HEAD';
}

/**
 * The wait before attempt `failures + 1`: the server's Retry-After when it gave one, capped so a hostile or
 * confused server cannot park a download for hours; else exponential backoff with jitter (50–100 % of the step).
 */
export function retryDelayMs(failures: number, retryAfterSeconds: number | undefined, policy: HubRetryPolicy, random: () => number = Math.random): number {
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, policy.maxDelayMs);
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step * (0.5 + 0.5 * random()));
}
