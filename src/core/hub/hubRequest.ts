import { echo } from '../echo';
import { MistudioError, cancelled } from '../errors';
import { BodyTooLargeError, readBodyCapped } from '../net/boundedBody';
import { httpError, networkError } from '../net/httpErrors';
import { JsonArrayError } from '../net/jsonArray';
import { describeCap, describeDuration, type NetworkLimits } from '../net/limits';
import { isRetryableNetworkFailure, networkFailureOf } from '../net/networkErrors';
import { isRetryableStatus, retryDelayMs, waitBeforeRetry, type RetryPolicy, type ServerWaitListener } from '../net/retry';
import { serverWait } from '../net/serverWait';
import { mayCarryToken } from '../net/tokenScope';
import { failureOf, transportError, withAttempts, type CallContext } from './hubErrors';

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** How every metadata request of one client goes out. */
export interface HubHttpConfig {
  readonly endpoint: string;
  /** The endpoint's origin: the token goes there (and to the Hub's own hosts, see net/tokenScope.ts). */
  readonly origin: string;
  readonly token: string | undefined;
  readonly fetch: typeof globalThis.fetch;
  readonly userAgent: string | undefined;
  readonly retry: RetryPolicy;
  readonly limits: NetworkLimits;
  readonly offline: boolean;
  /** Told while a request waits because the server asked (a rate limit's reset). */
  readonly onServerWait: ServerWaitListener | undefined;
}

/** One Hub call (repo info, a whole listing, …): the caller's signal and what its requests learnt. */
export interface HubCall {
  readonly signal: AbortSignal | undefined;
  readonly ctx: CallContext;
  /** Some request of this call got an answer: from then on an unreachable host is a drop-out, worth retrying. */
  answered: boolean;
}

export interface HubGet {
  /** Request headers besides authorization and user-agent (accept, range). */
  readonly headers?: Readonly<Record<string, string>>;
  /** What is asked for, for messages: "the file listing of org/name". */
  readonly what: string;
}

/** One attempt's answer as `consume` sees it: the URL that answered (after redirects), and the attempt's signal. */
export interface Answer {
  readonly url: URL;
  /** Aborts at the request's deadline or on cancel; the body is read under it. */
  readonly signal: AbortSignal;
}

/** The one message every refused request gives in offline mode, naming how to leave it. */
export function offlineError(what: string): MistudioError {
  return new MistudioError('Offline', `Offline mode (HF_HUB_OFFLINE or the mistudio.offline setting) is on: not fetching ${echo(what, 160)}`);
}

/**
 * GET `url` and hand its answer to `consume`, all of it — request, redirects and reading the body — under the
 * request deadline (limits.requestTimeoutMs). Redirects are followed by hand, so the token reaches only the hosts
 * net/tokenScope.ts allows. Retried under the policy of net/retry.ts: retryable statuses (a server's wait honoured,
 * and announced while it lasts), broken connections, and an answer too slow to finish before the deadline. An
 * answer larger than its cap, or malformed, fails at once with a message naming the host.
 */
export async function hubGet<T>(config: HubHttpConfig, call: HubCall, url: string, get: HubGet, consume: (response: Response, answer: Answer) => Promise<T>): Promise<T> {
  if (config.offline) throw offlineError(url);
  const attempts = config.retry.maxAttempts;
  const timeout = describeDuration(config.limits.requestTimeoutMs);
  for (let attempt = 1; ; attempt++) {
    if (call.signal?.aborted) throw cancelled();
    const deadline = AbortSignal.timeout(config.limits.requestTimeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
    const mayRetry = attempt < attempts;
    const backoff = (waitMs?: number): Promise<void> => waitBeforeRetry(retryDelayMs(attempt, waitMs, config.retry), call.signal, undefined, undefined);
    let response: Response;
    let answered: URL;
    try {
      ({ response, url: answered } = await follow(config, url, get.headers ?? {}, signal));
    } catch (err) {
      if (call.signal?.aborted) throw cancelled();
      if (err instanceof MistudioError) throw err;
      // No answer at all before the deadline: not retried (the caller already waited that long); Offline says it.
      if (deadline.aborted) throw networkError(`no answer within ${timeout}`, withAttempts(call.ctx, attempt), err);
      const failure = networkFailureOf(err);
      if (mayRetry && failure !== undefined && isRetryableNetworkFailure(failure, call.answered)) {
        await backoff();
        continue;
      }
      throw transportError(err, withAttempts(call.ctx, attempt), call.signal);
    }
    call.answered = true;
    if (mayRetry && isRetryableStatus(response.status)) {
      const wait = serverWait(response.status, (name) => response.headers.get(name) ?? undefined);
      await response.body?.cancel().catch(() => undefined);
      const notice = wait !== undefined ? { rateLimited: wait.rateLimited, host: answered.origin } : undefined;
      await waitBeforeRetry(retryDelayMs(attempt, wait?.ms, config.retry), call.signal, notice, config.onServerWait);
      continue;
    }
    if (!response.ok) throw httpError(await failureOf(response), withAttempts(call.ctx, attempt));
    try {
      return await consume(response, { url: answered, signal });
    } catch (err) {
      await response.body?.cancel().catch(() => undefined);
      if (call.signal?.aborted) throw cancelled();
      const host = answered.origin;
      if (err instanceof BodyTooLargeError) {
        throw new MistudioError('Http', `${host} answered more than ${describeCap(err.maxBytes)} for ${get.what}: not reading further`, call.ctx.ref ? { repoId: call.ctx.ref.repoId } : {});
      }
      if (err instanceof JsonArrayError || err instanceof SyntaxError) {
        throw new MistudioError('Http', `${host} answered ${get.what} with malformed JSON (${err.message})`, call.ctx.ref ? { repoId: call.ctx.ref.repoId } : {});
      }
      if (err instanceof MistudioError) throw err;
      const failure = networkFailureOf(err);
      const retryable = deadline.aborted || (failure !== undefined && isRetryableNetworkFailure(failure, true));
      if (mayRetry && retryable) {
        await backoff();
        continue;
      }
      if (deadline.aborted) {
        const tries = attempt > 1 ? ` (${attempt} attempts)` : '';
        throw new MistudioError('Http', `${host} answered too slowly: ${get.what} was not complete after ${timeout}${tries}`, call.ctx.ref ? { repoId: call.ctx.ref.repoId } : {}, { cause: err });
      }
      throw transportError(err, withAttempts(call.ctx, attempt), call.signal);
    }
  }
}

/** A JSON answer of at most limits.maxJsonBytes, parsed. */
export async function readJson(config: HubHttpConfig, response: Response): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const bytes = await readBodyCapped(response.body, config.limits.maxJsonBytes, Number.isFinite(declared) ? declared : undefined);
  return JSON.parse(bytes.toString('utf8')) as unknown;
}

/** GET with redirects followed by hand: the token only where net/tokenScope.ts allows, every other header kept. */
async function follow(config: HubHttpConfig, url: string, extra: Readonly<Record<string, string>>, signal: AbortSignal): Promise<{ response: Response; url: URL }> {
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    // A plain record, not `new Headers()`: the global Headers would load Node's own copy of undici (+12 MB of RSS,
    // ~40 ms at start) into a process that fetches through the package's.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
    if (config.userAgent) headers['user-agent'] = config.userAgent;
    if (config.token !== undefined && mayCarryToken(current, config.origin)) headers.authorization = `Bearer ${config.token}`;
    const response = await config.fetch(current.href, { headers, signal, redirect: 'manual' });
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url: current };
    const location = response.headers.get('location');
    await response.body?.cancel().catch(() => undefined);
    if (location === null) throw new MistudioError('Http', `${current.origin} answered HTTP ${response.status} without a Location`, { status: response.status });
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new MistudioError('Http', `${current.origin} redirected to an unsupported URL scheme ${echo(next.protocol)}`);
    current = next;
  }
  throw new MistudioError('Http', `${new URL(url).origin} redirected more than ${MAX_REDIRECTS} times`);
}
