import {
  isHostMessage,
  type CacheReposBatch,
  type ParamsOf,
  type RequestMethod,
  type ResponseError,
  type ResultOf,
  type UpdateBatch,
  type WebviewMessage,
} from '../shared/protocol';

/** How the client reaches the host: VS Code's postMessage and window message events, or a fake in tests. */
export interface HostPort {
  post(message: WebviewMessage): void;
  /** Returns a function that stops listening. */
  listen(listener: (data: unknown) => void): () => void;
}

export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: ResponseError['code'] | 'Timeout',
    message: string,
  ) {
    super(message);
  }
}

export function isCancelledError(err: unknown): boolean {
  return err instanceof RequestError && err.code === 'Cancelled';
}

/** Milliseconds before a request gives up; 0: never (a delete waits on a modal the user may leave open). */
const DEFAULT_TIMEOUTS: Readonly<Record<RequestMethod, number>> = {
  ready: 60_000,
  query: 30_000,
  detail: 30_000,
  entryAction: 0,
  hubSearch: 90_000,
  plan: 180_000,
  download: 180_000,
  openOnHub: 30_000,
  // A scan of a big cache takes as long as it takes; the page cancels it when it starts another.
  cacheScan: 0,
  cacheAction: 0,
  cachePrune: 0,
};

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: RequestError) => void;
  readonly cleanup: () => void;
}

/** Sends requests with ids and matches the host's responses to them; delivers pushed updates. */
export class HostClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly updateListeners = new Set<(batch: UpdateBatch) => void>();
  private readonly cacheListeners = new Set<(batch: CacheReposBatch) => void>();
  private readonly unlisten: () => void;

  constructor(
    private readonly port: HostPort,
    private readonly timeouts: Readonly<Record<RequestMethod, number>> = DEFAULT_TIMEOUTS,
  ) {
    this.unlisten = port.listen((data) => this.receive(data));
  }

  request<M extends RequestMethod>(method: M, params: ParamsOf<M>, options: { signal?: AbortSignal } = {}): Promise<ResultOf<M>> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new RequestError('Cancelled', 'Cancelled'));
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (!this.pending.has(id)) return;
        this.settle(id);
        this.port.post({ type: 'notification', method: 'cancel', params: { id } });
        reject(new RequestError('Cancelled', 'Cancelled'));
      };
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject, cleanup });
      signal?.addEventListener('abort', onAbort, { once: true });
      const timeout = this.timeouts[method];
      if (timeout > 0) {
        timer = setTimeout(() => {
          if (!this.pending.has(id)) return;
          this.settle(id);
          this.port.post({ type: 'notification', method: 'cancel', params: { id } });
          reject(new RequestError('Timeout', `The extension did not answer ${method} in ${Math.round(timeout / 1000)} s`));
        }, timeout);
      }
      this.port.post({ type: 'request', id, method, params } as WebviewMessage);
    });
  }

  onUpdate(listener: (batch: UpdateBatch) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  /** Repos of a running cache scan, as the host reads them. */
  onCacheRepos(listener: (batch: CacheReposBatch) => void): () => void {
    this.cacheListeners.add(listener);
    return () => this.cacheListeners.delete(listener);
  }

  /** Requests still waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  dispose(): void {
    this.unlisten();
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new RequestError('Cancelled', 'Cancelled'));
    this.updateListeners.clear();
    this.cacheListeners.clear();
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    pending.cleanup();
    return pending;
  }

  private receive(data: unknown): void {
    if (!isHostMessage(data)) return;
    if (data.type === 'notification') {
      if (data.method === 'update') for (const listener of [...this.updateListeners]) listener(data.params);
      else if (data.method === 'cacheRepos') for (const listener of [...this.cacheListeners]) listener(data.params);
      return;
    }
    const pending = this.settle(data.id);
    if (!pending) return; // answered after a cancel or timeout
    if (data.ok) pending.resolve(data.result);
    else pending.reject(new RequestError(data.error.code, data.error.message));
  }
}
