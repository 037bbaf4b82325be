/**
 * Failures below HTTP, read from the error's code wherever undici or Node put it (the error, its cause, an
 * AggregateError's members), and sorted the one way core/hub and core/transfer both act on.
 */
export type NetworkFailureKind =
  /** No connection could be made: refused, no route, name not resolved, connect timed out. */
  | 'unreachable'
  /** A connection was made and then broke: reset, closed early, malformed answer, read timed out. */
  | 'dropped'
  /** The host is there but cannot be trusted: retrying changes nothing. */
  | 'tls';

export interface NetworkFailure {
  readonly kind: NetworkFailureKind;
  readonly code: string;
  /** A few words for messages: "connection refused". */
  readonly reason: string;
}

const FAILURES: Readonly<Record<string, readonly [NetworkFailureKind, string]>> = {
  ECONNREFUSED: ['unreachable', 'connection refused'],
  ENOTFOUND: ['unreachable', 'host not found'],
  EAI_AGAIN: ['unreachable', 'host lookup failed'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  EHOSTDOWN: ['unreachable', 'host down'],
  ENETDOWN: ['unreachable', 'network down'],
  UND_ERR_CONNECT_TIMEOUT: ['unreachable', 'connection timed out'],
  ECONNRESET: ['dropped', 'connection reset'],
  ECONNABORTED: ['dropped', 'connection aborted'],
  ETIMEDOUT: ['dropped', 'connection timed out'],
  EPIPE: ['dropped', 'connection closed'],
  UND_ERR_SOCKET: ['dropped', 'connection closed'],
  UND_ERR_CLOSED: ['dropped', 'connection closed'],
  UND_ERR_HEADERS_TIMEOUT: ['dropped', 'timed out waiting for an answer'],
  UND_ERR_BODY_TIMEOUT: ['dropped', 'timed out reading the answer'],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: ['dropped', 'answer shorter than announced'],
  ERR_STREAM_PREMATURE_CLOSE: ['dropped', 'connection closed early'],
  CERT_HAS_EXPIRED: ['tls', 'TLS certificate expired'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['tls', 'TLS certificate not trusted'],
  SELF_SIGNED_CERT_IN_CHAIN: ['tls', 'TLS certificate not trusted'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['tls', 'TLS certificate not trusted'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['tls', 'TLS certificate is for another host'],
};

const MAX_CAUSE_DEPTH = 5;

/** The network failure somewhere in `err`'s cause chain, or undefined when it is something else. */
export function networkFailureOf(err: unknown): NetworkFailure | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < MAX_CAUSE_DEPTH; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const known = FAILURES[code];
      if (known !== undefined) return { kind: known[0], code, reason: known[1] };
      // llhttp's parse errors (HPE_*): the answer was malformed or cut, as after a dropped connection.
      if (code.startsWith('HPE_')) return { kind: 'dropped', code, reason: 'malformed answer' };
    }
    const members = (e as { errors?: unknown }).errors;
    if (Array.isArray(members)) {
      const inner = members.map(networkFailureOf).find((f) => f !== undefined);
      if (inner !== undefined) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Worth another attempt? A broken connection is; a TLS failure never is. A host that could not be reached at all is
 * reported at once while nothing in this operation has reached it (offline shows in a moment, as huggingface_hub
 * falls back to the cache without retrying), and retried once it has answered (a drop-out mid-download).
 */
export function isRetryableNetworkFailure(failure: NetworkFailure, hostAnswered: boolean): boolean {
  return failure.kind === 'dropped' || (failure.kind === 'unreachable' && hostAnswered);
}
