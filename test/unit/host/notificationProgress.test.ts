import { describe, expect, it } from 'vitest';
import type { ProgressSnapshot } from '../../../src/core/progress';
import { NotificationProgress, progressMessage } from '../../../src/host/notificationProgress';

function snap(fraction: number, extra: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return { bytesDone: Math.round(fraction * 1e9), bytesTotal: 1e9, fraction, bytesPerSecond: 5e6, etaSeconds: 100, waitingFiles: 0, ...extra };
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('NotificationProgress', () => {
  it('increments add up to exactly 100 after finish, whatever the fractions were', () => {
    const c = clock();
    const bar = new NotificationProgress({ now: c.now, minIntervalMs: 100 });
    let sum = 0;
    for (const f of [0.013, 0.2571, 0.2571, 0.5, 0.4 /* a restart went back */, 0.87, 0.9999]) {
      c.advance(150);
      sum += bar.update(snap(f))?.increment ?? 0;
    }
    sum += bar.finish().increment;
    expect(sum).toBe(100);
    expect(bar.total).toBe(100);
  });

  it('never reports a negative increment, and never reaches 100 before finish', () => {
    const c = clock();
    const bar = new NotificationProgress({ now: c.now, minIntervalMs: 0 });
    const steps = [0.5, 0.3, 1, 0.999].map((f) => {
      c.advance(1);
      return bar.update(snap(f, { bytesDone: f * 10 }));
    });
    for (const s of steps) expect(s?.increment ?? 0).toBeGreaterThanOrEqual(0);
    expect(bar.total).toBe(99);
  });

  it('throttles: updates inside the interval are dropped, the first one is not', () => {
    const c = clock();
    const bar = new NotificationProgress({ now: c.now, minIntervalMs: 250 });
    expect(bar.update(snap(0.1))).toBeDefined();
    c.advance(100);
    expect(bar.update(snap(0.2))).toBeUndefined();
    c.advance(200);
    const step = bar.update(snap(0.3));
    expect(step?.increment).toBe(20);
  });

  it('reports a changed message even when the percentage did not move', () => {
    const c = clock();
    const bar = new NotificationProgress({ now: c.now, minIntervalMs: 0 });
    bar.update(snap(0.1, { bytesPerSecond: 1e6 }));
    c.advance(1);
    expect(bar.update(snap(0.1, { bytesPerSecond: 1e6 }))).toBeUndefined();
    c.advance(1);
    expect(bar.update(snap(0.1, { bytesPerSecond: 2e6 }))).toEqual({ increment: 0, message: expect.stringContaining('2.0 MB/s') });
  });

  it('reports nothing after finish, and a second finish adds nothing', () => {
    const bar = new NotificationProgress({ minIntervalMs: 0 });
    expect(bar.finish().increment).toBe(100);
    expect(bar.update(snap(0.5))).toBeUndefined();
    expect(bar.finish().increment).toBe(0);
  });
});

describe('progressMessage', () => {
  it('shows bytes, rate and time left', () => {
    expect(progressMessage({ bytesDone: 12_300_000, bytesTotal: 1_200_000_000, fraction: 0.01, bytesPerSecond: 4_500_000, etaSeconds: 80, waitingFiles: 0 })).toBe(
      '12.3 MB of 1.2 GB · 4.5 MB/s · 1m 20s left',
    );
  });

  it('leaves out rate and ETA until they are known', () => {
    expect(progressMessage({ bytesDone: 0, bytesTotal: 1000, fraction: 0, bytesPerSecond: 0, etaSeconds: undefined, waitingFiles: 0 })).toBe('0 B of 1.0 kB');
  });

  it('says Preparing while the size is unknown', () => {
    expect(progressMessage({ bytesDone: 0, bytesTotal: 0, fraction: 0, bytesPerSecond: 0, etaSeconds: undefined, waitingFiles: 0 })).toBe('Preparing…');
  });
});
