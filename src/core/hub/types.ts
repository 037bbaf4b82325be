import type { NetworkLimits } from '../net/limits';
import type { RetryPolicy, ServerWaitListener } from '../net/retry';
import type { RepoKind, RepoRef } from '../repo';

export type Gating = false | 'auto' | 'manual';

export interface HubClientOptions {
  /** From resolveEndpoint(): no trailing slash. */
  readonly endpoint: string;
  readonly token?: string;
  /** Replaces the global fetch, e.g. so the extension can route through VS Code's proxy settings. */
  readonly fetch?: typeof fetch;
  readonly userAgent?: string;
  /**
   * What one request may cost (core/net/limits.ts): its deadline (no answer by then: Offline; an answer still coming:
   * retried, then Http naming the host), the largest JSON answer, the longest listing. Defaults suit huggingface.co.
   */
  readonly limits?: Partial<NetworkLimits>;
  /** Told while a request waits because the server asked (a 429's RateLimit reset): the progress shows it. */
  readonly onServerWait?: ServerWaitListener;
  /**
   * Retries of idempotent metadata requests (GET/HEAD) under the one policy of core/net/retry.ts (408, 429, 500,
   * 502-504, broken connections); the last answer's error (Http, RateLimited, Offline) is reported when they run out.
   */
  readonly retry?: Partial<RetryPolicy>;
  /** HF_HUB_OFFLINE: no request leaves the process; every call fails with Offline (plans read the cache instead). */
  readonly offline?: boolean;
}

export interface RepoInfo {
  readonly ref: RepoRef;
  /** The 40-hex commit the requested revision resolved to. */
  readonly commit: string;
  readonly gated: Gating;
  readonly private: boolean;
  readonly license?: string;
  readonly pipelineTag?: string;
  readonly downloads: number;
  readonly likes: number;
  /** ISO 8601. */
  readonly lastModified?: string;
  readonly tags: readonly string[];
  /** The README's YAML front matter as the Hub parsed it (dataset `configs` live here). */
  readonly cardData?: Readonly<Record<string, unknown>>;
}

export interface RepoFile {
  /** Relative, '/'-separated, validated safe. */
  readonly path: string;
  readonly size: number;
  /** Git blob sha1 (for LFS files: of the pointer). */
  readonly oid: string;
  readonly lfs?: { readonly sha256: string; readonly size: number };
}

/** What metadata needs of a listed file: a plan's files serve as well as the Hub's listing. */
export type ListedFile = Pick<RepoFile, 'path' | 'size'>;

export interface HubSearchResult {
  readonly id: string;
  readonly kind: RepoKind;
  readonly downloads: number;
  readonly likes: number;
  /** ISO 8601. */
  readonly lastModified?: string;
  readonly gated: Gating;
  readonly private: boolean;
  readonly pipelineTag?: string;
}

export interface SearchOptions {
  readonly sort?: 'downloads' | 'likes' | 'lastModified';
  /** 1..1000; default 50. */
  readonly limit?: number;
}

export interface HubUser {
  readonly name: string;
  readonly fullname?: string;
  readonly type: 'user' | 'org' | 'app';
  readonly orgs: readonly string[];
  /** The token's role, e.g. 'read' | 'write' | 'fineGrained'. */
  readonly tokenRole?: string;
}
