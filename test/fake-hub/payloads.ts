import { createHash } from 'node:crypto';
import { cardDataOf, lastCommitTouching, lastModifiedOf, type StoredCommit, type StoredRepo, type TreeEntry } from './store';

/**
 * Keys the Hub accepts in `expand`, per repo type (it rejects others with 400): models have `evalResults` and
 * `pipeline_tag`, datasets `mainSize` and no `pipeline_tag`.
 */
const EXPANDABLE: Readonly<Record<'model' | 'dataset', ReadonlySet<string>>> = {
  model: new Set([
    'author', 'baseModels', 'cardData', 'childrenModelCount', 'config', 'createdAt', 'disabled', 'downloads', 'downloadsAllTime',
    'evalResults', 'gated', 'gguf', 'gitalyUid', 'inference', 'inferenceProviderMapping', 'lastModified', 'library_name', 'likes',
    'mask_token', 'model-index', 'pipeline_tag', 'private', 'resourceGroup', 'safetensors', 'sha', 'siblings', 'spaces', 'tags',
    'transformersInfo', 'trendingScore', 'usedStorage', 'widgetData', 'xetEnabled',
  ]),
  dataset: new Set([
    'author', 'cardData', 'citation', 'createdAt', 'datasetsServerInfo', 'description', 'disabled', 'downloads', 'downloadsAllTime',
    'gated', 'gitalyUid', 'lastModified', 'likes', 'mainSize', 'paperswithcode_id', 'private', 'resourceGroup', 'sha', 'siblings',
    'tags', 'trendingScore', 'usedStorage', 'xetEnabled',
  ]),
};

export function invalidExpandKeys(kind: 'model' | 'dataset', keys: readonly string[]): string[] {
  return keys.filter((k) => !EXPANDABLE[kind].has(k));
}

/** What a Xet-backed file's hash is here: derived from its sha256, so every run serves the same one. */
export function xetHashOf(file: { readonly sha256: string }): string {
  return createHash('sha256').update(`xet:${file.sha256}`).digest('hex');
}

/** How the Hub shows a gated repo's Xet hashes in its tree to everyone: redacted. */
export const REDACTED_XET_HASH = '*'.repeat(64);

function modelConfig(commit: StoredCommit): Record<string, unknown> | undefined {
  const file = commit.files.get('config.json');
  if (!file) return undefined;
  try {
    const parsed: unknown = JSON.parse(file.content.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { architectures, model_type } = parsed as Record<string, unknown>;
    return { ...(architectures !== undefined ? { architectures } : {}), ...(model_type !== undefined ? { model_type } : {}) };
  } catch {
    return undefined;
  }
}

function siblings(commit: StoredCommit, withBlobs: boolean): unknown[] {
  return [...commit.files.values()]
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map((f) =>
      withBlobs
        ? { rfilename: f.path, size: f.content.length, blobId: f.oid, ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.content.length, pointerSize: f.pointer!.length } } : {}) }
        : { rfilename: f.path },
    );
}

/** The full info object of a repo at a commit, as GET /api/{models|datasets}/{id}[/revision/{rev}] answers it. */
export function repoInfo(repo: StoredRepo, commit: StoredCommit, opts: { blobs: boolean }): Record<string, unknown> {
  const info = repo.source.info ?? {};
  const cardData = cardDataOf(repo, commit);
  const license = typeof cardData['license'] === 'string' ? cardData['license'] : undefined;
  const tags = info.tags ?? [...(license ? [`license:${license}`] : []), 'region:us'];
  const namespace = repo.id.includes('/') ? repo.id.split('/')[0] : undefined;
  const common = {
    _id: repo.objectId,
    id: repo.id,
    ...(namespace ? { author: namespace } : {}),
    sha: commit.sha,
    lastModified: lastModifiedOf(repo),
    createdAt: repo.commits[0]!.date,
    private: repo.private,
    gated: repo.gated,
    disabled: false,
    downloads: info.downloads ?? 0,
    downloadsAllTime: (info.downloads ?? 0) * 3,
    likes: info.likes ?? 0,
    tags,
    cardData,
    siblings: siblings(commit, opts.blobs),
    usedStorage: [...commit.files.values()].reduce((sum, f) => sum + f.content.length, 0),
    trendingScore: 0,
  };
  if (repo.kind === 'dataset') return { ...common, description: '', citation: '', paperswithcode_id: null, mainSize: common.usedStorage };
  const config = modelConfig(commit);
  return {
    ...common,
    modelId: repo.id,
    ...(info.pipelineTag ? { pipeline_tag: info.pipelineTag } : {}),
    ...(config ? { config, library_name: 'transformers' } : {}),
    spaces: [],
    widgetData: [],
    evalResults: [],
  };
}

/** With `expand`, the Hub returns `_id`, `id` and exactly the expanded keys. */
export function applyExpand(full: Record<string, unknown>, expand: readonly string[]): Record<string, unknown> {
  if (expand.length === 0) return full;
  const out: Record<string, unknown> = { _id: full['_id'], id: full['id'] };
  for (const key of expand) if (key in full) out[key] = full[key];
  return out;
}

export function treeEntryJson(repo: StoredRepo, commit: StoredCommit, entry: TreeEntry, expand: 'none' | 'tree' | 'paths-info'): Record<string, unknown> {
  const base: Record<string, unknown> = { type: entry.type, oid: entry.oid, size: entry.size, path: entry.path };
  const f = entry.file;
  if (f?.lfs) {
    base['lfs'] = { oid: f.sha256, size: f.content.length, pointerSize: f.pointer!.length };
    // LFS files are Xet-backed on today's Hub; a gated repo's tree shows the hash redacted.
    base['xetHash'] = repo.gated ? REDACTED_XET_HASH : xetHashOf(f);
  }
  if (expand === 'none') return base;
  const last = lastCommitTouching(repo, commit, entry.path);
  base['lastCommit'] = { id: last.sha, title: last.title, date: last.date };
  if (f && expand === 'tree') {
    base['security'] = { repositoryId: `${repo.kind}s/${repo.id}`, blobId: f.oid, name: f.path, safe: true, avScan: { virusFound: false }, pickleImportScan: null };
  }
  if (f && expand === 'paths-info') base['securityFileStatus'] = { status: 'safe' };
  return base;
}

export function whoAmIJson(user: string, token: string): Record<string, unknown> {
  return {
    type: 'user',
    id: user.padEnd(24, '0').slice(0, 24),
    name: user,
    fullname: user,
    email: `${user}@example.test`,
    emailVerified: true,
    isPro: false,
    canPay: false,
    avatarUrl: '',
    periodEnd: null,
    billingMode: 'prepaid',
    orgs: [],
    auth: { type: 'access_token', accessToken: { displayName: `token-${token.slice(-4)}`, role: 'read', createdAt: '2024-01-01T00:00:00.000Z' } },
  };
}

export function commitOf(repo: StoredRepo): StoredCommit {
  const sha = repo.refs.get('main')!;
  return repo.commits.find((c) => c.sha === sha)!;
}
