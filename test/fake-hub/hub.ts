import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { applyExpand, invalidExpandKeys, repoInfo, treeEntryJson, whoAmIJson, xetHashOf } from './payloads';
import { errorReply, headerValue, jsonReply, type Reply } from './send';
import { resolveRevision, treeEntries, type StoredCommit, type StoredFile, type StoredRepo } from './store';
import type { Caller, HubState } from './state';

type Kind = 'model' | 'dataset';

const API_KEYWORDS = new Set(['revision', 'tree', 'paths-info']);
const FILE_KEYWORDS = new Set(['resolve', 'raw']);

/** Routes one request to the hub origin; never throws for a bad request, answers an error reply instead. */
export async function routeHub(state: HubState, req: IncomingMessage, url: URL): Promise<Reply> {
  const caller = state.caller(headerValue(req.headers.authorization));
  // The Hub rejects a bad token everywhere, even on public repos.
  if (caller.kind === 'invalid') return errorReply(401, 'Invalid credentials in Authorization header');
  const method = req.method ?? 'GET';
  const segments = url.pathname.split('/').slice(1);
  if (segments[0] === 'api') {
    if (segments[1] === 'whoami-v2' && segments.length === 2) return whoAmI(caller);
    if (segments[1] === 'resolve-cache') return resolveCache(state, caller, segments.slice(2), method);
    const kind = apiKind(segments[1]);
    if (!kind) return errorReply(404, 'Not Found');
    if (segments.length === 2) return search(state, caller, kind, url);
    const renamed = aliasRedirect(state, kind, segments.slice(2), API_KEYWORDS, (id) => `/api/${segments[1]}/${id}`, url);
    if (renamed) return renamed;
    return repoApi(state, req, caller, kind, segments.slice(2), url, method);
  }
  const [kind, rest] = segments[0] === 'datasets' ? (['dataset', segments.slice(1)] as const) : (['model', segments] as const);
  const renamed = aliasRedirect(state, kind, rest, FILE_KEYWORDS, (id) => `${kind === 'dataset' ? '/datasets' : ''}/${id}`, url);
  if (renamed) return renamed;
  const parts = splitRepo(rest, FILE_KEYWORDS);
  if (!parts?.keyword) return errorReply(404, 'Not Found');
  if (method !== 'GET' && method !== 'HEAD') return errorReply(405, 'Method Not Allowed');
  return serveFile(state, caller, kind, parts.id, parts.keyword === 'raw', parts.rest);
}

/**
 * A renamed repo or a legacy id ("gpt2" for "openai-community/gpt2"): 307 to the same path under the repo's id now,
 * with a relative Location, as the Hub answers. Undefined when the URL names no alias.
 */
function aliasRedirect(state: HubState, kind: Kind, segments: string[], keywords: Set<string>, prefix: (id: string) => string, url: URL): Reply | undefined {
  const parts = splitRepo(segments, keywords);
  if (!parts) return undefined;
  const canonical = state.canonicalId(kind, parts.id);
  if (canonical === undefined) return undefined;
  const tail = parts.keyword ? `/${[parts.keyword, ...parts.rest].join('/')}` : '';
  const location = `${prefix(canonical.split('/').map(encodeURIComponent).join('/'))}${tail}${url.search}`;
  return { status: 307, headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8' }, body: Buffer.from(`Temporary Redirect. Redirecting to ${location}`) };
}

function apiKind(segment: string | undefined): Kind | undefined {
  return segment === 'models' ? 'model' : segment === 'datasets' ? 'dataset' : undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** "org/name/keyword/..." or legacy "name/keyword/..." → repo id, keyword and the segments after it (still encoded). */
function splitRepo(segments: string[], keywords: Set<string>): { id: string; keyword?: string; rest: string[] } | undefined {
  if (segments.length >= 3 && keywords.has(segments[2]!)) {
    return { id: `${decode(segments[0]!)}/${decode(segments[1]!)}`, keyword: segments[2]!, rest: segments.slice(3) };
  }
  if (segments.length >= 2 && keywords.has(segments[1]!)) return { id: decode(segments[0]!), keyword: segments[1]!, rest: segments.slice(2) };
  if (segments.length === 2 && segments[1] !== '') return { id: `${decode(segments[0]!)}/${decode(segments[1]!)}`, rest: [] };
  if (segments.length === 1 && segments[0] !== '') return { id: decode(segments[0]!), rest: [] };
  return undefined;
}

function whoAmI(caller: Caller): Reply {
  if (caller.kind !== 'user') return errorReply(401, 'Invalid credentials in Authorization header');
  return jsonReply(200, whoAmIJson(caller.grant.user, caller.token));
}

function repoNotFound(caller: Caller): Reply {
  return caller.kind === 'user'
    ? errorReply(404, 'Repository not found', 'RepoNotFound')
    : errorReply(401, 'Invalid username or password.', 'RepoNotFound');
}

/** Private and unknown repos look alike to outsiders, as on the Hub. */
function findRepo(state: HubState, caller: Caller, kind: Kind, id: string): StoredRepo | Reply {
  const repo = state.repo(kind, id);
  if (!repo || (repo.private && caller.kind !== 'user')) return repoNotFound(caller);
  return repo;
}

function isReply(value: StoredRepo | Reply): value is Reply {
  return 'status' in value && 'body' in value;
}

/** File contents of gated repos need a token with access; metadata stays public, as on the Hub. */
function gateCheck(state: HubState, caller: Caller, repo: StoredRepo): Reply | undefined {
  if (!repo.gated || (caller.kind === 'user' && caller.grant.canAccessGated)) return undefined;
  if (caller.kind !== 'user') {
    return errorReply(401, `Access to ${repo.kind} ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`, 'GatedRepo');
  }
  const page = `${state.hubUrl}/${repo.kind === 'dataset' ? 'datasets/' : ''}${repo.id}`;
  return errorReply(403, `Access to ${repo.kind} ${repo.id} is restricted and you are not in the authorized list. Visit ${page} to ask for access.`, 'GatedRepo');
}

/** Revisions may contain "/" (refs/pr/1): accept them encoded as one segment or spread over several. */
function splitRevision(repo: StoredRepo, rest: string[]): { commit: StoredCommit; path: string } | { missing: string } {
  const decoded = rest.map(decode);
  for (let k = 1; k <= decoded.length; k++) {
    const commit = resolveRevision(repo, decoded.slice(0, k).join('/'));
    if (commit) return { commit, path: decoded.slice(k).join('/') };
  }
  return { missing: decoded[0] ?? '' };
}

function revisionNotFound(revision: string): Reply {
  return errorReply(404, `Invalid rev id: ${revision}`, 'RevisionNotFound');
}

function truthy(value: string | null): boolean {
  return value === 'true' || value === 'True' || value === '1';
}

async function repoApi(state: HubState, req: IncomingMessage, caller: Caller, kind: Kind, segments: string[], url: URL, method: string): Promise<Reply> {
  const parts = splitRepo(segments, API_KEYWORDS);
  if (!parts) return errorReply(404, 'Not Found');
  const found = findRepo(state, caller, kind, parts.id);
  if (isReply(found)) return found;
  const repo = found;
  if (parts.keyword === 'paths-info') {
    if (method !== 'POST') return errorReply(405, 'Method Not Allowed');
    const revision = parts.rest.map(decode).join('/');
    const commit = resolveRevision(repo, revision);
    if (!commit) return revisionNotFound(revision);
    return pathsInfo(repo, commit, await readBody(req), headerValue(req.headers['content-type']) ?? '');
  }
  if (method !== 'GET' && method !== 'HEAD') return errorReply(405, 'Method Not Allowed');
  if (parts.keyword === 'tree') {
    const split = splitRevision(repo, parts.rest);
    if ('missing' in split) return revisionNotFound(split.missing);
    return tree(state, repo, split.commit, split.path, url);
  }
  const revision = parts.keyword === 'revision' ? parts.rest.map(decode).join('/') : 'main';
  const commit = resolveRevision(repo, revision);
  if (!commit) return revisionNotFound(revision);
  const expand = [...url.searchParams.getAll('expand'), ...url.searchParams.getAll('expand[]')];
  const invalid = invalidExpandKeys(kind, expand);
  if (invalid.length > 0) return errorReply(400, `"expand" contains invalid values: ${invalid.join(', ')}`);
  return jsonReply(200, applyExpand(repoInfo(repo, commit, { blobs: truthy(url.searchParams.get('blobs')) }), expand));
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeCursor(cursor: string | null): number {
  if (!cursor) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const offset = (parsed as { offset?: unknown }).offset;
    return typeof offset === 'number' && offset >= 0 ? offset : 0;
  } catch {
    return 0;
  }
}

/** One page and a `Link: <…>; rel="next"` header when more remain, as the Hub paginates lists. */
function paginate<T>(state: HubState, url: URL, items: readonly T[], pageSize: number, toJson: (item: T) => unknown = (item) => item): Reply {
  const offset = decodeCursor(url.searchParams.get('cursor'));
  const page = items.slice(offset, offset + pageSize).map(toJson);
  const headers: Record<string, string> = {};
  if (offset + pageSize < items.length) {
    const next = new URL(url.toString());
    next.searchParams.set('cursor', encodeCursor(offset + pageSize));
    headers['Link'] = `<${state.hubUrl}${next.pathname}${next.search}>; rel="next"`;
  }
  return jsonReply(200, page, headers);
}

function tree(state: HubState, repo: StoredRepo, commit: StoredCommit, path: string, url: URL): Reply {
  const recursive = truthy(url.searchParams.get('recursive'));
  const expand = truthy(url.searchParams.get('expand'));
  const prefix = path.replace(/\/+$/, '');
  const all = treeEntries(commit);
  const self = prefix === '' ? undefined : all.find((e) => e.path === prefix);
  if (prefix !== '' && !self) return errorReply(404, `Entry not found: ${prefix}`, 'EntryNotFound');
  const entries =
    self?.type === 'file'
      ? [self]
      : prefix === '' && recursive
        ? all
        : all.filter((e) => {
          if (prefix !== '' && !e.path.startsWith(`${prefix}/`)) return false;
          const relative = prefix === '' ? e.path : e.path.slice(prefix.length + 1);
          return recursive || !relative.includes('/');
        });
  const limit = Number(url.searchParams.get('limit'));
  const pageSize = Number.isInteger(limit) && limit > 0 ? limit : state.treePageSize;
  return paginate(state, url, entries, pageSize, (e) => treeEntryJson(repo, commit, e, expand ? 'tree' : 'none'));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Accepts JSON (@huggingface/hub) and form bodies (Python's huggingface_hub), as the Hub does. */
function pathsInfo(repo: StoredRepo, commit: StoredCommit, body: Buffer, contentType: string): Reply {
  let paths: string[] = [];
  let expand = false;
  if (contentType.includes('application/json')) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { paths?: unknown; expand?: unknown };
      paths = Array.isArray(parsed.paths) ? parsed.paths.filter((p): p is string => typeof p === 'string') : typeof parsed.paths === 'string' ? [parsed.paths] : [];
      expand = parsed.expand === true || parsed.expand === 'true';
    } catch {
      return errorReply(400, 'Invalid JSON body');
    }
  } else {
    const form = new URLSearchParams(body.toString('utf8'));
    paths = form.getAll('paths');
    expand = truthy(form.get('expand'));
  }
  const entries = treeEntries(commit);
  const found = paths.flatMap((p) => entries.filter((e) => e.path === p.replace(/\/+$/, '')));
  return jsonReply(200, found.map((e) => treeEntryJson(repo, commit, e, expand ? 'paths-info' : 'none')));
}

function search(state: HubState, caller: Caller, kind: Kind, url: URL): Reply {
  const q = url.searchParams;
  const text = (q.get('search') ?? '').toLowerCase();
  const author = q.get('author');
  const tags = q.getAll('filter');
  const task = q.get('pipeline_tag');
  const expand = [...q.getAll('expand'), ...q.getAll('expand[]')];
  const invalid = invalidExpandKeys(kind, expand);
  if (invalid.length > 0) return errorReply(400, `"expand" contains invalid values: ${invalid.join(', ')}`);
  const full = truthy(q.get('full'));
  let items = [...state.repos.values()]
    .filter((r) => r.kind === kind && (!r.private || caller.kind === 'user'))
    .map((r) => {
      const sha = r.refs.get('main')!;
      const info = repoInfo(r, r.commits.find((c) => c.sha === sha)!, { blobs: false });
      if (!full && !expand.includes('siblings')) delete info['siblings'];
      return info;
    })
    .filter((info) => {
      const id = String(info['id']);
      if (text && !id.toLowerCase().includes(text)) return false;
      if (author && id.split('/')[0] !== author) return false;
      if (task && info['pipeline_tag'] !== task) return false;
      const itemTags = info['tags'] as string[];
      return tags.every((t) => itemTags.includes(t));
    });
  const sort = q.get('sort');
  if (sort) {
    const direction = q.get('direction') === '1' ? 1 : -1;
    items = [...items].sort((a, b) => direction * compare(a[sort], b[sort]));
  }
  const limit = Number(q.get('limit'));
  const pageSize = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 1000;
  return paginate(state, url, items.map((i) => applyExpand(i, expand)), pageSize);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a ?? '');
  const sb = String(b ?? '');
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function contentType(path: string): string {
  if (path.endsWith('.json')) return 'application/json; charset=utf-8';
  if (/\.(md|txt|py|yaml|yml|gitattributes)$/.test(path) || path.endsWith('.gitattributes')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function contentDisposition(path: string): string {
  const name = path.split('/').pop() ?? path;
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}";`;
}

export function signCdn(state: HubState, sha256: string, expires: number): string {
  return createHmac('sha256', state.signingKey).update(`${sha256}:${expires}`).digest('hex');
}

function serveFile(state: HubState, caller: Caller, kind: Kind, id: string, raw: boolean, rest: string[]): Reply {
  const found = findRepo(state, caller, kind, id);
  if (isReply(found)) return found;
  const repo = found;
  const gated = gateCheck(state, caller, repo);
  if (gated) return gated;
  const split = splitRevision(repo, rest);
  if ('missing' in split) return revisionNotFound(split.missing);
  const file = split.commit.files.get(split.path);
  if (!file) return errorReply(404, 'Entry not found', 'EntryNotFound', { 'X-Repo-Commit': split.commit.sha });
  const common = { 'X-Repo-Commit': split.commit.sha, 'Accept-Ranges': 'bytes', 'Access-Control-Expose-Headers': 'X-Repo-Commit,X-Linked-Etag,X-Linked-Size,ETag,Content-Range,X-Xet-Hash' };
  if (raw) return fileBody(common, file, file.pointer ?? file.content);
  if (!file.lfs) {
    // Regular git files: 307 to a relative /api/resolve-cache/… URL on the same host, as the Hub answers today.
    const location = `/api/resolve-cache/${kind}s/${repo.id}/${split.commit.sha}/${file.path.split('/').map(encodeURIComponent).join('/')}?etag=${encodeURIComponent(`"${file.oid}"`)}`;
    return {
      status: 307,
      headers: { ...common, Location: location, ETag: `"${file.oid}"`, 'X-Linked-Size': String(file.content.length), 'Content-Type': 'text/plain; charset=utf-8' },
      body: Buffer.from(`Temporary Redirect. Redirecting to ${location}`),
    };
  }
  // LFS: the hub redirects to the CDN (another origin) with a signed URL and describes the target in X-Linked-* headers.
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const location = new URL(`${state.cdnUrl}/${kind}s/${repo.id}/${file.sha256}/${file.path.split('/').map(encodeURIComponent).join('/')}`);
  location.searchParams.set('response-content-disposition', contentDisposition(file.path));
  location.searchParams.set('Expires', String(expires));
  location.searchParams.set('Signature', signCdn(state, file.sha256, expires));
  location.searchParams.set('Key-Pair-Id', 'KFAKEHUBCDN');
  const body = Buffer.from(`Found. Redirecting to ${location.toString()}`);
  return {
    status: 302,
    headers: {
      ...common,
      Location: location.toString(),
      'Content-Type': 'text/plain; charset=utf-8',
      ETag: `W/"${body.length.toString(16)}-${file.oid.slice(0, 27)}"`,
      'X-Linked-Etag': `"${file.sha256}"`,
      'X-Linked-Size': String(file.content.length),
      'X-Xet-Hash': xetHashOf(file),
    },
    body,
  };
}

function fileBody(common: Record<string, string>, file: StoredFile, body: Buffer): Reply {
  return {
    status: 200,
    headers: { ...common, 'Content-Type': contentType(file.path), ETag: `"${file.oid}"`, 'Content-Disposition': contentDisposition(file.path) },
    body,
    rangeable: true,
  };
}

/**
 * Where regular git files are served from: /api/resolve-cache/{models|datasets}/{repo id}/{commit}/{path}. Access
 * as for resolve (private and gated repos need the token, which a client keeps on this same-origin redirect).
 */
function resolveCache(state: HubState, caller: Caller, segments: string[], method: string): Reply {
  if (method !== 'GET' && method !== 'HEAD') return errorReply(405, 'Method Not Allowed');
  const kind = apiKind(segments[0]);
  if (!kind) return errorReply(404, 'Not Found');
  const rest = segments.slice(1);
  // "org/name/<commit>/…" or legacy "name/<commit>/…": the commit is the first 40-hex segment after the id.
  const at = /^[0-9a-f]{40}$/.test(rest[2] ?? '') ? 2 : /^[0-9a-f]{40}$/.test(rest[1] ?? '') ? 1 : -1;
  if (at < 0) return errorReply(404, 'Not Found');
  const found = findRepo(state, caller, kind, rest.slice(0, at).map(decode).join('/'));
  if (isReply(found)) return found;
  const gated = gateCheck(state, caller, found);
  if (gated) return gated;
  const commit = resolveRevision(found, rest[at]!);
  const file = commit?.files.get(rest.slice(at + 1).map(decode).join('/'));
  if (!commit || !file) return errorReply(404, 'Entry not found', 'EntryNotFound');
  return fileBody({ 'X-Repo-Commit': commit.sha, 'Accept-Ranges': 'bytes' }, file, file.content);
}
