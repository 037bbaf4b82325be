/**
 * How long a server asked us to wait before asking again, read as huggingface_hub's http_backoff reads it: a 429
 * whose `RateLimit` header says nothing remains in the window (`"api";r=0;t=55`) waits until the window resets (t
 * seconds, plus one against rounding, as huggingface_hub does); otherwise `Retry-After` (seconds, or an HTTP date).
 * `RateLimit-Policy` (`"fixed window";"api";q=500;w=300`) says how big the window is, for messages.
 */
export type HeaderLookup = (name: string) => string | undefined;

/** The Hub's rate-limit headers (IETF draft-ietf-httpapi-ratelimit-headers, the subset the Hub sends). */
export interface RateLimitInfo {
  /** Which limit: "api", "resolvers", "pages". */
  readonly resource: string;
  /** Requests left in the current window. */
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
  /** From RateLimit-Policy: requests allowed per window, and the window's length in seconds. */
  readonly limit?: number;
  readonly windowSeconds?: number;
}

export interface ServerWait {
  readonly ms: number;
  /** The wait is a rate limit's (a 429): shown as "rate limited by the Hub" while it lasts. */
  readonly rateLimited: boolean;
  /** The RateLimit headers, when the wait came from them. */
  readonly rateLimit?: RateLimitInfo;
}

// "api";r=0;t=55 — the resource in quotes, then r (remaining) and t (seconds to reset), in that order.
const RATELIMIT = /"(\w+)"\s*;\s*r\s*=\s*(\d{1,12})\s*;\s*t\s*=\s*(\d{1,12})/;
// "fixed window";"api";q=500;w=300 — q (quota) somewhere before w (window).
const RATELIMIT_POLICY = /q\s*=\s*(\d{1,12})[^]*?w\s*=\s*(\d{1,12})/;
/** Header values longer than this are not read (a hostile server's megabyte header costs nothing). */
const MAX_HEADER_CHARS = 1024;

/** The RateLimit / RateLimit-Policy headers, or undefined when RateLimit is absent or unreadable. */
export function parseRateLimit(header: HeaderLookup): RateLimitInfo | undefined {
  const value = header('ratelimit');
  if (value === undefined || value.length > MAX_HEADER_CHARS) return undefined;
  const match = RATELIMIT.exec(value);
  if (match === null) return undefined;
  const info: RateLimitInfo = { resource: match[1] as string, remaining: Number(match[2]), resetSeconds: Number(match[3]) };
  const policy = header('ratelimit-policy');
  const quota = policy !== undefined && policy.length <= MAX_HEADER_CHARS ? RATELIMIT_POLICY.exec(policy) : null;
  return quota === null ? info : { ...info, limit: Number(quota[1]), windowSeconds: Number(quota[2]) };
}

/** What the answer asks of us before the next attempt; undefined when it says nothing (then: backoff). */
export function serverWait(status: number, header: HeaderLookup, nowMs: number = Date.now()): ServerWait | undefined {
  const rateLimited = status === 429;
  const rateLimit = rateLimited ? parseRateLimit(header) : undefined;
  if (rateLimit !== undefined && rateLimit.remaining === 0) return { ms: (rateLimit.resetSeconds + 1) * 1000, rateLimited, rateLimit };
  const retryAfter = parseRetryAfterMs(header('retry-after'), nowMs);
  if (retryAfter !== undefined) return { ms: retryAfter, rateLimited, ...(rateLimit ? { rateLimit } : {}) };
  return undefined;
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined || value.length > MAX_HEADER_CHARS) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,12}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** "500 requests per 5 min" from RateLimit-Policy, for messages; undefined without one. */
export function describePolicy(info: RateLimitInfo | undefined): string | undefined {
  if (info?.limit === undefined || info.windowSeconds === undefined) return undefined;
  const w = info.windowSeconds;
  const window = w % 60 === 0 && w >= 60 ? `${w / 60} min` : `${w} s`;
  return `${info.limit} ${info.resource} requests per ${window}`;
}
