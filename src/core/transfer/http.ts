import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { MistudioError } from '../errors';
import { failureFromHeaders, httpError, type RequestContext } from '../net/httpErrors';
import { isRetryableNetworkFailure, networkFailureOf } from '../net/networkErrors';
import { isRetryableStatus } from '../net/retry';
import { serverWait } from '../net/serverWait';
import { mayCarryToken } from '../net/tokenScope';
// Dispatcher.prototype.request comes from undici's API methods, which this module installs.
import '../net/undici';
import { TransientError } from './transientError';
import type { ByteRange } from './types';

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
type ResponseBody = Dispatcher.ResponseData['body'];

export interface OpenRequest {
  /** Where this request starts: the resolve URL, or a redirect target remembered from an earlier request. */
  readonly url: string;
  /** The Hub's origin (the resolve URL's): credentials go there and where net/tokenScope.ts allows, never to a CDN. */
  readonly credentialOrigin: string;
  /** The full `authorization` header value, if any. */
  readonly authorization: string | undefined;
  /** Other headers, lower-case names, without `authorization`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly range: ByteRange | undefined;
  readonly dispatcher: Dispatcher;
  readonly signal: AbortSignal;
  /** Names the file in error messages. */
  readonly label: string;
  /** What an error answer is about, given the URL that answered (for net/httpErrors' wording). */
  readonly context: (answeredBy: URL) => RequestContext;
  /** The URL is a remembered redirect target: a 4xx there most likely means its signature expired. */
  readonly fromRememberedUrl: boolean;
}

export interface OpenResponse {
  readonly status: 200 | 206;
  readonly headers: IncomingHttpHeaders;
  readonly body: ResponseBody;
  /** The URL that answered, after redirects. */
  readonly finalUrl: string;
}

/**
 * GET with redirects followed by hand: `authorization` goes only where net/tokenScope.ts allows (the Hub's origin,
 * relative redirects on it, the Hub's own hosts — never a CDN or a third host), and Range survives every hop. Returns a 200/206 response with its body unread; throws a
 * MistudioError for final failures and a TransientError for ones worth retrying.
 */
export async function openResponse(req: OpenRequest): Promise<OpenResponse> {
  let current = new URL(req.url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { ...req.headers };
    if (req.range !== undefined) headers.range = `bytes=${req.range[0]}-${req.range[1] - 1}`;
    if (req.authorization !== undefined && mayCarryToken(current, req.credentialOrigin)) headers.authorization = req.authorization;

    const response = await req.dispatcher.request({
      origin: current.origin,
      path: `${current.pathname}${current.search}`,
      method: 'GET',
      headers,
      signal: req.signal,
      // The engine runs its own stall watchdog, which does not count time spent waiting on our disk writes.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const { statusCode, headers: responseHeaders, body } = response;

    if (REDIRECT_STATUSES.has(statusCode)) {
      const location = headerValue(responseHeaders, 'location');
      await discard(body);
      if (location === undefined) {
        throw new MistudioError('Http', `Download of ${req.label} failed: HTTP ${statusCode} redirect without a Location`, { status: statusCode });
      }
      current = new URL(location, current);
      if (current.protocol !== 'https:' && current.protocol !== 'http:') {
        throw new MistudioError('Http', `Download of ${req.label} failed: redirected to unsupported URL scheme ${current.protocol}`);
      }
      continue;
    }
    if (statusCode === 200 || statusCode === 206) {
      return { status: statusCode, headers: responseHeaders, body, finalUrl: current.href };
    }
    await discard(body);
    throw statusError(statusCode, responseHeaders, req, current, hop === 0);
  }
  throw new MistudioError('Http', `Download of ${req.label} failed: more than ${MAX_REDIRECTS} redirects`);
}

function statusError(status: number, headers: IncomingHttpHeaders, req: OpenRequest, answeredBy: URL, firstHop: boolean): Error {
  if (req.fromRememberedUrl && firstHop && [401, 403, 404, 410].includes(status)) {
    return new TransientError(`HTTP ${status} from a remembered download URL (expired)`, { httpFailure: { status }, immediate: true });
  }
  const header = (name: string): string | undefined => headerValue(headers, name);
  const failure = failureFromHeaders(status, header);
  if (isRetryableStatus(status)) {
    const wait = serverWait(status, header);
    return new TransientError(`HTTP ${status}`, {
      httpFailure: failure,
      host: answeredBy.origin,
      ...(wait !== undefined ? { serverWaitMs: wait.ms, rateLimited: wait.rateLimited } : {}),
    });
  }
  if (status === 416) {
    return new MistudioError('Http', `Server cannot serve the requested bytes of ${req.label} (HTTP 416): its size differs from the listing`, { status });
  }
  return httpError(failure, req.context(answeredBy));
}

/**
 * A network-level failure as a TransientError when it is worth retrying (see net/networkErrors), else undefined:
 * then the caller reports it as it is.
 */
export function transientFromNetworkError(err: unknown, hostAnswered: boolean): TransientError | undefined {
  const failure = networkFailureOf(err);
  if (failure === undefined || !isRetryableNetworkFailure(failure, hostAnswered)) return undefined;
  const message = err instanceof Error && err.message ? `${err.message} (${failure.code})` : failure.code;
  return new TransientError(message, { network: failure }, { cause: err });
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads away a small body so the connection can be reused; larger or broken bodies just close it. */
async function discard(body: ResponseBody): Promise<void> {
  try {
    await body.dump({ limit: 64 * 1024 });
  } catch {
    abandonBody(body);
  }
}

/** Closes a body we stop reading. undici reports that as an 'error' event, which must not go unhandled. */
export function abandonBody(body: ResponseBody): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

/** The repo's page (everything before /resolve/), where a user requests access or checks the file. */
export function repoPage(url: string): string | undefined {
  const index = url.indexOf('/resolve/');
  return index > 0 ? url.slice(0, index) : undefined;
}

/** "path/in/repo" from a resolve URL (…/resolve/<revision>/<path>), else the URL's last segment. */
export function fileLabel(url: string): string {
  try {
    const { pathname } = new URL(url);
    const segments = pathname.split('/');
    const resolveAt = segments.indexOf('resolve');
    const fileSegments = resolveAt >= 0 && segments.length > resolveAt + 2 ? segments.slice(resolveAt + 2) : segments.slice(-1);
    return fileSegments.map((s) => decodeURIComponent(s)).join('/') || url;
  } catch {
    return url;
  }
}

/** `bytes <start>-<end>/<total|*>` of a 206, with `end` inclusive as on the wire. */
export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const match = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (match === null) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) return undefined;
  return { start, end, total: match[3] === '*' ? undefined : Number(match[3]) };
}
