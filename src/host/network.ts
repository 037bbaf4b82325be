import type { RequestInfo as UndiciRequestInfo, RequestInit as UndiciRequestInit } from 'undici';
import { Dispatcher, EnvHttpProxyAgent, fetch as undiciFetch } from '../core/net/undici';
import { sharedTransferAgent } from '../core/transfer';
import type { ProxyConfig } from './config';

/**
 * VS Code's `http.proxy`, `http.proxyStrictSSL`, `http.noProxy` and `http.proxyAuthorization` applied to Hub traffic:
 * file bytes go through `dispatcher` (an undici dispatcher handed to the engine once) and metadata through `fetch`.
 * Both look up the current proxy on every request, so a settings change applies to the next request without
 * restarting downloads; requests already on the wire finish on the connection they started on.
 */
export class HubNetwork {
  private proxy: Dispatcher | undefined;
  private readonly retired = new Set<Dispatcher>();

  readonly dispatcher: Dispatcher = new DelegatingDispatcher(() => this.proxy ?? sharedTransferAgent());

  readonly fetch: typeof globalThis.fetch = (input, init) => {
    const proxy = this.proxy;
    return proxy ? fetchThrough(proxy, input, init) : globalThis.fetch(input, init);
  };

  constructor(config: ProxyConfig, private readonly env: NodeJS.ProcessEnv = process.env) {
    this.proxy = proxyDispatcher(config, env);
  }

  /** True when requests go through a proxy. */
  get proxied(): boolean {
    return this.proxy !== undefined;
  }

  configure(config: ProxyConfig): void {
    const previous = this.proxy;
    this.proxy = proxyDispatcher(config, this.env);
    if (previous) this.retire(previous);
  }

  async dispose(): Promise<void> {
    const current = this.proxy;
    this.proxy = undefined;
    if (current) this.retire(current);
    await Promise.all([...this.retired].map((d) => d.close().catch(() => undefined)));
  }

  private retire(dispatcher: Dispatcher): void {
    // close() lets running requests finish and refuses new ones.
    this.retired.add(dispatcher);
    void dispatcher
      .close()
      .catch(() => undefined)
      .finally(() => this.retired.delete(dispatcher));
  }
}

const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

/**
 * A proxying dispatcher for these settings, or undefined for direct connections. An explicit `http.proxy` wins; else
 * the HTTP(S)_PROXY environment variables apply, as they do for Python's huggingface_hub. NO_PROXY / `http.noProxy`
 * hosts bypass the proxy.
 */
export function proxyDispatcher(config: ProxyConfig, env: NodeJS.ProcessEnv = process.env): Dispatcher | undefined {
  const fromEnv = PROXY_ENV.some((name) => (env[name] ?? '').trim() !== '');
  if (config.proxy === '' && !fromEnv) return undefined;
  const tls = config.strictSSL ? {} : { rejectUnauthorized: false };
  const noProxy = config.noProxy.length > 0 ? config.noProxy.join(',') : (env.NO_PROXY ?? env.no_proxy);
  return new EnvHttpProxyAgent({
    ...(config.proxy !== '' ? { httpProxy: config.proxy, httpsProxy: config.proxy } : envProxies(env)),
    ...(noProxy !== undefined ? { noProxy } : {}),
    ...(config.authorization ? { token: config.authorization } : {}),
    requestTls: tls,
    proxyTls: tls,
    keepAliveTimeout: 30_000,
    connect: { timeout: 15_000 },
  });
}

function envProxies(env: NodeJS.ProcessEnv): { httpProxy?: string; httpsProxy?: string } {
  const http = env.HTTP_PROXY ?? env.http_proxy;
  const https = env.HTTPS_PROXY ?? env.https_proxy ?? http;
  return { ...(http ? { httpProxy: http } : {}), ...(https ? { httpsProxy: https } : {}) };
}

/**
 * fetch() through an undici dispatcher. Node's global fetch ships its own undici, whose dispatcher interface differs
 * between Node versions, so the npm undici's fetch is used with the npm undici's dispatcher. A global Request object
 * is unpacked into url + init because the two undici copies do not recognise each other's classes.
 */
export async function fetchThrough(dispatcher: Dispatcher, input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> {
  let url: string;
  let merged: RequestInit | undefined = init;
  if (typeof input === 'string') url = input;
  else if (input instanceof URL) url = input.href;
  else {
    url = input.url;
    const body = input.body && init?.body === undefined ? await input.arrayBuffer() : undefined;
    merged = { method: input.method, headers: input.headers, signal: input.signal, ...(body ? { body } : {}), ...init };
  }
  const options = { ...(merged as UndiciRequestInit | undefined), dispatcher };
  // The npm undici Response implements the same Fetch API as the global one; only the nominal types differ.
  return (await undiciFetch(url as UndiciRequestInfo, options)) as unknown as Response;
}

/** A dispatcher that forwards every request to whichever dispatcher is current at that moment. */
class DelegatingDispatcher extends Dispatcher {
  constructor(private readonly target: () => Dispatcher) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.target().dispatch(options, handler);
  }

  // The targets belong to HubNetwork (and the engine's shared agent); closing this view of them closes nothing.
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) {
      queueMicrotask(callback);
      return;
    }
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    if (callback) {
      queueMicrotask(callback);
      return;
    }
    return Promise.resolve();
  }
}
