import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultBook, RequestFacts } from './faults';
import type { FaultRule, RequestRecord } from './types';

/** What a route answers; the sender turns it into bytes on the wire, applying ranges, faults and throttling. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Honour Range requests on this body (files); API answers ignore Range like the Hub does. */
  readonly rangeable?: boolean;
}

export interface SendContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RequestRecord;
  readonly facts: RequestFacts;
  readonly faults: FaultBook;
  readonly bytesPerSecond?: number;
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(JSON.stringify(value)) };
}

/**
 * An error as the Hub words it: status, X-Error-Code / X-Error-Message headers and a JSON `error` body.
 * The body carries the message exactly; the header carries it as far as a header can (see headerSafe).
 */
export function errorReply(status: number, message: string, code?: string, extra: Record<string, string> = {}): Reply {
  return jsonReply(status, { error: message }, { ...(code ? { 'X-Error-Code': code } : {}), 'X-Error-Message': headerSafe(message), ...extra });
}

/** What node:http refuses in a header value (it throws, and the connection dies without an answer). */
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/gu;

/**
 * A header value node:http will send: text beyond Latin-1 (a revision "branch/名前", echoed in an error) and
 * control characters are percent-encoded as UTF-8, so the answer still arrives with its status and code.
 */
export function headerSafe(value: string): string {
  // A lone surrogate has no UTF-8 form (encodeURIComponent throws): send U+FFFD's bytes instead.
  return value.replace(UNSENDABLE, (c) => (c.length === 1 && c >= '\ud800' && c <= '\udfff' ? '%EF%BF%BD' : encodeURIComponent(c)));
}

/** The reply an early fault ('status' / 'not-found') stands for. */
/** The Hub's rate-limit headers: `RateLimit: "api";r=<left>;t=<seconds to reset>` and its policy. */
export function rateLimitHeaders(resource: string, remaining: number, resetSeconds: number, limit: number, windowSeconds: number): Record<string, string> {
  return { RateLimit: `"${resource}";r=${remaining};t=${resetSeconds}`, 'RateLimit-Policy': `"fixed window";"${resource}";q=${limit};w=${windowSeconds}` };
}

/** A 429 as the Hub words it. */
export function rateLimitedReply(resource: string, resetSeconds: number, limit: number, windowSeconds: number): Reply {
  const message = `You have been rate-limited; you can retry this action in about ${resetSeconds} seconds.`;
  return errorReply(429, message, undefined, rateLimitHeaders(resource, 0, resetSeconds, limit, windowSeconds));
}

export function faultReply(rule: FaultRule, server: 'hub' | 'cdn'): Reply {
  if (rule.kind === 'rate-limit') return rateLimitedReply(rule.resource ?? 'api', rule.resetSeconds, rule.limit ?? 500, rule.windowSeconds ?? 300);
  if (rule.kind === 'not-found') {
    return server === 'hub'
      ? errorReply(404, 'Entry not found', 'EntryNotFound')
      : { status: 404, headers: { 'Content-Type': 'application/xml' }, body: Buffer.from('<Error><Code>NoSuchKey</Code></Error>') };
  }
  if (rule.kind !== 'status') throw new Error(`fake hub: ${rule.kind} is not an early fault`);
  const retry: Record<string, string> = rule.retryAfterSeconds !== undefined ? { 'Retry-After': String(rule.retryAfterSeconds) } : {};
  return errorReply(rule.status, `Injected failure (${rule.status})`, undefined, retry);
}

type RangeOutcome = { kind: 'none' } | { kind: 'ok'; start: number; end: number } | { kind: 'unsatisfiable' };

/** Single "bytes=a-b", "bytes=a-" or "bytes=-n"; malformed or multi-range headers are ignored (full body), as RFC 9110 allows. */
function parseRange(header: string | undefined, size: number): RangeOutcome {
  if (!header) return { kind: 'none' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'none' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'ok', start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || last < start) return { kind: 'unsatisfiable' };
  return { kind: 'ok', start, end: last + 1 };
}

export async function send(ctx: SendContext, reply: Reply): Promise<void> {
  const { req, res, record } = ctx;
  const isHead = req.method === 'HEAD';
  let status = reply.status;
  const headers: Record<string, string> = { ...reply.headers };
  let body = reply.body;
  let span = { start: 0, end: body.length };

  const range = reply.rangeable && status === 200 ? parseRange(headerValue(req.headers.range), body.length) : ({ kind: 'none' } as const);
  const fault = ctx.faults.takeForReply(ctx.facts, {
    status: range.kind === 'unsatisfiable' ? 416 : range.kind === 'ok' ? 206 : status,
    hasBody: !isHead && body.length > 0,
    rangeRequested: range.kind === 'ok',
    span: range.kind === 'ok' ? { start: range.start, end: range.end } : span,
  });

  if (fault?.kind !== 'ignore-range') {
    if (range.kind === 'unsatisfiable') {
      status = 416;
      headers['Content-Range'] = `bytes */${body.length}`;
      body = Buffer.alloc(0);
      span = { start: 0, end: 0 };
    } else if (range.kind === 'ok') {
      status = 206;
      headers['Content-Range'] = `bytes ${range.start}-${range.end - 1}/${body.length}`;
      body = body.subarray(range.start, range.end);
      span = { start: range.start, end: range.end };
    }
  }

  let sendLength = body.length;
  if (fault?.kind === 'corrupt') {
    const at = fault.atByte === undefined ? Math.floor(body.length / 2) : fault.atByte - span.start;
    body = Buffer.from(body);
    body[at] = body[at]! ^ 0xff;
  }
  if (fault?.kind === 'truncate') {
    // A short body that still ends cleanly: chunked framing, so the client sees a normal end of stream.
    sendLength = Math.min(fault.bytes, body.length);
  } else {
    headers['Content-Length'] = String(body.length);
  }

  record.status = status;
  for (const [name, value] of Object.entries(headers)) headers[name] = headerSafe(value);
  res.writeHead(status, headers);
  if (isHead) {
    res.end();
    return;
  }
  await streamBody(ctx, body.subarray(0, sendLength), {
    dropAfter: fault?.kind === 'drop-after' ? fault.bytes : undefined,
    stall: fault?.kind === 'stall' ? { at: fault.afterBytes, ms: fault.ms } : undefined,
    trickle: fault?.kind === 'trickle' ? { bytes: Math.max(1, fault.bytes), everyMs: fault.everyMs } : undefined,
  });
}

interface StreamPlan {
  readonly dropAfter: number | undefined;
  readonly stall: { readonly at: number; readonly ms: number } | undefined;
  readonly trickle?: { readonly bytes: number; readonly everyMs: number } | undefined;
}

async function streamBody(ctx: SendContext, body: Buffer, plan: StreamPlan): Promise<void> {
  const { res, record } = ctx;
  let closed = false;
  const onClose = (): void => {
    closed = true;
  };
  res.once('close', onClose);
  const bps = ctx.bytesPerSecond;
  const chunkSize = plan.trickle ? plan.trickle.bytes : bps ? Math.max(1024, Math.min(64 * 1024, Math.floor(bps / 20))) : 64 * 1024;
  const started = Date.now();
  let pos = 0;
  let stalled = false;

  try {
    if (plan.dropAfter === 0) {
      await write(res, Buffer.alloc(0));
      return dropConnection(res);
    }
    while (pos < body.length && !closed) {
      let end = Math.min(body.length, pos + chunkSize);
      if (plan.dropAfter !== undefined && plan.dropAfter > pos) end = Math.min(end, plan.dropAfter);
      if (plan.stall && !stalled && plan.stall.at > pos) end = Math.min(end, plan.stall.at);
      await write(res, body.subarray(pos, end));
      record.bodyBytesSent += end - pos;
      pos = end;
      if (plan.dropAfter !== undefined && pos >= plan.dropAfter) return dropConnection(res);
      if (plan.stall && !stalled && pos >= plan.stall.at) {
        stalled = true;
        await sleepUnlessClosed(res, plan.stall.ms, () => closed);
      }
      if (plan.trickle && pos < body.length) await sleepUnlessClosed(res, plan.trickle.everyMs, () => closed);
      if (bps) {
        const due = started + (pos / bps) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await sleepUnlessClosed(res, wait, () => closed);
      }
    }
    if (plan.dropAfter !== undefined && !closed) return dropConnection(res);
    if (!closed) res.end();
  } finally {
    res.off('close', onClose);
  }
}

function dropConnection(res: ServerResponse): void {
  res.socket?.destroy();
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    const done = (): void => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    // Resolve once the chunk is handed to the socket, so byte counts and drops happen at true boundaries.
    res.write(chunk, done);
  });
}

function sleepUnlessClosed(res: ServerResponse, ms: number, isClosed: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (isClosed()) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
    res.once('close', done);
  });
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
