/** Public shapes of the fake Hub; re-exported by index.ts. */

export interface FakeFile {
  path: string;
  content: Buffer | string;
  /** Default: true for *.safetensors, *.bin, *.parquet, *.pt or files larger than 10 KiB. */
  lfs?: boolean;
}

export interface FakeCommit {
  /** 40 hex; generated deterministically from the repo and the files when absent. */
  sha?: string;
  /** Branches/tags pointing here, e.g. ['main']. When no commit names 'main', the last commit gets it. */
  refs?: string[];
  /** The complete tree at this commit (a snapshot, not a diff). */
  files: FakeFile[];
}

export interface FakeRepo {
  kind: 'model' | 'dataset';
  id: string;
  /** Oldest first. */
  commits: FakeCommit[];
  gated?: false | 'auto' | 'manual';
  private?: boolean;
  /**
   * Other names that lead here, as on the Hub: a repo's names before a rename, and legacy canonical ids ("gpt2" for
   * "openai-community/gpt2"). Every API and file URL under such a name answers 307 to the same path under `id`, with
   * a relative Location.
   */
  aliases?: string[];
  info?: {
    downloads?: number;
    likes?: number;
    license?: string;
    pipelineTag?: string;
    tags?: string[];
    lastModified?: string;
  };
}

export type FaultRule = {
  match?: { path?: string | RegExp; server?: 'hub' | 'cdn'; method?: string };
  /** How many matching requests the rule applies to; default: unlimited. */
  times?: number;
} & (
  | { kind: 'drop-after'; bytes: number }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'stall'; afterBytes: number; ms: number }
  | { kind: 'truncate'; bytes: number }
  | { kind: 'corrupt'; atByte?: number }
  | { kind: 'ignore-range' }
  | { kind: 'not-found' }
  /** A 429 as the Hub sends it: `RateLimit: "<resource>";r=0;t=<resetSeconds>` and its RateLimit-Policy. */
  | { kind: 'rate-limit'; resetSeconds: number; resource?: 'api' | 'resolvers'; limit?: number; windowSeconds?: number }
  /** Slow-loris: the body goes out `bytes` at a time, one piece every `everyMs`. */
  | { kind: 'trickle'; bytes: number; everyMs: number }
);

/** A fixed-window rate limit as the Hub applies it per resource ("api": /api/…, "resolvers": file URLs). */
export interface FakeRateLimit {
  /** Requests allowed per window. */
  readonly requests: number;
  readonly windowMs: number;
}

export interface FakeHubOptions {
  repos?: FakeRepo[];
  /** Bearer tokens the hub accepts (they must start with "hf_" for @huggingface/hub to send them). */
  tokens?: Record<string, { user: string; canAccessGated?: boolean }>;
  treePageSize?: number;
  /** Rate limits per resource; every hub answer then carries RateLimit / RateLimit-Policy, and 429 past the quota. */
  rateLimits?: { api?: FakeRateLimit; resolvers?: FakeRateLimit };
  cdnBytesPerSecondPerConnection?: number;
  host?: string;
  port?: number;
  cdnPort?: number;
}

export interface RequestRecord {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  bodyBytesSent: number;
}

export interface FakeHub {
  readonly url: string;
  readonly cdnUrl: string;
  readonly requests: readonly RequestRecord[];
  bytesSent(filter?: { path?: string; server?: 'hub' | 'cdn' }): number;
  addRepo(repo: FakeRepo): void;
  setFaults(rules: FaultRule[]): void;
  setRateLimits(limits: { api?: FakeRateLimit; resolvers?: FakeRateLimit }): void;
  commitSha(kind: 'model' | 'dataset', repoId: string, revision: string): string;
  resetStats(): void;
  close(): Promise<void>;
}
