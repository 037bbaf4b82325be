import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { signCdn } from './hub';
import type { Reply } from './send';
import type { HubState } from './state';

function xmlError(status: number, code: string): Reply {
  return { status, headers: { 'Content-Type': 'application/xml' }, body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code></Error>`) };
}

/**
 * The CDN origin: content-addressed LFS blobs at /{kind}s/{repo}/{sha256}/{path}, reachable only with the
 * signature the hub's redirect carries. It never looks at Authorization (a real CDN would reject or ignore it).
 */
export function routeCdn(state: HubState, req: IncomingMessage, url: URL): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD') return xmlError(405, 'MethodNotAllowed');
  const segments = url.pathname.split('/').slice(1);
  const sha256 = segments.find((s) => /^[0-9a-f]{64}$/.test(s));
  const expires = Number(url.searchParams.get('Expires'));
  const signature = url.searchParams.get('Signature') ?? '';
  if (!sha256) return xmlError(404, 'NoSuchKey');
  const expected = signCdn(state, sha256, expires);
  const valid = signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  if (!valid || !Number.isFinite(expires) || expires * 1000 < Date.now()) return xmlError(403, 'AccessDenied');
  const blob = state.blobs.get(sha256);
  if (!blob) return xmlError(404, 'NoSuchKey');
  const disposition = url.searchParams.get('response-content-disposition');
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/octet-stream',
      ETag: `"${sha256}"`,
      'Accept-Ranges': 'bytes',
      'Last-Modified': 'Wed, 01 May 2024 12:00:00 GMT',
      ...(disposition ? { 'Content-Disposition': disposition } : {}),
    },
    body: blob,
    rangeable: true,
  };
}
