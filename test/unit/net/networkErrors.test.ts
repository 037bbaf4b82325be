import { describe, expect, it } from 'vitest';
import { isRetryableNetworkFailure, networkFailureOf } from '../../../src/core/net/networkErrors';

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('network failures', () => {
  it('are found where undici and Node put them: the error, its cause, an AggregateError’s members', () => {
    expect(networkFailureOf(coded('ECONNRESET'))?.kind).toBe('dropped');
    expect(networkFailureOf(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }))).toEqual({ kind: 'unreachable', code: 'ECONNREFUSED', reason: 'connection refused' });
    expect(networkFailureOf(new TypeError('fetch failed', { cause: new AggregateError([new Error('x'), coded('EHOSTUNREACH')]) }))?.code).toBe('EHOSTUNREACH');
    expect(networkFailureOf(coded('HPE_INVALID_CHUNK_SIZE'))?.kind).toBe('dropped');
    expect(networkFailureOf(coded('CERT_HAS_EXPIRED'))?.kind).toBe('tls');
  });

  it('are not made up: other errors and non-errors give nothing', () => {
    expect(networkFailureOf(coded('ENOSPC'))).toBeUndefined();
    expect(networkFailureOf(new Error('boom'))).toBeUndefined();
    expect(networkFailureOf('ECONNRESET')).toBeUndefined();
    expect(networkFailureOf(null)).toBeUndefined();
  });

  it('a broken connection is retried; an unreachable host only once the host has answered; TLS never', () => {
    const dropped = networkFailureOf(coded('ECONNRESET'))!;
    const unreachable = networkFailureOf(coded('ENOTFOUND'))!;
    const tls = networkFailureOf(coded('DEPTH_ZERO_SELF_SIGNED_CERT'))!;
    expect([isRetryableNetworkFailure(dropped, false), isRetryableNetworkFailure(dropped, true)]).toEqual([true, true]);
    expect([isRetryableNetworkFailure(unreachable, false), isRetryableNetworkFailure(unreachable, true)]).toEqual([false, true]);
    expect([isRetryableNetworkFailure(tls, false), isRetryableNetworkFailure(tls, true)]).toEqual([false, false]);
  });
});
