import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededBytes } from '../../fake-hub/safetensors';
import type { FakeHub, FakeRepo } from '../../fake-hub/index';
import type { DownloadFileOptions } from '../../../src/core/transfer/types';
import { sha256Of, gitSha1Of } from './helpers';

export const TOKEN = 'hf_alice_read';
export const GATED_TOKEN = 'hf_bob_gated';
export const TOKENS = { [TOKEN]: { user: 'alice' }, [GATED_TOKEN]: { user: 'bob', canAccessGated: true } };

export const CONFIG = Buffer.from(`${JSON.stringify({ model_type: 'gpt2', n_layer: 12, n_embd: 768 }, null, 2)}\n`);
export const WEIGHTS = seededBytes(1024 * 1024 + 17, 7); // LFS (.bin)
export const BIG = seededBytes(6 * 1024 * 1024 + 5, 11); // LFS, split into parallel parts in tests

export const REPOS: FakeRepo[] = [
  {
    kind: 'model',
    id: 'acme/tiny',
    commits: [
      {
        files: [
          { path: 'config.json', content: CONFIG },
          { path: 'weights.bin', content: WEIGHTS },
          { path: 'big.safetensors', content: BIG },
          { path: 'empty.txt', content: '', lfs: false },
          { path: 'sub dir/tokenizer config.json', content: CONFIG, lfs: false },
        ],
      },
    ],
  },
  { kind: 'dataset', id: 'acme/data', commits: [{ files: [{ path: 'data/train.parquet', content: WEIGHTS }] }] },
  { kind: 'model', id: 'acme/private', private: true, commits: [{ files: [{ path: 'weights.bin', content: WEIGHTS }] }] },
  { kind: 'model', id: 'acme/gated', gated: 'auto', commits: [{ files: [{ path: 'weights.bin', content: WEIGHTS }] }] },
];

export function resolveUrl(hub: FakeHub, filePath: string, repo = 'acme/tiny', kind: 'model' | 'dataset' = 'model'): string {
  const encoded = filePath.split('/').map(encodeURIComponent).join('/');
  return `${hub.url}/${kind === 'dataset' ? 'datasets/' : ''}${repo}/resolve/main/${encoded}`;
}

/** Options for downloading `filePath` of acme/tiny into `dir`, verified, with fast retries. */
export function optionsFor(hub: FakeHub, dir: string, filePath: 'config.json' | 'weights.bin' | 'big.safetensors'): DownloadFileOptions & { content: Buffer } {
  const content = filePath === 'config.json' ? CONFIG : filePath === 'weights.bin' ? WEIGHTS : BIG;
  const expectedHash = filePath === 'config.json' ? gitSha1Of(content) : sha256Of(content);
  return {
    content,
    url: resolveUrl(hub, filePath),
    partialPath: path.join(dir, 'blobs', `${expectedHash.hex}.incomplete`),
    finalPath: path.join(dir, 'blobs', expectedHash.hex),
    size: content.length,
    expectedHash,
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    stallTimeoutMs: 5_000,
  };
}

export function readIfExists(file: string): Buffer | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file) : undefined;
}

export function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
