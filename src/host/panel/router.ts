import type { CatalogEntry } from '../../core/catalog/types';
import { MistudioError, describeError, isCancellation, isMistudioError } from '../../core/errors';
import { repoUrl, validateRepoId, validateRevision, type RepoKind } from '../../core/repo';
import type { StudioApi } from '../../core/studioTypes';
import type { CacheActions } from '../actions/cacheActions';
import type { EntryActions } from '../actions/entryActions';
import {
  PROTOCOL_VERSION,
  parseWebviewMessage,
  type HostMessage,
  type ParamsOf,
  type RequestMethod,
  type ResponseError,
  type ResultOf,
  type WebviewRequest,
} from '../../shared/protocol';
import { CacheRequests } from './cacheRequests';
import { toEntryDetail, toEntryRow, toHubRow, toPlanView, toProgressRow } from './rows';

export interface PanelLog {
  trace(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PanelRouterDeps {
  readonly studio: () => Promise<StudioApi>;
  readonly endpoint: () => string;
  readonly defaultInclude: () => readonly string[];
  /** The one action layer the trees' commands use too. */
  readonly actions: EntryActions;
  /** The Cache view's actions, the same instance the Cache tree runs. */
  readonly cacheActions: CacheActions;
  /** Opens a Hub search result in the browser. */
  readonly openExternal: (url: string) => Promise<void>;
  readonly log: PanelLog;
  /** Background cleanups running now (tracked by the update pump from the engine's events). */
  readonly cleanupRunning: () => number;
  /** Called after a `ready` was answered: from now on the webview wants live updates. */
  readonly onReady: (studio: StudioApi) => void;
}

export interface RouterStats {
  readonly readyCount: number;
  readonly answered: Readonly<Partial<Record<RequestMethod, number>>>;
  readonly failed: number;
  readonly rejected: number;
}

// A page that floods the host gets refusals, not unbounded work.
const MAX_IN_FLIGHT = 32;
const HUB_SEARCH_LIMIT = 50;

type Handler<M extends RequestMethod> = (params: ParamsOf<M>, studio: StudioApi, signal: AbortSignal) => Promise<ResultOf<M>>;

/**
 * Answers the webview's messages: validates each one, runs it against the engine, and posts exactly one response per
 * request. A malformed message gets an error response (or, without a usable id, a log line) and causes no action.
 */
export class PanelRouter {
  private readonly inFlight = new Map<number, AbortController>();
  private readonly answered: Partial<Record<RequestMethod, number>> = {};
  private readyCount = 0;
  private failed = 0;
  private rejected = 0;
  private disposed = false;
  private readonly cache: CacheRequests;

  constructor(
    private readonly deps: PanelRouterDeps,
    private readonly post: (message: HostMessage) => void,
  ) {
    this.cache = new CacheRequests({
      cacheActions: deps.cacheActions,
      notify: (params) => {
        if (!this.disposed) post({ type: 'notification', method: 'cacheRepos', params });
      },
      log: deps.log,
    });
  }

  get stats(): RouterStats {
    return { readyCount: this.readyCount, answered: { ...this.answered }, failed: this.failed, rejected: this.rejected };
  }

  /** Handles one raw message from the webview; never throws. */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.rejected++;
      this.deps.log.warn(`Studio panel: refused a malformed message (${parsed.error})`);
      if (parsed.id !== undefined && !this.inFlight.has(parsed.id)) {
        this.respondError(parsed.id, { code: 'InvalidInput', message: `Malformed request: ${parsed.error}` });
      }
      return;
    }
    const message = parsed.message;
    if (message.type === 'notification') {
      this.inFlight.get(message.params.id)?.abort();
      return;
    }
    await this.runRequest(message);
  }

  /** Aborts every request still running; their responses are dropped. */
  dispose(): void {
    this.disposed = true;
    this.cache.dispose();
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }

  private async runRequest(request: WebviewRequest): Promise<void> {
    if (this.inFlight.has(request.id)) {
      this.rejected++;
      this.deps.log.warn(`Studio panel: refused request ${request.id}, an id already in use`);
      return;
    }
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.rejected++;
      this.respondError(request.id, { code: 'InvalidInput', message: 'Too many requests at once' });
      return;
    }
    const controller = new AbortController();
    this.inFlight.set(request.id, controller);
    try {
      const studio = await this.deps.studio();
      const handler = this.handlers[request.method] as Handler<RequestMethod>;
      const result = await handler(request.params, studio, controller.signal);
      if (controller.signal.aborted) throw new MistudioError('Cancelled', 'Cancelled');
      this.inFlight.delete(request.id);
      if (this.disposed) return;
      this.answered[request.method] = (this.answered[request.method] ?? 0) + 1;
      this.post({ type: 'response', id: request.id, ok: true, result });
      if (request.method === 'ready') {
        this.readyCount++;
        this.deps.onReady(studio);
      }
    } catch (err) {
      this.inFlight.delete(request.id);
      if (this.disposed) return;
      this.failed++;
      const error = toResponseError(err);
      if (error.code === 'Internal') this.deps.log.error(`Studio panel: ${request.method} failed: ${error.message}`);
      else if (error.code !== 'Cancelled') this.deps.log.trace(`Studio panel: ${request.method}: ${error.message}`);
      this.respondError(request.id, error);
    }
  }

  private respondError(id: number, error: ResponseError): void {
    this.post({ type: 'response', id, ok: false, error });
  }

  private readonly handlers: { [M in RequestMethod]: Handler<M> } = {
    ready: async (params, studio) => {
      if (params.protocolVersion !== PROTOCOL_VERSION) {
        throw new MistudioError('InvalidInput', `The panel speaks protocol ${params.protocolVersion}, the extension ${PROTOCOL_VERSION}: reload the window`);
      }
      const active = studio.catalog.listEntries({ statuses: ['downloading', 'queued'] });
      const progress = [];
      for (const entry of active) {
        const p = studio.progressOf(entry.id);
        if (p) progress.push(toProgressRow(entry.id, p));
      }
      return {
        protocolVersion: PROTOCOL_VERSION,
        endpoint: this.deps.endpoint(),
        cacheRoot: studio.cacheRoot,
        counts: studio.catalog.counts(),
        progress,
        cleanupRunning: this.deps.cleanupRunning(),
        defaultInclude: [...this.deps.defaultInclude()],
      };
    },

    query: async (params, studio) => {
      const result = studio.catalog.search({
        text: params.text,
        sort: params.sort,
        direction: params.direction,
        offset: params.offset,
        limit: params.limit,
        ...(params.kind ? { kind: params.kind } : {}),
        ...(params.statuses ? { statuses: [...params.statuses] } : {}),
      });
      return { items: result.items.map(toEntryRow), total: result.total, offset: params.offset };
    },

    detail: async ({ entryId }, studio) => {
      const entry = requireEntry(studio, entryId);
      return toEntryDetail(entry, studio.files(entryId), this.deps.actions.hubUrl(entry));
    },

    entryAction: async ({ entryId, action }, studio) => ({ done: await this.deps.actions.run(action, [requireEntry(studio, entryId)]) }),

    hubSearch: async ({ kind, text, sort }, studio, signal) => {
      const results = await studio.searchHub(kind, text.trim(), { sort, limit: HUB_SEARCH_LIMIT }, signal);
      return {
        items: results.map((r) => {
          const entries = studio.catalog.listEntries({ kind: r.kind, repoId: r.id });
          const best = entries.find((e) => e.status === 'ready') ?? entries[0];
          return toHubRow(r, best?.status ?? null);
        }),
      };
    },

    plan: async (params, studio, signal) => {
      const repoId = validateRepoId(params.repoId);
      const revision = validateRevision(params.revision);
      const plan = await studio.plan({ kind: params.kind, repoId, revision }, signal);
      const inCatalog = studio.catalog.findEntry(params.kind, repoId, revision) !== undefined;
      return toPlanView(plan, [...this.deps.defaultInclude()], inCatalog);
    },

    download: async (params, studio) => {
      const repoId = validateRepoId(params.repoId);
      const revision = validateRevision(params.revision);
      const entry = await studio.enqueue({
        kind: params.kind,
        repoId,
        revision,
        include: params.include.map((p) => p.trim()).filter((p) => p !== ''),
        exclude: params.exclude.map((p) => p.trim()).filter((p) => p !== ''),
      });
      return { entry: toEntryRow(entry) };
    },

    openOnHub: async ({ kind, repoId }) => {
      await this.deps.openExternal(this.hubUrl(kind, validateRepoId(repoId)));
      return { done: true };
    },

    cacheScan: (params, studio, signal) => this.cache.scan(params, studio, signal),
    cacheAction: (params) => this.cache.action(params),
    cachePrune: () => this.cache.prune(),
  };

  private hubUrl(kind: RepoKind, repoId: string): string {
    return repoUrl(this.deps.endpoint(), { kind, repoId });
  }
}

function requireEntry(studio: StudioApi, entryId: string): CatalogEntry {
  const entry = studio.catalog.getEntry(entryId);
  if (!entry) throw new MistudioError('EntryNotFound', 'That entry is no longer in the catalog');
  return entry;
}

function toResponseError(err: unknown): ResponseError {
  if (isCancellation(err)) return { code: 'Cancelled', message: 'Cancelled' };
  if (isMistudioError(err)) return { code: err.code, message: describeError(err) };
  return { code: 'Internal', message: describeError(err) };
}
