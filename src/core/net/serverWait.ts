/**
 * How long a server asked us to wait before asking again. Today that is `Retry-After`; the Hub's `RateLimit` /
 * `RateLimit-Policy` headers (a 429 with `r=0;t=55`: wait 55 s) belong here too, read before Retry-After as
 * huggingface_hub does, so both metadata calls and transfers honour them.
 */
export type HeaderLookup = (name: string) => string | undefined;

export function serverWaitMs(header: HeaderLookup, nowMs: number = Date.now()): number | undefined {
  return parseRetryAfterMs(header('retry-after'), nowMs);
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
