import { HubApiError } from '@huggingface/hub';
import { MistudioError, cancelled, describeError } from '../errors';
import { failureFromHeaders, httpError, networkError, oneLine, type HttpFailure, type RequestContext } from '../net/httpErrors';
import { networkFailureOf } from '../net/networkErrors';

/** An error response the Hub client saw, and how many attempts it took (HubApiError keeps neither). */
export interface FailedResponse extends HttpFailure {
  readonly attempts?: number;
}

export type CallContext = RequestContext;

export async function failureOf(response: Response, attempts?: number): Promise<FailedResponse> {
  const failure = failureFromHeaders(response.status, (name) => response.headers.get(name) ?? undefined);
  let errorMessage = failure.errorMessage;
  if (errorMessage === undefined) {
    try {
      const body = (await response.clone().json()) as { error?: unknown };
      if (typeof body.error === 'string') errorMessage = body.error;
    } catch {
      // Not JSON: nothing more to learn.
    }
  }
  return { ...failure, ...(errorMessage !== undefined ? { errorMessage } : {}), ...(attempts !== undefined ? { attempts } : {}) };
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}

/** A failure below HTTP (DNS, refused, reset, timeout) means we could not reach the Hub: Offline. */
export function transportError(err: unknown, ctx: CallContext, signal: AbortSignal | undefined): MistudioError {
  if (signal?.aborted) return cancelled();
  if (err instanceof MistudioError) return err;
  if (isTimeout(err)) return networkError('timed out', ctx, err);
  const failure = networkFailureOf(err);
  if (failure !== undefined) return networkError(failure.reason, ctx, err);
  if (err instanceof TypeError && /fetch failed|terminated|network/i.test(err.message)) return networkError('network error', ctx, err);
  return new MistudioError('Http', `Unexpected answer from ${ctx.endpoint}: ${oneLine(describeError(err))}`, {}, { cause: err });
}

/** Anything a Hub call threw → MistudioError; `lastFailure` is the error response the call's fetch saw, if any. */
export function toMistudioError(err: unknown, ctx: CallContext, signal: AbortSignal | undefined, lastFailure: FailedResponse | undefined): MistudioError {
  if (signal?.aborted) return cancelled();
  if (err instanceof MistudioError) return err;
  if (err instanceof HubApiError) {
    const failure = lastFailure && lastFailure.status === err.statusCode ? lastFailure : { status: err.statusCode, errorMessage: dataMessage(err) };
    return httpError(failure, withAttempts(ctx, lastFailure?.attempts));
  }
  return transportError(err, ctx, signal);
}

export function withAttempts(ctx: CallContext, attempts: number | undefined): CallContext {
  return attempts !== undefined ? { ...ctx, attempts } : ctx;
}

function dataMessage(err: HubApiError): string | undefined {
  const value = err.data?.['error'] ?? err.data?.['message'];
  return typeof value === 'string' ? value : undefined;
}
