import { HubApiError } from '@huggingface/hub';
import { MistudioError, cancelled, describeError } from '../errors';
import { echo } from '../echo';
import { repoUrl, type RepoRef } from '../repo';

/** What an error response from the Hub said; headers carry the machine-readable part. */
export interface FailedResponse {
  readonly status: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly retryAfterSeconds?: number;
}

/** What the failing call was about, for the wording. */
export interface CallContext {
  readonly endpoint: string;
  readonly hasToken: boolean;
  readonly ref?: RepoRef;
  readonly revision?: string;
  readonly path?: string;
}

const BAD_TOKEN_MESSAGE = 'Invalid credentials in Authorization header';

export async function failureOf(response: Response): Promise<FailedResponse> {
  let errorMessage = response.headers.get('x-error-message') ?? undefined;
  if (errorMessage === undefined) {
    try {
      const body = (await response.clone().json()) as { error?: unknown };
      if (typeof body.error === 'string') errorMessage = body.error;
    } catch {
      // Not JSON: nothing more to learn.
    }
  }
  return {
    status: response.status,
    errorCode: response.headers.get('x-error-code') ?? undefined,
    errorMessage,
    retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')),
  };
}

export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function subject(ref: RepoRef): string {
  return ref.kind === 'dataset' ? `Dataset ${ref.repoId}` : `Repository ${ref.repoId}`;
}

/** Maps an HTTP failure to a one-line, typed error, following the Hub's status + X-Error-Code conventions. */
export function httpError(failure: FailedResponse, ctx: CallContext): MistudioError {
  const { status, errorCode } = failure;
  const ref = ctx.ref;
  const base = { status, ...(ref ? { repoId: ref.repoId } : {}) };
  if (errorCode === 'GatedRepo' && ref) {
    const page = repoUrl(ctx.endpoint, ref);
    return status === 401 || !ctx.hasToken
      ? new MistudioError('Gated', `${subject(ref)} is gated: sign in with a Hugging Face token that has access`, { ...base, url: page })
      : new MistudioError('Gated', `${subject(ref)} is gated and this account has no access yet: request access at ${page}`, { ...base, url: page });
  }
  const badToken = status === 401 && !errorCode && failure.errorMessage === BAD_TOKEN_MESSAGE;
  if (badToken || (status === 401 && !ref)) {
    return ctx.hasToken
      ? new MistudioError('Unauthorized', `${ctx.endpoint} rejected the Hugging Face token: sign in again`, base)
      : new MistudioError('Unauthorized', `${ctx.endpoint} requires a Hugging Face token: sign in`, base);
  }
  if (ref && (errorCode === 'RepoNotFound' || status === 401 || (status === 404 && !errorCode && ctx.path === undefined))) {
    const hint = ctx.hasToken ? 'or this token cannot see it' : 'or it is private: sign in';
    return new MistudioError('RepoNotFound', `${subject(ref)} not found on ${ctx.endpoint} (${hint})`, base);
  }
  if (errorCode === 'RevisionNotFound' && ref) {
    return new MistudioError('RevisionNotFound', `Revision "${echo(ctx.revision ?? '?')}" not found in ${ref.repoId}`, base);
  }
  if ((errorCode === 'EntryNotFound' || status === 404) && ref && ctx.path !== undefined) {
    return new MistudioError('EntryNotFound', `File "${echo(ctx.path, 120)}" not found in ${ref.repoId} at ${echo(ctx.revision ?? 'main')}`, { ...base, path: ctx.path });
  }
  if (status === 429) {
    const wait = failure.retryAfterSeconds;
    return new MistudioError('RateLimited', `${ctx.endpoint} is rate-limiting requests: ${wait !== undefined ? `retry in ${wait} s` : 'retry later'}`, {
      ...base,
      ...(wait !== undefined ? { retryAfterSeconds: wait } : {}),
    });
  }
  const said = failure.errorMessage ? `: ${oneLine(failure.errorMessage)}` : '';
  return new MistudioError('Http', `${ctx.endpoint} answered HTTP ${status}${said}`, {
    ...base,
    ...(failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
  });
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for an answer',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the answer',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted',
};

/** The error code somewhere in a fetch failure's cause chain (undici wraps the socket error). */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_REASONS) return code;
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested)) {
      const inner = nested.map(networkCode).find((c) => c !== undefined);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The connection broke after it was made (reset, closed under us): worth one more try, unlike DNS or refused. */
const BROKEN_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function isBrokenConnection(err: unknown): boolean {
  const code = networkCode(err);
  return code !== undefined && BROKEN_CONNECTION.has(code);
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}

/** A failure below HTTP (DNS, refused, reset, timeout) means we could not reach the Hub: Offline. */
export function transportError(err: unknown, ctx: CallContext, signal: AbortSignal | undefined): MistudioError {
  if (signal?.aborted) return cancelled();
  if (err instanceof MistudioError) return err;
  const code = networkCode(err);
  if (isTimeout(err) || code !== undefined || (err instanceof TypeError && /fetch failed|terminated|network/i.test(err.message))) {
    const reason = isTimeout(err) ? 'timed out' : code ? NETWORK_REASONS[code]! : 'network error';
    return new MistudioError('Offline', `Cannot reach ${ctx.endpoint}: ${reason}`, {}, { cause: err });
  }
  return new MistudioError('Http', `Unexpected answer from ${ctx.endpoint}: ${oneLine(describeError(err))}`, {}, { cause: err });
}

/** Anything a Hub call threw → MistudioError; `lastFailure` is the error response the call's fetch saw, if any. */
export function toMistudioError(err: unknown, ctx: CallContext, signal: AbortSignal | undefined, lastFailure: FailedResponse | undefined): MistudioError {
  if (signal?.aborted) return cancelled();
  if (err instanceof MistudioError) return err;
  if (err instanceof HubApiError) {
    const failure = lastFailure && lastFailure.status === err.statusCode ? lastFailure : { status: err.statusCode, errorMessage: dataMessage(err) };
    return httpError(failure, ctx);
  }
  return transportError(err, ctx, signal);
}

function dataMessage(err: HubApiError): string | undefined {
  const value = err.data?.['error'] ?? err.data?.['message'];
  return typeof value === 'string' ? value : undefined;
}

/** Server- or library-supplied text: its first line, escaped and cut short. */
function oneLine(text: string): string {
  return echo(text.split('\n')[0] ?? '', 200);
}
