import { echo } from '../echo';
import { MistudioError } from '../errors';
import { repoUrl, type RepoRef } from '../repo';
import { describePolicy, serverWait, type HeaderLookup } from './serverWait';

/**
 * Failed requests as the typed one-line errors the shells show, for metadata calls (core/hub) and file transfers
 * (core/transfer) alike, following the Hub's conventions: the status plus its X-Error-Code header.
 */

/** What an error response said; headers carry the machine-readable part. */
export interface HttpFailure {
  readonly status: number;
  /** X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo. */
  readonly errorCode?: string;
  /** X-Error-Message, or the JSON body's `error`. */
  readonly errorMessage?: string;
  readonly retryAfterSeconds?: number;
  /** A 429's RateLimit-Policy in words ("500 api requests per 5 min"). */
  readonly rateLimitPolicy?: string;
}

/** What an error answer says in its headers (the Hub's X-Error-Code / X-Error-Message, Retry-After). */
export function failureFromHeaders(status: number, header: HeaderLookup): HttpFailure {
  const errorCode = header('x-error-code');
  const errorMessage = header('x-error-message');
  const wait = serverWait(status, header);
  const policy = describePolicy(wait?.rateLimit);
  return {
    status,
    ...(errorCode !== undefined ? { errorCode } : {}),
    ...(errorMessage !== undefined ? { errorMessage } : {}),
    ...(wait !== undefined ? { retryAfterSeconds: Math.ceil(wait.ms / 1000) } : {}),
    ...(policy !== undefined ? { rateLimitPolicy: policy } : {}),
  };
}

/** What the failing request was about, for the wording. */
export interface RequestContext {
  /** Who answered (or did not), named in messages: the endpoint, or the host a download went to. */
  readonly endpoint: string;
  readonly hasToken: boolean;
  readonly ref?: RepoRef;
  readonly revision?: string;
  /** The repo file asked for: a 404 then means that file is missing. */
  readonly path?: string;
  /** The repo's page where `ref` is unknown (a bare resolve URL); else derived from endpoint and ref. */
  readonly repoPage?: string;
  /** What was being done, as the start of a sentence ("Download of config.json"): generic failures then read "… failed". */
  readonly action?: string;
  /** How many attempts were made when the last one failed; said when more than one. */
  readonly attempts?: number;
}

/** The Hub's words for a token it does not know (a 401 without X-Error-Code). */
const BAD_TOKEN_MESSAGE = 'Invalid credentials in Authorization header';

/** Maps an HTTP failure to a one-line, typed error. */
export function httpError(failure: HttpFailure, ctx: RequestContext): MistudioError {
  const { status, errorCode } = failure;
  const { ref, endpoint } = ctx;
  const page = ctx.repoPage ?? (ref ? repoUrl(endpoint, ref) : undefined);
  const base = { status, ...(ref ? { repoId: ref.repoId } : {}) };
  const repo = ref ? subject(ref) : page ? `The repository at ${page}` : `A repository on ${endpoint}`;
  const file = ctx.path !== undefined ? ` for "${echo(ctx.path, 120)}"` : '';
  const said = failure.errorMessage ? `: ${oneLine(failure.errorMessage)}` : '';

  if (errorCode === 'GatedRepo' && page !== undefined) {
    const message =
      ctx.hasToken && status !== 401
        ? `${repo} is gated and this account has no access yet: request access at ${page}`
        : `${repo} is gated: request access at ${page} and sign in with a Hugging Face token that has it`;
    return new MistudioError('Gated', message, { ...base, url: page });
  }
  // The Hub answers 401 for a repo it will not show this caller, and 404 without a code for one it does not have.
  const repoHidden = ref !== undefined && (status === 401 || (status === 404 && !errorCode && ctx.path === undefined)) && !isBadToken(failure);
  if (errorCode === 'RepoNotFound' || repoHidden) {
    const hint = ctx.hasToken ? 'or this token cannot see it' : 'or it is private: sign in';
    return new MistudioError('RepoNotFound', `${repo} not found on ${endpoint} (${hint})`, base);
  }
  if (status === 401) {
    return ctx.hasToken
      ? new MistudioError('Unauthorized', `${endpoint} rejected the Hugging Face token${file}: sign in again`, base)
      : new MistudioError('Unauthorized', `${endpoint} requires a Hugging Face token${file}: sign in`, base);
  }
  if (errorCode === 'RevisionNotFound') {
    return new MistudioError('RevisionNotFound', `Revision "${echo(ctx.revision ?? '?')}" not found${ref ? ` in ${ref.repoId}` : ''}`, base);
  }
  if ((errorCode === 'EntryNotFound' || status === 404) && ctx.path !== undefined) {
    const where = `${ref ? ` in ${ref.repoId}` : ''}${ctx.revision !== undefined ? ` at ${echo(ctx.revision)}` : ''}`;
    return new MistudioError('EntryNotFound', `File "${echo(ctx.path, 120)}" not found${where}`, { ...base, path: ctx.path });
  }
  if (status === 403) {
    return new MistudioError('Unauthorized', `${endpoint} refused access${file} (HTTP 403)${said}`, base);
  }
  return otherAnswer(failure, ctx, base, file, said);
}

/** 429 and answers without a Hub meaning: "Download of a.bin failed after 5 attempts: <host> answered HTTP 503". */
function otherAnswer(failure: HttpFailure, ctx: RequestContext, base: { status: number; repoId?: string }, file: string, said: string): MistudioError {
  const tries = attemptsSaid(ctx);
  // With an action the sentence names the file already, and the attempts go with "failed".
  const [opening, about, closing] = ctx.action !== undefined ? [`${ctx.action} failed${tries}: `, '', ''] : ['', file, tries];
  const wait = failure.retryAfterSeconds;
  const details = { ...base, ...(wait !== undefined ? { retryAfterSeconds: wait } : {}) };
  if (failure.status === 429) {
    const when = wait !== undefined ? `retry in ${wait} s` : 'retry later';
    const policy = failure.rateLimitPolicy !== undefined ? ` (${failure.rateLimitPolicy})` : '';
    return new MistudioError('RateLimited', `${opening}${ctx.endpoint} is rate-limiting requests${policy}${about}: ${when}${closing}`, details);
  }
  return new MistudioError('Http', `${opening}${ctx.endpoint} answered HTTP ${failure.status}${about}${said}${closing}`, details);
}

/** A failure below HTTP: Offline, naming the host and why ("Cannot reach https://huggingface.co: host not found"). */
export function networkError(reason: string, ctx: RequestContext, cause: unknown): MistudioError {
  const file = ctx.path !== undefined ? ` for "${echo(ctx.path, 120)}"` : '';
  return new MistudioError('Offline', `Cannot reach ${ctx.endpoint}${file}: ${reason}${attemptsSaid(ctx)}`, {}, { cause });
}

function isBadToken(failure: HttpFailure): boolean {
  return failure.status === 401 && !failure.errorCode && failure.errorMessage === BAD_TOKEN_MESSAGE;
}

function subject(ref: RepoRef): string {
  return ref.kind === 'dataset' ? `Dataset ${ref.repoId}` : `Repository ${ref.repoId}`;
}

function attemptsSaid(ctx: RequestContext): string {
  return ctx.attempts !== undefined && ctx.attempts > 1 ? ` after ${ctx.attempts} attempts` : '';
}

/** Server- or library-supplied text: its first line, escaped and cut short. */
export function oneLine(text: string): string {
  return echo(text.split('\n')[0] ?? '', 200);
}
