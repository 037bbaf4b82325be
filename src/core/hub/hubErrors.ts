import { MistudioError, cancelled, describeError } from '../errors';
import { readBodyCapped } from '../net/boundedBody';
import { failureFromHeaders, networkError, oneLine, type HttpFailure, type RequestContext } from '../net/httpErrors';
import { networkFailureOf } from '../net/networkErrors';

export type CallContext = RequestContext;

/** An error answer's body is read only this far, for its `error` message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** What an error answer says: its X-Error-* headers, else its JSON `error` (the first 64 kB of the body at most). */
export async function failureOf(response: Response): Promise<HttpFailure> {
  const failure = failureFromHeaders(response.status, (name) => response.headers.get(name) ?? undefined);
  if (failure.errorMessage !== undefined) {
    await response.body?.cancel().catch(() => undefined);
    return failure;
  }
  let errorMessage: string | undefined;
  try {
    const body = JSON.parse((await readBodyCapped(response.body, MAX_ERROR_BODY_BYTES)).toString('utf8')) as { error?: unknown };
    if (typeof body.error === 'string') errorMessage = body.error;
  } catch {
    // Not JSON, too long or cut: nothing more to learn.
    await response.body?.cancel().catch(() => undefined);
  }
  return errorMessage !== undefined ? { ...failure, errorMessage } : failure;
}

/** A failure below HTTP (DNS, refused, reset) means we could not reach the Hub: Offline. */
export function transportError(err: unknown, ctx: CallContext, signal: AbortSignal | undefined): MistudioError {
  if (signal?.aborted) return cancelled();
  if (err instanceof MistudioError) return err;
  const failure = networkFailureOf(err);
  if (failure !== undefined) return networkError(failure.reason, ctx, err);
  if (err instanceof TypeError && /fetch failed|terminated|network/i.test(err.message)) return networkError('network error', ctx, err);
  return new MistudioError('Http', `Unexpected answer from ${ctx.endpoint}: ${oneLine(describeError(err))}`, {}, { cause: err });
}

export function withAttempts(ctx: CallContext, attempts: number | undefined): CallContext {
  return attempts !== undefined ? { ...ctx, attempts } : ctx;
}
