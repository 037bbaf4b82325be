import { buildRepo, type StoredRepo } from './store';
import type { FakeHubOptions, FakeRepo } from './types';

export interface TokenGrant {
  readonly user: string;
  readonly canAccessGated: boolean;
}

/** Who is asking: no token, a token the hub knows, or a token it rejects. */
export type Caller = { kind: 'anonymous' } | { kind: 'user'; token: string; grant: TokenGrant } | { kind: 'invalid' };

/** Everything the two servers share. */
export class HubState {
  readonly repos = new Map<string, StoredRepo>();
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
    for (const repo of options.repos ?? []) this.addRepo(repo);
  }

  addRepo(source: FakeRepo): void {
    const repo = buildRepo(source);
    this.repos.set(repoKey(repo.kind, repo.id), repo);
    for (const commit of repo.commits) {
      for (const file of commit.files.values()) if (file.lfs) this.blobs.set(file.sha256, file.content);
    }
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
