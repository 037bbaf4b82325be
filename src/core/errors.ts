/**
 * Every failure the core reports is a MistudioError with a stable code. The core words the message plainly
 * (one line, no stack); the shells (CLI, extension host) decide how to present it and which actions to offer.
 */
export type ErrorCode =
  | 'InvalidInput'
  | 'RepoNotFound'
  | 'RevisionNotFound'
  | 'EntryNotFound'
  | 'Gated'
  | 'Unauthorized'
  | 'Offline'
  | 'RateLimited'
  | 'Http'
  | 'NoSpace'
  | 'ChecksumMismatch'
  | 'UnsafePath'
  | 'Cancelled'
  | 'CatalogCorrupt'
  | 'Io';

export interface ErrorDetails {
  /** The repo the error is about, e.g. "meta-llama/Llama-3.1-8B". */
  readonly repoId?: string;
  /** A page the user can open to fix it (request access, sign in). */
  readonly url?: string;
  /** HTTP status when the error came from the network. */
  readonly status?: number;
  /** Seconds to wait before retrying (429 / 503 with Retry-After). */
  readonly retryAfterSeconds?: number;
  readonly neededBytes?: number;
  readonly freeBytes?: number;
  readonly path?: string;
}

export class MistudioError extends Error {
  override readonly name = 'MistudioError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isMistudioError(err: unknown, code?: ErrorCode): err is MistudioError {
  return err instanceof MistudioError && (code === undefined || err.code === code);
}

/** A cancel is a value, not a failure: callers check this and show no error. */
export function isCancellation(err: unknown): boolean {
  if (isMistudioError(err, 'Cancelled')) return true;
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR');
}

export function cancelled(): MistudioError {
  return new MistudioError('Cancelled', 'Cancelled');
}

/** Throws a Cancelled error when the signal has fired; call at every step of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

/** One line for humans: the message, without stack or cause chain. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
