import { buildRepo, type StoredRepo } from './store';
import type { FakeHubOptions, FakeRateLimit, FakeRepo } from './types';

export interface TokenGrant {
  readonly user: string;
  readonly canAccessGated: boolean;
}

/** Who is asking: no token, a token the hub knows, or a token it rejects. */
export type Caller = { kind: 'anonymous' } | { kind: 'user'; token: string; grant: TokenGrant } | { kind: 'invalid' };

/** Everything the two servers share. */
export class HubState {
  readonly repos = new Map<string, StoredRepo>();
  /** Old names and legacy ids → the repo's id now (per kind). */
  readonly aliases = new Map<string, string>();
  rateLimits: { api?: FakeRateLimit; resolvers?: FakeRateLimit } = {};
  private readonly windows = new Map<string, { start: number; used: number }>();
  /** LFS content by sha256, as the CDN stores it (content-addressed, shared across repos). */
  readonly blobs = new Map<string, Buffer>();
  readonly tokens: ReadonlyMap<string, TokenGrant>;
  readonly treePageSize: number;
  readonly signingKey = 'fake-hub-signing-key';
  hubUrl = '';
  cdnUrl = '';

  constructor(options: FakeHubOptions) {
    this.tokens = new Map(Object.entries(options.tokens ?? {}).map(([token, t]) => [token, { user: t.user, canAccessGated: t.canAccessGated ?? false }]));
    this.treePageSize = options.treePageSize ?? 50;
    this.rateLimits = options.rateLimits ?? {};
    for (const repo of options.repos ?? []) this.addRepo(repo);
  }

  addRepo(source: FakeRepo): void {
    const repo = buildRepo(source);
    this.repos.set(repoKey(repo.kind, repo.id), repo);
    for (const alias of source.aliases ?? []) this.aliases.set(repoKey(repo.kind, alias), repo.id);
    for (const commit of repo.commits) {
      for (const file of commit.files.values()) if (file.lfs) this.blobs.set(file.sha256, file.content);
    }
  }

  /** The id a renamed repo or legacy id now has; undefined when `id` is not an alias. */
  canonicalId(kind: 'model' | 'dataset', id: string): string | undefined {
    return this.aliases.get(repoKey(kind, id));
  }

  /**
   * Counts one request against its resource's fixed window: what is left and when the window resets, or undefined
   * when that resource has no limit.
   */
  takeRequest(resource: 'api' | 'resolvers', now = Date.now()): { remaining: number; resetSeconds: number; limited: boolean; limit: FakeRateLimit } | undefined {
    const limit = this.rateLimits[resource];
    if (!limit) return undefined;
    let window = this.windows.get(resource);
    if (!window || now - window.start >= limit.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(resource, window);
    }
    const resetSeconds = Math.max(0, Math.ceil((window.start + limit.windowMs - now) / 1000));
    if (window.used >= limit.requests) return { remaining: 0, resetSeconds, limited: true, limit };
    window.used++;
    return { remaining: limit.requests - window.used, resetSeconds, limited: false, limit };
  }

  setRateLimits(limits: { api?: FakeRateLimit; resolvers?: FakeRateLimit }): void {
    this.rateLimits = limits;
    this.windows.clear();
  }

  repo(kind: 'model' | 'dataset', id: string): StoredRepo | undefined {
    return this.repos.get(repoKey(kind, id));
  }

  caller(authorization: string | undefined): Caller {
    if (!authorization) return { kind: 'anonymous' };
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const grant = m ? this.tokens.get(m[1]!) : undefined;
    return grant && m ? { kind: 'user', token: m[1]!, grant } : { kind: 'invalid' };
  }
}

function repoKey(kind: string, id: string): string {
  return `${kind}:${id}`;
}
