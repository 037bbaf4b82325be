import type { FakeHub, FakeRepo } from '../test/fake-hub/index';

export function singleFileRepo(id: string, filePath: string, content: Buffer): FakeRepo {
  return { kind: 'model', id, commits: [{ files: [{ path: filePath, content, lfs: true }] }] };
}

/** The Hub's resolve URL, which redirects LFS files to the CDN origin — what `hf download` and curl -L start from. */
export function resolveUrl(hub: FakeHub, repoId: string, filePath: string): string {
  return `${hub.url}/${repoId}/resolve/main/${filePath.split('/').map(encodeURIComponent).join('/')}`;
}
