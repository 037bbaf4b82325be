import { echo } from '../echo';
import { MistudioError, throwIfAborted } from '../errors';
import type { RepoMetadata } from '../metadata';
import { BodyTooLargeError, readBodyCapped, readBodyPrefix } from '../net/boundedBody';
import { resolveNetworkLimits } from '../net/limits';
import { resolveRetryPolicy, type ServerWaitListener } from '../net/retry';
import { validateRepoId, validateRevision, type RepoKind, type RepoRef } from '../repo';
import { resolveEndpoint } from './endpoint';
import type { CallContext } from './hubErrors';
import { hubGet, offlineError, readJson, type HubCall, type HubHttpConfig } from './hubRequest';
import { MAX_CONFIG_BYTES, preferLocal, readModelFacts, type FileSource } from './modelFacts';
import { readPages } from './pages';
import { validateRepoFilePath } from './repoPath';
import { baseMetadata, datasetMetadata } from './repoMetadata';
import type { Gating, HubClientOptions, ListedFile, HubSearchResult, HubUser, RepoFile, RepoInfo, SearchOptions } from './types';
import { sharedFetch } from '../transfer/agent';

export { offlineError } from './hubRequest';

const DEFAULT_SEARCH_LIMIT = 50;
const COMMIT_SHA = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** What repo info asks the Hub to expand, per repo type: datasets have no pipeline_tag (the Hub refuses it). */
const INFO_EXPAND: Readonly<Record<RepoKind, readonly string[]>> = {
  model: ['pipeline_tag', 'private', 'gated', 'downloads', 'likes', 'lastModified', 'sha', 'cardData', 'tags'],
  dataset: ['private', 'gated', 'downloads', 'likes', 'lastModified', 'sha', 'cardData', 'tags'],
};
const SEARCH_EXPAND: Readonly<Record<RepoKind, readonly string[]>> = {
  model: ['pipeline_tag', 'private', 'gated', 'downloads', 'likes', 'lastModified'],
  dataset: ['private', 'gated', 'downloads', 'likes', 'lastModified'],
};

/**
 * Metadata access to the Hugging Face Hub (or a mirror): repo info, file listings, search, identity and the
 * metadata shown in the catalog. Bytes of whole files are not fetched here (the transfer engine does that from
 * fileUrl()). Every request is bounded (hub/hubRequest.ts: deadline, byte caps, the token only where it belongs,
 * retries); every failure is a MistudioError; a cancel is MistudioError('Cancelled').
 */
export class HubClient {
  readonly endpoint: string;
  readonly offline: boolean;
  private readonly config: HubHttpConfig;

  constructor(private readonly options: HubClientOptions) {
    this.endpoint = resolveEndpoint({ override: options.endpoint, env: {} });
    this.offline = options.offline ?? false;
    this.config = {
      endpoint: this.endpoint,
      origin: new URL(this.endpoint).origin,
      token: options.token?.trim() || undefined,
      fetch: options.fetch ?? sharedFetch,
      userAgent: options.userAgent,
      retry: resolveRetryPolicy(options.retry),
      limits: resolveNetworkLimits(options.limits),
      offline: this.offline,
      onServerWait: options.onServerWait,
    };
  }

  /** The same client, telling `listener` while a request waits on the server's word (a rate limit's reset). */
  withServerWaitListener(listener: ServerWaitListener): HubClient {
    return new HubClient({ ...this.options, onServerWait: listener });
  }

  async repoInfo(ref: RepoRef, revision: string, signal?: AbortSignal): Promise<RepoInfo> {
    const repoId = validateRepoId(ref.repoId);
    const rev = validateRevision(revision);
    const clean: RepoRef = { kind: ref.kind, repoId };
    const expand = INFO_EXPAND[ref.kind].map((key) => `expand=${encodeURIComponent(key)}`).join('&');
    const url = `${this.endpoint}/api/${ref.kind}s/${repoId}/revision/${encodeURIComponent(rev)}?${expand}`;
    const raw = await this.getJson(this.call({ ref: clean, revision: rev }, signal), url, `the repo info of ${repoId}`);
    if (!isRecord(raw) || typeof raw['sha'] !== 'string' || !COMMIT_SHA.test(raw['sha'])) {
      throw new MistudioError('Http', `${this.endpoint} answered without a commit for ${repoId}@${rev}`, { repoId });
    }
    const cardData = isRecord(raw['cardData']) ? raw['cardData'] : undefined;
    const license = licenseOf(cardData);
    const pipelineTag = ref.kind === 'model' && typeof raw['pipeline_tag'] === 'string' ? raw['pipeline_tag'] : undefined;
    const lastModified = isoDate(raw['lastModified']);
    return {
      ref: clean,
      commit: raw['sha'],
      gated: gating(raw['gated']),
      private: raw['private'] === true,
      ...(license ? { license } : {}),
      ...(pipelineTag ? { pipelineTag } : {}),
      downloads: finiteOr0(raw['downloads']),
      likes: finiteOr0(raw['likes']),
      ...(lastModified ? { lastModified } : {}),
      tags: Array.isArray(raw['tags']) ? raw['tags'].filter((t): t is string => typeof t === 'string') : [],
      ...(cardData ? { cardData } : {}),
    };
  }

  /**
   * Every file at a commit (all pages, recursive); directories left out, every path checked safe. Read as a stream,
   * page by page, keeping only what a plan needs of each entry (RepoFile); bounded by the listing limits.
   */
  async listFiles(ref: RepoRef, commit: string, signal?: AbortSignal): Promise<RepoFile[]> {
    const repoId = validateRepoId(ref.repoId);
    const rev = validateRevision(commit);
    const call = this.call({ ref: { kind: ref.kind, repoId }, revision: rev }, signal);
    const url = `${this.endpoint}/api/${ref.kind}s/${repoId}/tree/${encodeURIComponent(rev)}?recursive=true&expand=false`;
    const what = `the file listing of ${repoId}`;
    return readPages(this.config, call, url, { what, maxItems: this.config.limits.maxListingFiles }, (value) => repoFileOf(value, repoId, this.endpoint));
  }

  async searchRepos(kind: RepoKind, query: string, options: SearchOptions = {}, signal?: AbortSignal): Promise<HubSearchResult[]> {
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new MistudioError('InvalidInput', `Invalid search limit ${limit}: expected 1 to 1000`);
    const params = new URLSearchParams({ limit: String(limit) });
    if (query.trim()) params.set('search', query.trim());
    if (options.sort) params.set('sort', options.sort);
    for (const key of SEARCH_EXPAND[kind]) params.append('expand', key);
    const url = `${this.endpoint}/api/${kind}s?${params.toString()}`;
    return readPages(this.config, this.call({}, signal), url, { what: `the ${kind} search`, maxItems: Math.max(limit, 1000), enough: limit }, (value) => searchResultOf(value, kind));
  }

  async whoAmI(signal?: AbortSignal): Promise<HubUser> {
    if (!this.config.token) throw new MistudioError('Unauthorized', `No Hugging Face token: sign in to ${this.endpoint} first`);
    const body = await this.getJson(this.call({}, signal), `${this.endpoint}/api/whoami-v2`, 'whoami');
    if (!isRecord(body) || typeof body['name'] !== 'string') throw new MistudioError('Http', `${this.endpoint} answered whoami without a name`);
    const type = body['type'] === 'org' || body['type'] === 'app' ? body['type'] : 'user';
    const orgs = Array.isArray(body['orgs']) ? body['orgs'].filter(isRecord).map((o) => o['name']).filter((n): n is string => typeof n === 'string') : [];
    const auth = isRecord(body['auth']) && isRecord(body['auth']['accessToken']) ? body['auth']['accessToken'] : undefined;
    return {
      name: body['name'],
      ...(typeof body['fullname'] === 'string' ? { fullname: body['fullname'] } : {}),
      type,
      orgs,
      ...(typeof auth?.['role'] === 'string' ? { tokenRole: auth['role'] } : {}),
    };
  }

  /** The resolve URL of a file at a commit; every path segment percent-encoded (spaces, '#', '?', unicode). */
  fileUrl(ref: RepoRef, commit: string, path: string): string {
    const encodedPath = path.split('/').map(encodeURIComponent).join('/');
    const prefix = ref.kind === 'dataset' ? 'datasets/' : '';
    return `${this.endpoint}/${prefix}${ref.repoId}/resolve/${encodeURIComponent(commit)}/${encodedPath}`;
  }

  /**
   * What the catalog shows about a repo. Never fails for metadata reasons: what cannot be read is left out.
   * Only a cancel throws. `local` serves the files a download just placed in the cache, so each is read once: from
   * disk when it is there, from the Hub otherwise.
   */
  async readMetadata(
    ref: RepoRef,
    commit: string,
    files: readonly ListedFile[],
    info: RepoInfo,
    signal?: AbortSignal,
    local?: { readonly source: FileSource; readonly paths: ReadonlySet<string> },
  ): Promise<RepoMetadata> {
    throwIfAborted(signal);
    const base = baseMetadata(info, files);
    if (ref.kind === 'dataset') return { ...base, dataset: datasetMetadata(info, files) };
    const remote = this.fileSource(ref, commit);
    return { ...base, model: await readModelFacts(local ? preferLocal(local.source, local.paths, remote) : remote, files, signal) };
  }

  /** The files of a commit, read through their resolve URLs (and any redirect), for readModelFacts. */
  private fileSource(ref: RepoRef, commit: string): FileSource {
    return {
      read: (path, maxBytes, signal) => this.readSmallFile(ref, commit, path, signal, maxBytes),
      readRange: (path, start, end, signal) => this.readRange(ref, commit, path, start, end, signal),
    };
  }

  /**
   * A small file's bytes (a README, a config) at a commit, through the Hub's resolve URL and any redirect.
   * Larger files belong to the transfer engine: anything over maxBytes is refused.
   */
  async readSmallFile(ref: RepoRef, commit: string, path: string, signal?: AbortSignal, maxBytes = MAX_CONFIG_BYTES): Promise<Buffer> {
    const clean = this.checkFile(ref, commit, path);
    const tooBig = (): MistudioError => new MistudioError('InvalidInput', `${echo(path, 120)} in ${clean.repoId} is larger than ${maxBytes} bytes`, { repoId: clean.repoId, path });
    return hubGet(this.config, this.call({ ref: clean, revision: commit, path }, signal), this.fileUrl(clean, commit, path), { what: echo(path, 120) }, async (response) => {
      const declared = Number(response.headers.get('content-length') ?? NaN);
      try {
        return await readBodyCapped(response.body, maxBytes, Number.isFinite(declared) ? declared : undefined);
      } catch (err) {
        throw err instanceof BodyTooLargeError ? tooBig() : err;
      }
    });
  }

  /** Bytes [start, end) of a file at a commit by a Range request; a server that ignores Range is read up to `end`. */
  async readRange(ref: RepoRef, commit: string, path: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
    const clean = this.checkFile(ref, commit, path);
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start < end)) throw new MistudioError('InvalidInput', `Invalid byte range ${start}-${end}`);
    const headers = { range: `bytes=${start}-${end - 1}`, 'accept-encoding': 'identity' };
    return hubGet(this.config, this.call({ ref: clean, revision: commit, path }, signal), this.fileUrl(clean, commit, path), { what: echo(path, 120), headers }, async (response) => {
      if (response.status === 206) {
        const from = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
        if (from === null || Number(from[1]) !== start) {
          await response.body?.cancel().catch(() => undefined);
          throw new MistudioError('Http', `${this.endpoint} answered other bytes of ${echo(path, 120)} than asked for`);
        }
        return readBodyPrefix(response.body, end - start);
      }
      const prefix = await readBodyPrefix(response.body, end);
      return prefix.subarray(Math.min(start, prefix.length));
    });
  }

  private checkFile(ref: RepoRef, commit: string, path: string): RepoRef {
    const repoId = validateRepoId(ref.repoId);
    validateRevision(commit);
    validateRepoFilePath(path, repoId);
    return { kind: ref.kind, repoId };
  }

  private async getJson(call: HubCall, url: string, what: string): Promise<unknown> {
    return hubGet(this.config, call, url, { what, headers: { accept: 'application/json' } }, (response) => readJson(this.config, response));
  }

  private call(partial: Omit<CallContext, 'endpoint' | 'hasToken'>, signal: AbortSignal | undefined): HubCall {
    throwIfAborted(signal);
    if (this.offline) throw offlineError(partial.path ?? partial.ref?.repoId ?? this.endpoint);
    return { signal, ctx: { endpoint: this.endpoint, hasToken: this.config.token !== undefined, ...partial }, answered: false };
  }
}

/**
 * A tree entry as the plan needs it, or undefined for a directory. What else the Hub sends (lastCommit, security,
 * xetHash — redacted as 64 '*' on gated repos) is dropped here, entry by entry, so a listing costs its compact form.
 */
function repoFileOf(value: unknown, repoId: string, endpoint: string): RepoFile | undefined {
  if (!isRecord(value)) throw malformed(endpoint, repoId, 'an entry that is not an object');
  const { type, path, size, oid, lfs } = value;
  if (type === 'directory') return undefined;
  if (type !== 'file' || typeof path !== 'string') throw malformed(endpoint, repoId, 'an entry without a type and path');
  validateRepoFilePath(path, repoId);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw malformed(endpoint, repoId, `no size for "${echo(path, 120)}"`);
  const file: RepoFile = { path, size, oid: typeof oid === 'string' ? oid : '' };
  if (!isRecord(lfs)) return file;
  const sha256 = lfs['oid'];
  const lfsSize = lfs['size'];
  if (typeof sha256 !== 'string' || !SHA256.test(sha256) || typeof lfsSize !== 'number' || !Number.isSafeInteger(lfsSize) || lfsSize < 0) {
    throw malformed(endpoint, repoId, `a malformed LFS pointer for "${echo(path, 120)}"`);
  }
  return { ...file, lfs: { sha256, size: lfsSize } };
}

function malformed(endpoint: string, repoId: string, what: string): MistudioError {
  return new MistudioError('Http', `${endpoint} listed ${what} in ${repoId}`, { repoId });
}

function searchResultOf(value: unknown, kind: RepoKind): HubSearchResult | undefined {
  if (!isRecord(value) || typeof value['id'] !== 'string') return undefined;
  const lastModified = isoDate(value['lastModified']);
  const pipelineTag = typeof value['pipeline_tag'] === 'string' ? value['pipeline_tag'] : undefined;
  return {
    id: value['id'],
    kind,
    downloads: finiteOr0(value['downloads']),
    likes: finiteOr0(value['likes']),
    ...(lastModified ? { lastModified } : {}),
    gated: gating(value['gated']),
    private: value['private'] === true,
    ...(pipelineTag ? { pipelineTag } : {}),
  };
}

function licenseOf(cardData: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const raw = cardData?.['license'];
  const license = typeof raw === 'string' ? raw : Array.isArray(raw) && typeof raw[0] === 'string' ? raw[0] : undefined;
  const name = cardData?.['license_name'];
  return license === 'other' && typeof name === 'string' && name ? name : license;
}

function gating(value: unknown): Gating {
  if (value === 'auto' || value === 'manual') return value;
  return value === true ? 'manual' : false;
}

function finiteOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function isoDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
