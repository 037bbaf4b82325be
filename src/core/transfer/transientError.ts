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
      /** How long the server asked us to wait (a 429's RateLimit reset, Retry-After). */
      readonly serverWaitMs?: number;
      /** The wait is a rate limit's (a 429): shown in the progress while it lasts. */
      readonly rateLimited?: boolean;
      /** The origin that answered. */
      readonly host?: string;
      /** The response came slower than the throughput floor. */
      readonly tooSlow?: { readonly host: string; readonly bytes: number; readonly windowMs: number; readonly minBytesPerSecond: number };
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
