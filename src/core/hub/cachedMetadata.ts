import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { HfCache } from '../cache';
import { throwIfAborted } from '../errors';
import type { ModelMetadata, RepoMetadata } from '../metadata';
import type { RepoRef } from '../repo';
import { configFacts, memoryEstimate, parameterCount, pickSafetensorsPath } from './modelMetadata';
import { datasetMetadata } from './repoMetadata';
import type { RepoFile, RepoInfo } from './types';

/** As the Hub path: a config bigger than this is not a config. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** safetensors caps its JSON header at 100 MB; a longer one is not a safetensors file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** A sharded checkpoint names its shards in an index; a few thousand at most in practice. */
const MAX_SHARDS = 10_000;

/**
 * What `HubClient.readMetadata` reads from the Hub, read from the cached snapshot instead (offline, or a repo adopted
 * from the cache): the model's config.json and its safetensors headers (the shards an index names), the dataset's
 * layout. Only what the files tell: the Hub's own facts (license, likes, gating) are not in the cache and stay as the
 * entry last had them. Best effort: a file that is missing or malformed leaves its facts unknown.
 */
export async function readCachedMetadata(cache: HfCache, ref: RepoRef, commit: string, files: readonly RepoFile[], info: RepoInfo, signal?: AbortSignal): Promise<RepoMetadata> {
  const base: RepoMetadata = { totalSize: files.reduce((sum, f) => sum + f.size, 0) };
  if (ref.kind === 'dataset') return { ...base, dataset: datasetMetadata(info, files) };
  const snapshot = cache.snapshotDir(ref, commit);
  const local = (repoPath: string): string => path.join(snapshot, ...repoPath.split('/'));
  let model: ModelMetadata = {};
  if (files.some((f) => f.path === 'config.json')) {
    const config = await readJson(local('config.json'), MAX_CONFIG_BYTES);
    model = { ...model, ...configFacts(config) };
  }
  throwIfAborted(signal);
  const weights = pickSafetensorsPath(files);
  if (weights) {
    const byDtype = await countParameters(local, weights, signal).catch(() => undefined);
    const parameters = byDtype && parameterCount(byDtype);
    if (parameters) model = { ...model, parameters, memory: memoryEstimate(parameters.total) };
  }
  return { ...base, model };
}

/** Parameters per dtype over the file, or over every shard its index names. */
async function countParameters(local: (repoPath: string) => string, weights: string, signal: AbortSignal | undefined): Promise<Record<string, number> | undefined> {
  const shards = weights.endsWith('.index.json') ? await shardsOf(local(weights), path.posix.dirname(weights)) : [weights];
  if (shards === undefined) return undefined;
  const total: Record<string, number> = {};
  for (const shard of shards) {
    throwIfAborted(signal);
    const counts = await headerCounts(local(shard));
    if (counts === undefined) return undefined;
    for (const [dtype, n] of Object.entries(counts)) total[dtype] = (total[dtype] ?? 0) + n;
  }
  return total;
}

async function shardsOf(indexFile: string, dir: string): Promise<string[] | undefined> {
  const index = await readJson(indexFile, MAX_CONFIG_BYTES * 4);
  const map = isRecord(index) && isRecord(index['weight_map']) ? index['weight_map'] : undefined;
  if (!map) return undefined;
  const names = [...new Set(Object.values(map).filter((v): v is string => typeof v === 'string'))];
  if (names.length === 0 || names.length > MAX_SHARDS || names.some((n) => n.includes('..') || n.startsWith('/'))) return undefined;
  return names.map((n) => (dir === '.' ? n : `${dir}/${n}`));
}

/** The safetensors header: 8 bytes little-endian length, then JSON naming each tensor's dtype and shape. */
async function headerCounts(file: string): Promise<Record<string, number> | undefined> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const prefix = Buffer.alloc(8);
    if ((await handle.read(prefix, 0, 8, 0)).bytesRead !== 8) return undefined;
    const length = prefix.readBigUInt64LE(0);
    if (length === 0n || length > BigInt(MAX_HEADER_BYTES)) return undefined;
    const header = Buffer.alloc(Number(length));
    if ((await handle.read(header, 0, header.length, 8)).bytesRead !== header.length) return undefined;
    const parsed: unknown = JSON.parse(header.toString('utf8'));
    if (!isRecord(parsed)) return undefined;
    const counts: Record<string, number> = {};
    for (const [name, tensor] of Object.entries(parsed)) {
      if (name === '__metadata__' || !isRecord(tensor)) continue;
      const { dtype, shape } = tensor;
      if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) return undefined;
      counts[dtype] = (counts[dtype] ?? 0) + (shape as number[]).reduce((a, b) => a * b, 1);
    }
    return counts;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

async function readJson(file: string, maxBytes: number): Promise<unknown> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
