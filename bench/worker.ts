/**
 * One measured job in a fresh Node process, so its peak RSS and its timings are its own:
 *   node out/bench/worker.mjs <mode> '<json args>' <result file>
 * The result (JSON) is written to the result file; the parent reads it after the process exits.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runCli } from '../src/core/cli/run';
import { closeSharedTransferAgent, downloadFile, openPartialFile, type OpenPartialFile } from '../src/core/transfer';
import { buildSyntheticCache, measureCacheScan, type CacheBuildArgs, type CacheScanArgs } from './scenarios/cacheScanWork';
import { measureCatalog, buildCatalog, type CatalogBuildArgs, type CatalogMeasureArgs } from './scenarios/catalogWork';
import type { CliArgs, DownloadFileArgs, HubJsSnapshotArgs, WorkerResult } from './workerTypes';

const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');

/**
 * The high-water mark of this process's resident memory. Linux's VmHWM, not getrusage's ru_maxrss: ru_maxrss
 * survives execve, so a worker spawned by a parent holding gigabytes of test content would report the parent's size.
 */
function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Wraps the real partial file to time its disk operations (the engine's own `openFile` hook). */
function instrumentedOpen(stats: Record<string, number>): OpenPartialFile {
  const timed = async <T>(key: string, op: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await op();
    } finally {
      stats[`${key}Ms`] = (stats[`${key}Ms`] ?? 0) + performance.now() - started;
      stats[`${key}Calls`] = (stats[`${key}Calls`] ?? 0) + 1;
    }
  };
  return async (filePath, start) => {
    const file = await openPartialFile(filePath, start);
    const writev = file.writev?.bind(file);
    return {
      write: (data, position) => {
        stats['writeBytes'] = (stats['writeBytes'] ?? 0) + data.length;
        return timed('write', () => file.write(data, position));
      },
      // The product's partial has writev; without it here the engine would copy every batch into one buffer.
      ...(writev ? { writev: (chunks: readonly Uint8Array[], position: number) => {
        stats['writeBytes'] = (stats['writeBytes'] ?? 0) + chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        return timed('write', () => writev(chunks, position));
      } } : {}),
      read: (into, position) => timed('read', async () => {
        const n = await file.read(into, position);
        stats['readBytes'] = (stats['readBytes'] ?? 0) + n;
        return n;
      }),
      size: () => file.size(),
      truncate: (length) => file.truncate(length),
      sync: () => timed('sync', () => file.sync()),
      close: () => file.close(),
    };
  };
}

async function downloadOne(args: DownloadFileArgs): Promise<Record<string, unknown>> {
  const io: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await downloadFile({
    url: args.url,
    partialPath: args.partialPath,
    finalPath: args.finalPath,
    size: args.size,
    ...(args.verify !== false ? { expectedHash: { algorithm: 'sha256' as const, hex: args.sha256 } } : {}),
    ...(args.connections !== undefined ? { connections: args.connections } : {}),
    openFile: instrumentedOpen(io),
  });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  // User + system time of every thread of the process (main, libuv pool, V8 helpers).
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, io, bytesTransferred: result.bytesTransferred };
}

async function cli(args: CliArgs): Promise<Record<string, unknown>> {
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  const code = await runCli(args.argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { ...process.env, ...args.env },
    wasmPath,
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  });
  const ms = performance.now() - started;
  return { ms, code, stdout: stdout.slice(-2000), stderr: stderr.slice(-2000) };
}

async function hubJsSnapshot(args: HubJsSnapshotArgs): Promise<Record<string, unknown>> {
  // Loaded only in this mode so the other modes' memory does not include it.
  const { snapshotDownload } = await import('@huggingface/hub');
  // snapshotDownload narrates every file on console.debug.
  console.debug = () => undefined;
  const started = performance.now();
  const snapshot = await snapshotDownload({ repo: args.repo, hubUrl: args.hubUrl, cacheDir: args.cacheDir });
  return { ms: performance.now() - started, snapshot };
}

/** Peaks of what V8 and Node hold, sampled every 10 ms: where resident memory goes when VmHWM is high. */
function memorySampler(): () => Record<string, number> {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    for (const key of Object.keys(peak) as Array<keyof typeof peak>) peak[key] = Math.max(peak[key], m[key]);
  }, 10);
  timer.unref();
  return () => {
    clearInterval(timer);
    return { ...peak };
  };
}

async function main(): Promise<void> {
  const memory = memorySampler();
  const [mode, rawArgs, resultFile] = process.argv.slice(2);
  if (!mode || rawArgs === undefined || !resultFile) throw new Error('usage: worker.mjs <mode> <json args> <result file>');
  const args: unknown = JSON.parse(rawArgs);
  let data: Record<string, unknown>;
  switch (mode) {
    case 'download-file':
      data = await downloadOne(args as DownloadFileArgs);
      break;
    case 'cli':
      data = await cli(args as CliArgs);
      break;
    case 'hubjs-snapshot':
      data = await hubJsSnapshot(args as HubJsSnapshotArgs);
      break;
    case 'catalog-build':
      data = { ...(await buildCatalog(args as CatalogBuildArgs, wasmPath)) };
      break;
    case 'catalog-measure':
      data = { ...(await measureCatalog(args as CatalogMeasureArgs, wasmPath)) };
      break;
    case 'cache-build':
      data = { ...buildSyntheticCache(args as CacheBuildArgs) };
      break;
    case 'cache-scan':
      data = { ...(await measureCacheScan(args as CacheScanArgs, wasmPath)) };
      break;
    default:
      throw new Error(`unknown worker mode ${mode}`);
  }
  await closeSharedTransferAgent();
  const result: WorkerResult = { ok: true, peakRssBytes: peakRssBytes(), memoryPeaks: memory(), data };
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

main().catch((err: unknown) => {
  const [, , resultFile] = process.argv.slice(2);
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  if (resultFile) fs.writeFileSync(resultFile, JSON.stringify({ ok: false, error: message, peakRssBytes: peakRssBytes(), data: {} } satisfies WorkerResult));
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
});
