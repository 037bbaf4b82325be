import { describe, expect, it } from 'vitest';
import { delay } from '../../../src/core/delay';
import { isCancellation } from '../../../src/core/errors';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, isIdempotent, isRetryableStatus, resolveRetryPolicy, retryDelayMs } from '../../../src/core/net/retry';
import { describePolicy, parseRateLimit, parseRetryAfterMs, serverWait } from '../../../src/core/net/serverWait';

// The one retry policy of metadata calls and file transfers (core/hub and core/transfer both use these functions).
const POLICY = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000, maxServerWaitMs: 60_000 };

describe('which answers are retried', () => {
  it('huggingface_hub’s statuses: 408, 429, 500, 502, 503, 504 — no other', () => {
    const retried = Array.from({ length: 600 }, (_, status) => status).filter(isRetryableStatus);
    expect(retried).toEqual([408, 429, 500, 502, 503, 504]);
  });

  it('only requests that change nothing', () => {
    expect(isIdempotent('GET') && isIdempotent('head') && isIdempotent(undefined)).toBe(true);
    expect(isIdempotent('POST') || isIdempotent('PUT') || isIdempotent('DELETE')).toBe(false);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('3')).toBe(3000);
    expect(parseRetryAfterMs(' 0 ')).toBe(0);
  });
  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
    expect(parseRetryAfterMs('soon')).toBeUndefined();
  });
  it('is what a response asks for, whatever the case of the header name', () => {
    const headers = new Headers({ 'Retry-After': '7' });
    expect(serverWait(503, (name) => headers.get(name) ?? undefined)).toEqual({ ms: 7_000, rateLimited: false });
    expect(serverWait(503, () => undefined)).toBeUndefined();
  });
});

describe('RateLimit and RateLimit-Policy (as huggingface_hub reads them)', () => {
  const lookup = (values: Record<string, string>) => {
    const headers = new Headers(values);
    return (name: string): string | undefined => headers.get(name) ?? undefined;
  };

  it('parses the Hub’s headers', () => {
    expect(parseRateLimit(lookup({ RateLimit: '"api";r=0;t=55', 'RateLimit-Policy': '"fixed window";"api";q=500;w=300' }))).toEqual({
      resource: 'api',
      remaining: 0,
      resetSeconds: 55,
      limit: 500,
      windowSeconds: 300,
    });
    expect(parseRateLimit(lookup({ ratelimit: '"resolvers" ; r = 12 ; t = 3' }))).toEqual({ resource: 'resolvers', remaining: 12, resetSeconds: 3 });
    expect(parseRateLimit(lookup({ RateLimit: 'nonsense' }))).toBeUndefined();
    expect(parseRateLimit(lookup({ RateLimit: `"api";r=0;t=5${'x'.repeat(5000)}` }))).toBeUndefined();
    expect(describePolicy(parseRateLimit(lookup({ RateLimit: '"api";r=0;t=55', 'RateLimit-Policy': '"fixed window";"api";q=500;w=300' })))).toBe('500 api requests per 5 min');
  });

  it('a 429 with nothing left waits until the window resets, plus a second, before Retry-After', () => {
    const wait = serverWait(429, lookup({ RateLimit: '"api";r=0;t=55', 'Retry-After': '2' }));
    expect(wait).toMatchObject({ ms: 56_000, rateLimited: true });
    expect(wait?.rateLimit?.resetSeconds).toBe(55);
  });

  it('RateLimit counts only on a 429 with nothing remaining; otherwise Retry-After decides', () => {
    expect(serverWait(429, lookup({ RateLimit: '"api";r=3;t=55', 'Retry-After': '2' }))).toMatchObject({ ms: 2_000, rateLimited: true });
    expect(serverWait(503, lookup({ RateLimit: '"api";r=0;t=55', 'Retry-After': '2' }))).toEqual({ ms: 2_000, rateLimited: false });
    expect(serverWait(429, lookup({ RateLimit: '"api";r=3;t=55' }))).toBeUndefined();
  });
});

describe('waits', () => {
  it('back off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(1, POLICY, () => 1)).toBe(100);
    expect(backoffDelayMs(2, POLICY, () => 1)).toBe(200);
    expect(backoffDelayMs(3, POLICY, () => 0)).toBe(200);
    expect(backoffDelayMs(20, POLICY, () => 1)).toBe(2_000);
  });

  it('honour the server’s wait over backoff, up to the policy’s cap', () => {
    expect(retryDelayMs(1, 1_500, POLICY)).toBe(1_500);
    expect(retryDelayMs(1, 0, POLICY)).toBe(0);
    expect(retryDelayMs(1, 3_600_000, POLICY)).toBe(60_000);
    expect(retryDelayMs(3, undefined, POLICY, () => 1)).toBe(400);
  });

  it('by default: five attempts, and a server may ask for up to five minutes (the Hub’s rate-limit window)', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBe(5);
    expect(retryDelayMs(1, 55_000, DEFAULT_RETRY_POLICY)).toBe(55_000);
    expect(retryDelayMs(1, 86_400_000, DEFAULT_RETRY_POLICY)).toBe(300_000);
  });

  it('partial policies fill in from the default; nonsense is clamped', () => {
    expect(resolveRetryPolicy(undefined)).toEqual(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy({ maxAttempts: 0, baseDelayMs: -5, maxServerWaitMs: Number.NaN })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 1, baseDelayMs: 0 });
  });

  it('a cancel during a wait rejects at once with the cancellation the rest of core uses', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = delay(60_000, controller.signal);
    controller.abort();
    const outcome = await waiting.then(() => 'resolved', (err: unknown) => err);
    expect(isCancellation(outcome)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
