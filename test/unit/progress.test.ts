import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressTracker, formatBytes, formatDuration, formatRate, rateLimitNote, type ProgressSnapshot } from '../../src/core/progress';
import { progressLine } from '../../src/core/cli/output';
import { progressMessage } from '../../src/host/notificationProgress';

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressTracker', () => {
  it('tracks bytes and fraction, reaching 1 only on complete()', () => {
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 1000, now: clock.now });
    tracker.add(250);
    expect(tracker.snapshot()).toMatchObject({ bytesDone: 250, bytesTotal: 1000, fraction: 0.25 });
    tracker.add(750);
    const beforeComplete = tracker.snapshot();
    expect(beforeComplete.bytesDone).toBe(1000);
    expect(beforeComplete.fraction).toBeLessThan(1);
    expect(beforeComplete.fraction).toBeGreaterThan(0.99);
    tracker.complete();
    expect(tracker.snapshot().fraction).toBe(1);
    expect(tracker.snapshot().etaSeconds).toBe(0);
    tracker.dispose();
  });

  it('never reports a fraction above 1 even when more bytes than the total arrive', () => {
    const tracker = new ProgressTracker({ totalBytes: 100, now: fakeClock().now });
    tracker.add(500);
    expect(tracker.snapshot().fraction).toBeLessThanOrEqual(1);
    tracker.dispose();
  });

  it('handles negative deltas (a restart discarding bytes) without going below zero', () => {
    const tracker = new ProgressTracker({ totalBytes: 100, initialBytes: 40, now: fakeClock().now });
    tracker.add(-60);
    expect(tracker.snapshot().bytesDone).toBe(0);
    tracker.add(30);
    expect(tracker.snapshot().bytesDone).toBe(30);
    tracker.dispose();
  });

  it('measures a steady rate and derives the ETA from it', () => {
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 10_000_000, now: clock.now });
    expect(tracker.snapshot().etaSeconds).toBeUndefined();
    for (let i = 0; i < 40; i++) {
      clock.advance(100);
      tracker.add(100_000); // 1 MB/s
    }
    const snap = tracker.snapshot();
    expect(snap.bytesPerSecond).toBeCloseTo(1_000_000, -3);
    expect(snap.etaSeconds).toBeCloseTo((10_000_000 - 4_000_000) / snap.bytesPerSecond, 6);
    tracker.dispose();
  });

  it('smooths: a rate change moves the estimate gradually, and a stall decays it', () => {
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 1e12, now: clock.now });
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      tracker.add(100_000); // 1 MB/s for 10 s
    }
    clock.advance(500);
    tracker.add(5_000_000); // a burst at 10 MB/s
    const afterBurst = tracker.snapshot().bytesPerSecond;
    expect(afterBurst).toBeGreaterThan(1_000_000);
    expect(afterBurst).toBeLessThan(10_000_000);
    clock.advance(10_000); // nothing for 10 s
    const afterStall = tracker.snapshot().bytesPerSecond;
    expect(afterStall).toBeLessThan(afterBurst / 2);
    tracker.dispose();
  });

  it('excludes resumed bytes from the rate', () => {
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 2_000_000, initialBytes: 1_000_000, now: clock.now });
    clock.advance(1000);
    tracker.add(1000);
    expect(tracker.snapshot().bytesPerSecond).toBeCloseTo(1000, 6);
    expect(tracker.snapshot().bytesDone).toBe(1_001_000);
    tracker.dispose();
  });

  it('throttles updates to one per interval, with a trailing update and a final one on complete()', () => {
    vi.useFakeTimers();
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 1000, now: clock.now, emitIntervalMs: 100 });
    const seen: ProgressSnapshot[] = [];
    const subscription = tracker.onUpdate((s) => seen.push(s));

    tracker.add(10); // leading edge: emitted at once
    expect(seen.map((s) => s.bytesDone)).toEqual([10]);
    for (let i = 0; i < 9; i++) {
      clock.advance(5);
      tracker.add(10); // within the interval: held back
    }
    expect(seen).toHaveLength(1);

    clock.advance(55);
    vi.advanceTimersByTime(100); // the trailing timer delivers the latest value
    expect(seen.map((s) => s.bytesDone)).toEqual([10, 100]);

    clock.advance(10);
    tracker.add(900);
    tracker.complete(); // final event regardless of throttle
    const last = seen.at(-1);
    expect(last?.fraction).toBe(1);
    expect(last?.bytesDone).toBe(1000);
    const count = seen.length;
    vi.advanceTimersByTime(1000);
    expect(seen).toHaveLength(count); // nothing after complete
    subscription.dispose();
    tracker.dispose();
  });

  it('setTotal changes the denominator', () => {
    const tracker = new ProgressTracker({ totalBytes: 0, now: fakeClock().now });
    tracker.add(50);
    expect(tracker.snapshot().fraction).toBe(0);
    tracker.setTotal(200);
    expect(tracker.snapshot().fraction).toBe(0.25);
    tracker.dispose();
  });
});

describe('formatting', () => {
  it('formats bytes in decimal units like the Hub', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(548_000_000)).toBe('548 MB');
    expect(formatBytes(1_200_000_000)).toBe('1.2 GB');
    expect(formatBytes(16_060_000_000)).toBe('16.1 GB');
    expect(formatBytes(999_960_000)).toBe('1.0 GB');
    expect(formatBytes(2.5e15)).toBe('2.5 PB');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('formats rates', () => {
    expect(formatRate(12_300_000)).toBe('12.3 MB/s');
    expect(formatRate(0)).toBe('0 B/s');
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(80)).toBe('1m 20s');
    expect(formatDuration(120)).toBe('2m');
    expect(formatDuration(7_500)).toBe('2h 5m');
    expect(formatDuration(3 * 86_400 + 4 * 3_600 + 59)).toBe('3d 4h');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('a rate limit in the progress', () => {
  it('counts down to the reset while requests wait, ticking once a second, and is gone when they resume', () => {
    vi.useFakeTimers();
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 0, now: clock.now, emitIntervalMs: 0 });
    const seen: Array<number | undefined> = [];
    tracker.onUpdate((s) => seen.push(s.rateLimitResumeSeconds));
    const end = tracker.beginRateLimitWait(48_000);
    expect(tracker.snapshot().rateLimitResumeSeconds).toBe(48);
    clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual([48, 47, 46]);
    // A second request waiting longer: the later reset is what is shown.
    const later = tracker.beginRateLimitWait(60_000);
    expect(tracker.snapshot().rateLimitResumeSeconds).toBe(60);
    later();
    end();
    expect(tracker.snapshot().rateLimitResumeSeconds).toBeUndefined();
    seen.length = 0;
    vi.advanceTimersByTime(5_000);
    expect(seen).toEqual([]);
    tracker.dispose();
  });

  it('start() sets the total once the plan is known, keeping the wait', () => {
    const clock = fakeClock();
    const tracker = new ProgressTracker({ totalBytes: 0, now: clock.now });
    const end = tracker.beginRateLimitWait(5_000);
    tracker.start(1000, 400);
    expect(tracker.snapshot()).toMatchObject({ bytesTotal: 1000, bytesDone: 400, bytesPerSecond: 0, rateLimitResumeSeconds: 5 });
    end();
    tracker.dispose();
  });

  it('is said the same way in the notification, the CLI progress line and the note', () => {
    const snapshot: ProgressSnapshot = { bytesDone: 0, bytesTotal: 1000, fraction: 0, bytesPerSecond: 0, etaSeconds: undefined, waitingFiles: 0, rateLimitResumeSeconds: 48 };
    expect(rateLimitNote(48)).toBe('rate limited by the Hub, resuming in 48 s');
    expect(rateLimitNote(undefined)).toBeUndefined();
    expect(progressMessage(snapshot)).toBe('0 B of 1.0 kB · rate limited by the Hub, resuming in 48 s');
    expect(progressMessage({ ...snapshot, bytesTotal: 0 })).toBe('Preparing… · rate limited by the Hub, resuming in 48 s');
    expect(progressLine('org/x', snapshot)).toMatch(/ · rate limited by the Hub, resuming in 48 s$/);
  });
});
