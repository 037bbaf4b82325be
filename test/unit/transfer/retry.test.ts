import { describe, expect, it } from 'vitest';
import { TransientError, backoffDelayMs, parseRetryAfter, retryDelayMs, sleep } from '../../../src/core/transfer/retry';

const OPTIONS = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 };

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });
  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('delays', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(1, OPTIONS, () => 1)).toBe(100);
    expect(backoffDelayMs(2, OPTIONS, () => 1)).toBe(200);
    expect(backoffDelayMs(3, OPTIONS, () => 0)).toBe(200);
    expect(backoffDelayMs(20, OPTIONS, () => 1)).toBe(2_000);
  });
  it('honours Retry-After over backoff, capped at max(maxDelay, 60 s)', () => {
    expect(retryDelayMs(new TransientError('429', { status: 429, retryAfterMs: 1_500 }), 1, OPTIONS)).toBe(1_500);
    expect(retryDelayMs(new TransientError('429', { status: 429, retryAfterMs: 3_600_000 }), 1, OPTIONS)).toBe(60_000);
  });
  it('retries an expired remembered URL at once', () => {
    expect(retryDelayMs(new TransientError('expired', { immediate: true }), 3, OPTIONS)).toBe(0);
  });
  it('sleep ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
