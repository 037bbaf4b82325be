/** The catalog benchmark's two halves, run in worker processes: build a 100,000-entry catalog; open and query it. */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openCatalog, type EntryStatus, type NewEntry, type SearchQuery, type SortKey } from '../../src/core/catalog';
import type { RepoMetadata } from '../../src/core/metadata';
import { loadSqlJs } from '../../src/core/catalog/sqljs';
import { seededRandom } from '../content';

export interface CatalogBuildArgs {
  readonly file: string;
  readonly entries: number;
}

export interface CatalogMeasureArgs {
  readonly file: string;
  readonly queries: number;
  readonly saves: number;
}

const WORDS = ['gpt2', 'pythia', 'llama', 'gemma', 'mistral', 'qwen', 'sae', 'transcoder', 'tiny', 'stories', 'res', 'jb', 'small', 'medium', 'large', 'instruct', 'base', 'chat', 'mlp', 'attn', 'resid', 'post', 'pre', 'layer', 'open', 'web', 'text', 'code', 'math', 'wiki', 'pile', 'dedup', 'deduped', 'v2', 'v3', 'it', 'hf', 'lens', 'circuits', 'probe'];
const ORGS = ['EleutherAI', 'openai-community', 'google', 'meta-llama', 'jbloom', 'neuronpedia', 'mistralai', 'Qwen', 'roneneldan', 'NeelNanda', 'apollo-research', 'canrager', 'tdooms', 'chanind', 'ckkissane'];
const STATUSES: readonly EntryStatus[] = ['ready', 'ready', 'ready', 'ready', 'ready', 'ready', 'paused', 'error', 'cancelled', 'missing', 'queued'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function repoName(random: () => number, n: number): string {
  const parts = Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(random, WORDS));
  return `${pick(random, ORGS)}-${n % 997}/${parts.join('-')}-${n}`;
}

function metadata(random: () => number, kind: 'model' | 'dataset'): RepoMetadata {
  const common: RepoMetadata = {
    license: pick(random, ['mit', 'apache-2.0', 'llama3', 'cc-by-4.0']),
    gated: false,
    downloads: Math.floor(random() * 1e6),
    likes: Math.floor(random() * 5000),
    lastModified: new Date(1.6e12 + random() * 1e11).toISOString(),
    totalSize: Math.floor(random() * 2e10),
  };
  if (kind === 'dataset') {
    return { ...common, dataset: { configs: [{ name: 'default', splits: [{ name: 'train', files: ['data/train-00000-of-00001.parquet'] }] }] } };
  }
  const params = Math.floor(random() * 8e9);
  return {
    ...common,
    pipelineTag: 'text-generation',
    model: {
      modelType: pick(random, ['gpt2', 'llama', 'gemma2', 'gpt_neox']),
      architectures: ['AutoModelForCausalLM'],
      numLayers: 12 + Math.floor(random() * 60),
      hiddenSize: 768 * (1 + Math.floor(random() * 8)),
      parameters: { total: params, byDtype: { BF16: params } },
      memory: { fp32: params * 4, bf16: params * 2, int8: params, int4: params / 2 },
    },
  };
}

/** Entries like a long-used catalog: mostly ready models, some datasets and unfinished downloads; every 10th has files. */
export async function buildCatalog(args: CatalogBuildArgs, wasmPath: string): Promise<{ ms: number; bytes: number }> {
  fs.rmSync(args.file, { force: true });
  const started = performance.now();
  const catalog = await openCatalog({ file: args.file, wasmPath });
  const random = seededRandom(100_000);
  const BATCH = 5_000;
  for (let start = 0; start < args.entries; start += BATCH) {
    catalog.transaction(() => {
      for (let n = start; n < Math.min(args.entries, start + BATCH); n++) {
        const kind = random() < 0.7 ? 'model' : 'dataset';
        const status = pick(random, STATUSES);
        const entry: NewEntry = {
          kind,
          repoId: repoName(random, n),
          revision: 'main',
          commit: n.toString(16).padStart(40, 'a'),
          status,
          bytesTotal: Math.floor(random() * 2e10),
          fileCount: 4,
          metadata: metadata(random, kind),
        };
        const added = catalog.addEntry({ ...entry, bytesDone: status === 'ready' ? entry.bytesTotal ?? 0 : 0 });
        if (n % 10 === 0) {
          catalog.setFiles(added.id, ['config.json', 'model.safetensors', 'tokenizer.json', 'README.md'].map((path, i) => ({
            path,
            size: 1000 + i * 1_000_000,
            blobId: (n * 4 + i).toString(16).padStart(64, '0'),
            sha256: path.endsWith('.safetensors') ? (n * 4 + i).toString(16).padStart(64, '0') : null,
            gitSha1: (n * 4 + i).toString(16).padStart(40, '0'),
            state: status === 'ready' ? 'verified' : 'pending',
          })));
        }
      }
    });
  }
  await catalog.close();
  return { ms: performance.now() - started, bytes: fs.statSync(args.file).size };
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

/** What the panel asks while someone types: substrings of names, sometimes with a kind or status filter, each sort. */
function queries(count: number, names: readonly string[]): SearchQuery[] {
  const random = seededRandom(7);
  const sorts: SortKey[] = ['name', 'size', 'updated'];
  return Array.from({ length: count }, (_, i) => {
    const name = pick(random, names);
    const length = 1 + Math.floor(random() * 8);
    const at = Math.floor(random() * Math.max(1, name.length - length));
    const text = i % 10 === 9 ? `zz${i}no-match` : name.slice(at, at + length);
    return {
      text,
      sort: pick(random, sorts),
      direction: random() < 0.5 ? 'asc' : 'desc',
      offset: 0,
      limit: 100,
      ...(i % 4 === 1 ? { kind: 'model' as const } : {}),
      ...(i % 5 === 2 ? { statuses: ['ready' as const] } : {}),
    };
  });
}

export async function measureCatalog(args: CatalogMeasureArgs, wasmPath: string): Promise<Record<string, unknown>> {
  // sql.js's WebAssembly start is part of opening (once per process); timed apart to show where the time goes.
  const wasmStarted = performance.now();
  await loadSqlJs(wasmPath);
  const wasmMs = performance.now() - wasmStarted;
  const openStarted = performance.now();
  const catalog = await openCatalog({ file: args.file, wasmPath });
  const openMs = wasmMs + (performance.now() - openStarted);
  // The panel's first request after opening: the first window of the default view.
  const firstPage = timed(() => catalog.search({ sort: 'name', direction: 'asc', offset: 0, limit: 100 }));
  if (firstPage.value.items.length !== 100) throw new Error(`first page has ${firstPage.value.items.length} items`);
  const names = firstPage.value.total > 0 ? catalog.search({ offset: 0, limit: 2000, sort: 'updated' }).items.map((e) => e.repoId) : [];
  const searchMs: number[] = [];
  let matched = 0;
  for (const query of queries(args.queries, names)) {
    const result = timed(() => catalog.search(query));
    searchMs.push(result.ms);
    if (result.value.total > 0) matched++;
  }
  const saveMs: number[] = [];
  const some = catalog.search({ offset: 0, limit: args.saves }).items;
  for (const [i, entry] of some.entries()) {
    catalog.updateEntry(entry.id, { displayName: `${entry.displayName} (${i})` });
    if (!catalog.hasUnsavedChanges) throw new Error('the change did not schedule a save');
    const started = performance.now();
    await catalog.flush();
    saveMs.push(performance.now() - started);
  }
  // A second process on the same file (a second catalog here: its own lock file descriptor and log reader): how
  // long until a change one makes reaches the other through the shared log.
  const other = await openCatalog({ file: args.file, wasmPath });
  const remoteMs: number[] = [];
  for (const [i, entry] of some.entries()) {
    const seen = new Promise<void>((resolve) => {
      const sub = other.onDidChange((c) => {
        if (c.entryId === entry.id && c.remote) {
          sub.dispose();
          resolve();
        }
      });
    });
    const started = performance.now();
    // A value no earlier run wrote: an update that changes nothing is no change, and nothing would arrive.
    catalog.updateEntry(entry.id, { bytesDone: Date.now() + i });
    await catalog.flush();
    await seen;
    remoteMs.push(performance.now() - started);
  }
  // Closing folds the log into a new image (sql.js export, temp file, fsync, rename): the compaction. The first of the
  // two to close does it (the other then finds nothing left to fold), so that is the one timed.
  await catalog.flush();
  const closeStarted = performance.now();
  await other.close();
  const compactMs = performance.now() - closeStarted;
  await catalog.close();
  return { openMs, wasmMs, firstPageMs: firstPage.ms, total: firstPage.value.total, searchMs, matched, saveMs, remoteMs, compactMs };
}
