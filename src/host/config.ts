import { resolveCacheRoot } from '../core/cache';
import { isOfflineEnv, resolveEndpoint } from '../core/hub';
import { DEFAULT_USER_NETWORK_LIMITS, networkLimitsFor, readUserNetworkLimits, type UserNetworkLimits } from '../core/net/userLimits';
import type { StudioSettings } from '../core/studioTypes';

/**
 * The `mistudio.*` settings, parsed once into typed values. Pure: the VS Code side hands in a reader, so parsing,
 * defaults and range checks are unit-tested without VS Code. A bad value never breaks the extension: it falls back
 * to the default and the problem is reported (logged) once per change.
 */
export interface MistudioConfig {
  /** As written; '' means HF_ENDPOINT, else huggingface.co. */
  readonly hubEndpoint: string;
  /** As written; '' means the Hugging Face default cache resolution. */
  readonly cacheDir: string;
  readonly maxConcurrentDownloads: number;
  readonly maxConnectionsPerFile: number;
  readonly verifyChecksums: boolean;
  readonly resumeOnStartup: boolean;
  /** Never touch the network; HF_HUB_OFFLINE=1 in VS Code's environment turns it on as well. */
  readonly offline: boolean;
  readonly defaultIncludePatterns: readonly string[];
  /** `mistudio.network.*`: what one server may cost (core/net/limits.ts), for mirrors that need more. */
  readonly network: UserNetworkLimits;
}

/** VS Code's own `http.*` network settings that apply to Hub traffic. */
export interface ProxyConfig {
  /** '' means no proxy setting (the HTTP(S)_PROXY environment variables may still apply). */
  readonly proxy: string;
  readonly strictSSL: boolean;
  /** Hosts that bypass the proxy (`http.noProxy`). */
  readonly noProxy: readonly string[];
  /** Value of the Proxy-Authorization header (`http.proxyAuthorization`), if set. */
  readonly authorization: string | undefined;
}

export const CONFIG_SECTION = 'mistudio';

export const DEFAULT_CONFIG: MistudioConfig = {
  hubEndpoint: '',
  cacheDir: '',
  maxConcurrentDownloads: 4,
  maxConnectionsPerFile: 8,
  verifyChecksums: true,
  resumeOnStartup: false,
  offline: false,
  defaultIncludePatterns: [],
  network: DEFAULT_USER_NETWORK_LIMITS,
};

const LIMITS = { min: 1, max: 32 } as const;

export interface Parsed<T> {
  readonly value: T;
  /** One line per setting that was ignored, naming it and why. */
  readonly problems: readonly string[];
}

/** `read(key)` returns the raw setting value (undefined when unset) for a key inside the `mistudio` section. */
export function parseConfig(read: (key: string) => unknown): Parsed<MistudioConfig> {
  const problems: string[] = [];
  const bad = (key: string, expected: string): void => {
    problems.push(`Ignoring ${CONFIG_SECTION}.${key}: expected ${expected}; using the default.`);
  };
  const text = (key: 'hubEndpoint' | 'cacheDir'): string => {
    const raw = read(key);
    if (raw === undefined || raw === null) return DEFAULT_CONFIG[key];
    if (typeof raw !== 'string') {
      bad(key, 'a string');
      return DEFAULT_CONFIG[key];
    }
    return raw.trim();
  };
  const flag = (key: 'verifyChecksums' | 'resumeOnStartup' | 'offline'): boolean => {
    const raw = read(key);
    if (raw === undefined || raw === null) return DEFAULT_CONFIG[key];
    if (typeof raw !== 'boolean') {
      bad(key, 'true or false');
      return DEFAULT_CONFIG[key];
    }
    return raw;
  };
  const count = (key: 'maxConcurrentDownloads' | 'maxConnectionsPerFile'): number => {
    const raw = read(key);
    if (raw === undefined || raw === null) return DEFAULT_CONFIG[key];
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < LIMITS.min || raw > LIMITS.max) {
      bad(key, `a whole number from ${LIMITS.min} to ${LIMITS.max}`);
      return DEFAULT_CONFIG[key];
    }
    return raw;
  };
  const patterns = (): readonly string[] => {
    const raw = read('defaultIncludePatterns');
    if (raw === undefined || raw === null) return DEFAULT_CONFIG.defaultIncludePatterns;
    if (!Array.isArray(raw) || !raw.every((p): p is string => typeof p === 'string')) {
      bad('defaultIncludePatterns', 'a list of glob patterns');
      return DEFAULT_CONFIG.defaultIncludePatterns;
    }
    return raw.map((p) => p.trim()).filter((p) => p.length > 0);
  };

  const network = (): UserNetworkLimits =>
    readUserNetworkLimits(
      (key) => read(`network.${key}`),
      (key, expected) => bad(`network.${key}`, expected),
    );

  const value: MistudioConfig = {
    hubEndpoint: text('hubEndpoint'),
    cacheDir: text('cacheDir'),
    maxConcurrentDownloads: count('maxConcurrentDownloads'),
    maxConnectionsPerFile: count('maxConnectionsPerFile'),
    verifyChecksums: flag('verifyChecksums'),
    resumeOnStartup: flag('resumeOnStartup'),
    offline: flag('offline'),
    defaultIncludePatterns: patterns(),
    network: network(),
  };
  return { value, problems };
}

/** `read(key)` reads inside the `http` section. */
export function parseProxyConfig(read: (key: string) => unknown): ProxyConfig {
  const proxy = read('proxy');
  const strictSSL = read('proxyStrictSSL');
  const noProxy = read('noProxy');
  const authorization = read('proxyAuthorization');
  return {
    proxy: typeof proxy === 'string' ? proxy.trim() : '',
    strictSSL: typeof strictSSL === 'boolean' ? strictSSL : true,
    noProxy: Array.isArray(noProxy) ? noProxy.filter((h): h is string => typeof h === 'string' && h.trim() !== '').map((h) => h.trim()) : [],
    authorization: typeof authorization === 'string' && authorization.trim() !== '' ? authorization.trim() : undefined,
  };
}

/** The engine settings these settings mean; throws MistudioError('InvalidInput') for an unusable endpoint. */
export function studioSettingsFor(config: MistudioConfig, env: NodeJS.ProcessEnv = process.env): Omit<StudioSettings, 'maxConcurrentFiles'> {
  return {
    endpoint: resolveEndpoint({ override: config.hubEndpoint, env }),
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    maxConnectionsPerFile: config.maxConnectionsPerFile,
    verifyChecksums: config.verifyChecksums,
    offline: config.offline || isOfflineEnv(env),
    network: networkLimitsFor(config.network),
  };
}

export function cacheRootFor(config: MistudioConfig, env: NodeJS.ProcessEnv = process.env): string {
  return resolveCacheRoot({ override: config.cacheDir, env });
}

export function sameProxy(a: ProxyConfig, b: ProxyConfig): boolean {
  return a.proxy === b.proxy && a.strictSSL === b.strictSSL && a.authorization === b.authorization && a.noProxy.join(',') === b.noProxy.join(',');
}
