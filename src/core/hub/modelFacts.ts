import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { forEachConcurrently } from '../concurrency';
import { throwIfAborted } from '../errors';
import type { ModelMetadata } from '../metadata';
import { configFacts, memoryEstimate, parameterCount, pickSafetensorsPath } from './modelMetadata';
import type { ListedFile } from './types';

/**
 * The facts a model's files tell — its config.json and its safetensors headers (every shard an index names) — read
 * once, from wherever the files are: the cache (a download reads what it just placed, adoption what another tool
 * placed) or the Hub (what a download left out). Best effort: a file that is missing or malformed leaves its
 * facts unknown; only a cancel throws.
 */
export interface FileSource {
  /** A whole file of at most `maxBytes`; undefined when unavailable or larger. */
  read(repoPath: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined>;
  /** Bytes [start, end) of a file (fewer at its end); undefined when unavailable. */
  readRange(repoPath: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer | undefined>;
}

/** As the Hub path: a config bigger than this is not a config. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** safetensors caps its JSON header at 100 MB; a longer one is not a safetensors file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** A shard index names each tensor once: tens of thousands of lines at most. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** A sharded checkpoint names its shards in an index; a few thousand at most in practice. */
const MAX_SHARDS = 10_000;
/** The first read of a header takes this much: most headers fit, so one request per shard over the network. */
const HEADER_PROBE_BYTES = 64 * 1024;
/** Shard headers read at once. */
const SHARD_CONCURRENCY = 8;

export async function readModelFacts(source: FileSource, files: readonly ListedFile[], signal?: AbortSignal): Promise<ModelMetadata> {
  let model: ModelMetadata = {};
  const config = files.find((f) => f.path === 'config.json');
  if (config && config.size <= MAX_CONFIG_BYTES) model = { ...model, ...configFacts(parseJson(await quietly(signal, () => source.read('config.json', MAX_CONFIG_BYTES, signal)))) };
  throwIfAborted(signal);
  const weights = pickSafetensorsPath(files);
  if (weights) {
    const sizes = new Map(files.map((f) => [f.path, f.size]));
    const byDtype = await quietly(signal, () => countParameters(source, weights, sizes, signal));
    const parameters = byDtype && parameterCount(byDtype);
    if (parameters) model = { ...model, parameters, memory: memoryEstimate(parameters.total) };
  }
  return model;
}

/** Parameters per dtype over the file, or over every shard its index names; undefined when any is unreadable. */
async function countParameters(source: FileSource, weights: string, sizes: ReadonlyMap<string, number>, signal: AbortSignal | undefined): Promise<Record<string, number> | undefined> {
  const shards = weights.endsWith('.index.json') ? shardsOf(parseJson(await source.read(weights, MAX_INDEX_BYTES, signal)), path.posix.dirname(weights)) : [weights];
  if (shards === undefined || shards.some((s) => !sizes.has(s))) return undefined;
  const total: Record<string, number> = {};
  let complete = true;
  await forEachConcurrently(shards, SHARD_CONCURRENCY, async (shard) => {
    throwIfAborted(signal);
    const counts = complete ? await headerCounts(source, shard, sizes.get(shard) ?? 0, signal) : undefined;
    if (counts === undefined) {
      complete = false;
      return;
    }
    for (const [dtype, n] of Object.entries(counts)) total[dtype] = (total[dtype] ?? 0) + n;
  });
  return complete ? total : undefined;
}

function shardsOf(index: unknown, dir: string): string[] | undefined {
  const map = isRecord(index) && isRecord(index['weight_map']) ? index['weight_map'] : undefined;
  if (!map) return undefined;
  const names = [...new Set(Object.values(map).filter((v): v is string => typeof v === 'string'))];
  if (names.length === 0 || names.length > MAX_SHARDS || names.some((n) => n.includes('..') || n.startsWith('/'))) return undefined;
  return names.map((n) => (dir === '.' ? n : `${dir}/${n}`));
}

/** The safetensors header: 8 bytes little-endian length, then JSON naming each tensor's dtype and shape. */
async function headerCounts(source: FileSource, file: string, size: number, signal: AbortSignal | undefined): Promise<Record<string, number> | undefined> {
  const first = await source.readRange(file, 0, Math.min(size, HEADER_PROBE_BYTES), signal);
  if (first === undefined || first.length < 8) return undefined;
  const length = first.readBigUInt64LE(0);
  if (length === 0n || length > BigInt(MAX_HEADER_BYTES) || 8n + length > BigInt(size)) return undefined;
  const end = 8 + Number(length);
  let header = first.subarray(8, end);
  if (first.length < end) {
    const rest = await source.readRange(file, first.length, end, signal);
    if (rest === undefined || first.length + rest.length !== end) return undefined;
    header = Buffer.concat([first.subarray(8), rest]);
  }
  const parsed = parseJson(header);
  if (!isRecord(parsed)) return undefined;
  const counts: Record<string, number> = {};
  for (const [name, tensor] of Object.entries(parsed)) {
    if (name === '__metadata__' || !isRecord(tensor)) continue;
    const { dtype, shape } = tensor;
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) return undefined;
    counts[dtype] = (counts[dtype] ?? 0) + (shape as number[]).reduce((a, b) => a * b, 1);
  }
  return counts;
}

/** The files of a snapshot folder in the cache, read through its links (≤ `maxBytes`, never a non-file). */
export function snapshotSource(snapshotDir: string): FileSource {
  const local = (repoPath: string): string => path.join(snapshotDir, ...repoPath.split('/'));
  return {
    async read(repoPath, maxBytes) {
      try {
        const st = await fs.stat(local(repoPath));
        if (!st.isFile() || st.size > maxBytes) return undefined;
        return await fs.readFile(local(repoPath));
      } catch {
        return undefined;
      }
    },
    async readRange(repoPath, start, end) {
      const handle = await fs.open(local(repoPath), 'r').catch(() => undefined);
      if (!handle) return undefined;
      try {
        const buffer = Buffer.alloc(Math.max(0, end - start));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
        return buffer.subarray(0, bytesRead);
      } catch {
        return undefined;
      } finally {
        await handle.close();
      }
    },
  };
}

/** Reads `paths` from `local`, everything else from `remote`. */
export function preferLocal(local: FileSource, paths: ReadonlySet<string>, remote: FileSource): FileSource {
  return {
    read: (p, max, signal) => (paths.has(p) ? local : remote).read(p, max, signal),
    readRange: (p, start, end, signal) => (paths.has(p) ? local : remote).readRange(p, start, end, signal),
  };
}

async function quietly<T>(signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    throwIfAborted(signal);
    return undefined;
  }
}

function parseJson(bytes: Buffer | undefined): unknown {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
