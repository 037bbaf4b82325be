import { datasetInfo, listDatasets, listFiles, listModels, modelInfo, parseSafetensorsMetadata } from '@huggingface/hub';
import { echo } from '../echo';
import { MistudioError, throwIfAborted } from '../errors';
import type { ModelMetadata, RepoMetadata } from '../metadata';
import { validateRepoId, validateRevision, type RepoKind, type RepoRef } from '../repo';
import { resolveEndpoint } from './endpoint';
import { failureOf, toMistudioError, transportError, withAttempts, type CallContext, type FailedResponse } from './hubErrors';
import { configFacts, memoryEstimate, parameterCount, pickSafetensorsPath } from './modelMetadata';
import { validateRepoFilePath } from './repoPath';
import { baseMetadata, datasetMetadata } from './repoMetadata';
import { delay } from '../delay';
import { httpError } from '../net/httpErrors';
import { isRetryableNetworkFailure, networkFailureOf } from '../net/networkErrors';
import { isIdempotent, isRetryableStatus, resolveRetryPolicy, retryDelayMs, type RetryPolicy } from '../net/retry';
import { serverWaitMs } from '../net/serverWait';
import type { Gating, HubClientOptions, HubSearchResult, HubUser, RepoFile, RepoInfo, SearchOptions } from './types';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SEARCH_LIMIT = 50;
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** One Hub call: the caller's signal, and the last error response its requests saw (HubApiError drops headers). */
interface CallScope {
  readonly signal: AbortSignal | undefined;
  readonly ctx: CallContext;
  lastFailure?: FailedResponse;
  /** Some request of this call got an answer: from then on an unreachable host is a drop-out, worth retrying. */
  answered: boolean;
}

/**
 * Metadata access to the Hugging Face Hub (or a mirror): repo info, file listings, search, identity and the
 * metadata shown in the catalog. Bytes are not fetched here (the transfer engine does that from fileUrl()).
 * Every failure is a MistudioError; a cancel is MistudioError('Cancelled').
 */
export class HubClient {
  readonly endpoint: string;
  private readonly origin: string;
  private readonly token: string | undefined;
  private readonly baseFetch: typeof fetch;
  private readonly userAgent: string | undefined;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  readonly offline: boolean;

  constructor(options: HubClientOptions) {
    this.endpoint = resolveEndpoint({ override: options.endpoint, env: {} });
    this.origin = new URL(this.endpoint).origin;
    this.token = options.token?.trim() || undefined;
    this.baseFetch = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = resolveRetryPolicy(options.retry);
    this.offline = options.offline ?? false;
  }

  async repoInfo(ref: RepoRef, revision: string, signal?: AbortSignal): Promise<RepoInfo> {
    const repoId = validateRepoId(ref.repoId);
    const rev = validateRevision(revision);
    const clean: RepoRef = { kind: ref.kind, repoId };
    return this.call({ ref: clean, revision: rev }, signal, async (fetch) => {
      const common = { name: repoId, revision: rev, hubUrl: this.endpoint, fetch };
      const raw =
        ref.kind === 'model'
          ? await modelInfo({ ...common, additionalFields: ['sha', 'cardData', 'tags'] })
          : await datasetInfo({ ...common, additionalFields: ['sha', 'cardData', 'tags'] });
      if (typeof raw.sha !== 'string' || !COMMIT_SHA.test(raw.sha)) {
        throw new MistudioError('Http', `${this.endpoint} answered without a commit for ${repoId}@${rev}`, { repoId });
      }
      const cardData = isRecord(raw.cardData) ? raw.cardData : undefined;
      const license = licenseOf(cardData);
      const pipelineTag = 'task' in raw && typeof raw.task === 'string' ? raw.task : undefined;
      const lastModified = isoDate(raw.updatedAt);
      return {
        ref: clean,
        commit: raw.sha,
        gated: gating(raw.gated),
        private: raw.private === true,
        ...(license ? { license } : {}),
        ...(pipelineTag ? { pipelineTag } : {}),
        downloads: finiteOr0(raw.downloads),
        likes: finiteOr0(raw.likes),
        ...(lastModified ? { lastModified } : {}),
        tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
        ...(cardData ? { cardData } : {}),
      };
    });
  }

  /** Every file at a commit (all pages, recursive); directories left out, every path checked safe. */
  async listFiles(ref: RepoRef, commit: string, signal?: AbortSignal): Promise<RepoFile[]> {
    const repoId = validateRepoId(ref.repoId);
    const rev = validateRevision(commit);
    return this.call({ ref: { kind: ref.kind, repoId }, revision: rev }, signal, async (fetch) => {
      const files: RepoFile[] = [];
      for await (const entry of listFiles({ repo: { type: ref.kind, name: repoId }, revision: rev, recursive: true, hubUrl: this.endpoint, fetch })) {
        throwIfAborted(signal);
        if (entry.type !== 'file') continue;
        validateRepoFilePath(entry.path, repoId);
        files.push({
          path: entry.path,
          size: entry.size,
          oid: entry.oid ?? '',
          ...(entry.lfs ? { lfs: { sha256: entry.lfs.oid, size: entry.lfs.size } } : {}),
        });
      }
      return files;
    });
  }

  async searchRepos(kind: RepoKind, query: string, options: SearchOptions = {}, signal?: AbortSignal): Promise<HubSearchResult[]> {
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new MistudioError('InvalidInput', `Invalid search limit ${limit}: expected 1 to 1000`);
    return this.call({}, signal, async (fetch) => {
      const params = {
        hubUrl: this.endpoint,
        fetch,
        limit,
        ...(query.trim() ? { search: { query: query.trim() } } : {}),
        ...(options.sort ? { sort: options.sort } : {}),
      };
      const results: HubSearchResult[] = [];
      const entries = kind === 'model' ? listModels(params) : listDatasets(params);
      for await (const entry of entries) {
        throwIfAborted(signal);
        const lastModified = isoDate(entry.updatedAt);
        const pipelineTag = 'task' in entry && typeof entry.task === 'string' ? entry.task : undefined;
        results.push({
          id: entry.name,
          kind,
          downloads: finiteOr0(entry.downloads),
          likes: finiteOr0(entry.likes),
          ...(lastModified ? { lastModified } : {}),
          gated: gating(entry.gated),
          private: entry.private === true,
          ...(pipelineTag ? { pipelineTag } : {}),
        });
      }
      return results;
    });
  }

  async whoAmI(signal?: AbortSignal): Promise<HubUser> {
    if (!this.token) throw new MistudioError('Unauthorized', `No Hugging Face token: sign in to ${this.endpoint} first`);
    return this.call({}, signal, async (fetch) => {
      const response = await fetch(`${this.endpoint}/api/whoami-v2`, { headers: { accept: 'application/json' } });
      if (!response.ok) throw httpError(await failureOf(response), { endpoint: this.endpoint, hasToken: true });
      const body: unknown = await response.json();
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
    });
  }

  /** The resolve URL of a file at a commit; every path segment percent-encoded (spaces, '#', '?', unicode). */
  fileUrl(ref: RepoRef, commit: string, path: string): string {
    const encodedPath = path.split('/').map(encodeURIComponent).join('/');
    const prefix = ref.kind === 'dataset' ? 'datasets/' : '';
    return `${this.endpoint}/${prefix}${ref.repoId}/resolve/${encodeURIComponent(commit)}/${encodedPath}`;
  }

  /**
   * What the catalog shows about a repo. Never fails for metadata reasons: what cannot be read is left out.
   * Only a cancel throws.
   */
  async readMetadata(ref: RepoRef, commit: string, files: readonly RepoFile[], info: RepoInfo, signal?: AbortSignal): Promise<RepoMetadata> {
    throwIfAborted(signal);
    const base = baseMetadata(info, files);
    if (ref.kind === 'dataset') return { ...base, dataset: datasetMetadata(info, files) };
    return { ...base, model: await this.modelMetadata(ref, commit, files, signal) };
  }

  private async modelMetadata(ref: RepoRef, commit: string, files: readonly RepoFile[], signal: AbortSignal | undefined): Promise<ModelMetadata> {
    let model: ModelMetadata = {};
    const config = files.find((f) => f.path === 'config.json');
    if (config && config.size <= MAX_CONFIG_BYTES) {
      const parsed = await this.optional(signal, () => this.fetchJson(ref, commit, 'config.json', signal));
      model = { ...model, ...configFacts(parsed) };
    }
    const weights = pickSafetensorsPath(files);
    if (weights) {
      const parsed = await this.optional(signal, () =>
        this.call({ ref, revision: commit, path: weights }, signal, (fetch) =>
          parseSafetensorsMetadata({ repo: { type: 'model', name: ref.repoId }, revision: commit, path: weights, computeParametersCount: true, hubUrl: this.endpoint, fetch }),
        ),
      );
      const parameters = parsed && parameterCount(parsed.parameterCount, parsed.parameterTotal);
      if (parameters) model = { ...model, parameters, memory: memoryEstimate(parameters.total) };
    }
    return model;
  }

  /**
   * A small file's bytes (a README, a config) at a commit, through the Hub's resolve URL and any redirect.
   * Larger files belong to the transfer engine: anything over maxBytes is refused.
   */
  async readSmallFile(ref: RepoRef, commit: string, path: string, signal?: AbortSignal, maxBytes = MAX_CONFIG_BYTES): Promise<Buffer> {
    const repoId = validateRepoId(ref.repoId);
    validateRevision(commit);
    validateRepoFilePath(path, repoId);
    const clean: RepoRef = { kind: ref.kind, repoId };
    return this.call({ ref: clean, revision: commit, path }, signal, async (fetch) => {
      const response = await fetch(this.fileUrl(clean, commit, path));
      if (!response.ok) throw httpError(await failureOf(response), this.context({ ref: clean, revision: commit, path }));
      const declared = Number(response.headers.get('content-length'));
      const tooBig = (): MistudioError => new MistudioError('InvalidInput', `${echo(path, 120)} in ${repoId} is larger than ${maxBytes} bytes`, { repoId, path });
      if (Number.isFinite(declared) && declared > maxBytes) {
        await response.body?.cancel();
        throw tooBig();
      }
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length > maxBytes) throw tooBig();
      return bytes;
    });
  }

  private async fetchJson(ref: RepoRef, commit: string, path: string, signal: AbortSignal | undefined): Promise<unknown> {
    return JSON.parse((await this.readSmallFile(ref, commit, path, signal)).toString('utf8')) as unknown;
  }

  /** Metadata is best effort: any failure but a cancel becomes "unknown". */
  private async optional<T>(signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      throwIfAborted(signal);
      return undefined;
    }
  }

  private context(partial: Omit<CallContext, 'endpoint' | 'hasToken'>): CallContext {
    return { endpoint: this.endpoint, hasToken: this.token !== undefined, ...partial };
  }

  /** Runs one Hub call with a fetch bound to it; maps whatever it throws to a MistudioError. */
  private async call<T>(partial: Omit<CallContext, 'endpoint' | 'hasToken'>, signal: AbortSignal | undefined, run: (fetch: typeof globalThis.fetch) => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    const scope: CallScope = { signal, ctx: this.context(partial), answered: false };
    try {
      return await run(this.scopedFetch(scope));
    } catch (err) {
      throw toMistudioError(err, scope.ctx, signal, scope.lastFailure);
    }
  }

  /**
   * The fetch handed to @huggingface/hub and used directly: adds the token (only for the endpoint's origin, so it
   * never goes to a CDN), the user agent, the caller's signal and a timeout per attempt; retries idempotent
   * requests after transient failures (see HubClientOptions.retry); remembers error responses.
   */
  private scopedFetch(scope: CallScope): typeof globalThis.fetch {
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (this.offline) throw offlineError(url);
      const headers = new Headers(init?.headers);
      const sameOrigin = new URL(url).origin === this.origin;
      if (sameOrigin && this.token) headers.set('authorization', `Bearer ${this.token}`);
      else headers.delete('authorization');
      if (this.userAgent) headers.set('user-agent', this.userAgent);
      const method = init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
      const attempts = isIdempotent(method) && init?.body == null ? this.retry.maxAttempts : 1;
      for (let attempt = 1; ; attempt++) {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const signal = scope.signal ? AbortSignal.any([scope.signal, timeout]) : timeout;
        const mayRetry = attempt < attempts;
        let response: Response;
        try {
          response = await this.baseFetch(url, { ...init, headers, signal });
        } catch (err) {
          // A timeout (it carries no network code) is not retried: the caller already waited timeoutMs, and Offline is
          // the honest answer.
          const failure = networkFailureOf(err);
          if (mayRetry && !scope.signal?.aborted && failure !== undefined && isRetryableNetworkFailure(failure, scope.answered)) {
            await delay(retryDelayMs(attempt, undefined, this.retry), scope.signal);
            continue;
          }
          throw transportError(err, withAttempts(scope.ctx, attempt), scope.signal);
        }
        scope.answered = true;
        if (mayRetry && isRetryableStatus(response.status)) {
          const waitMs = serverWaitMs((name) => response.headers.get(name) ?? undefined);
          await response.body?.cancel().catch(() => undefined);
          await delay(retryDelayMs(attempt, waitMs, this.retry), scope.signal);
          continue;
        }
        if (!response.ok && sameOrigin) scope.lastFailure = await failureOf(response, attempt);
        return response;
      }
    };
  }
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
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one message every refused request gives in offline mode, naming how to leave it. */
export function offlineError(what: string): MistudioError {
  return new MistudioError('Offline', `Offline mode (HF_HUB_OFFLINE or the mistudio.offline setting) is on: not fetching ${echo(what, 160)}`);
}
