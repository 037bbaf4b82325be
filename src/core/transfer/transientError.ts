import type { HttpFailure } from '../net/httpErrors';
import type { NetworkFailure } from '../net/networkErrors';

/** A failure of one request worth retrying: a retryable status, a broken connection, a stall, a truncated body. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    message: string,
    readonly detail: {
      /** The server answered with a retryable status; reported through net/httpErrors when retries run out. */
      readonly httpFailure?: HttpFailure;
      /** How long the server asked us to wait (Retry-After). */
      readonly serverWaitMs?: number;
      /** The connection failed below HTTP; reported as Offline when retries run out. */
      readonly network?: NetworkFailure;
      /** Retry at once (a cached signed URL expired; fetching a fresh one costs no backoff). */
      readonly immediate?: boolean;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
