import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { WorkerResult } from './workerTypes';

const workerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.mjs');

export interface ChildOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From spawn to exit, as seen by the parent. */
  readonly wallMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface WorkerOutcome extends ChildOutcome {
  /** Undefined when the worker was killed before writing it. */
  readonly result: WorkerResult | undefined;
}

export interface Running<T> {
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
  readonly done: Promise<T>;
}

/** Starts a command; its output is collected (the tail only, to bound memory). */
export function startProcess(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Running<ChildOutcome> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-64 * 1024)));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-64 * 1024)));
  const done = new Promise<ChildOutcome>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal, wallMs: performance.now() - started, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return {
    pid: child.pid,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    done,
  };
}

/**
 * Node options for the workers only, e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile
 * the engine (NODE_OPTIONS refuses --cpu-prof, and would profile the fake hub's process too).
 */
function workerNodeArgs(): string[] {
  return (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** Runs bench/worker.ts in a fresh Node process; see worker.ts for the modes. */
export function startWorker(mode: string, args: unknown): Running<WorkerOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-bench-result-'));
  const resultFile = path.join(dir, 'result.json');
  const running = startProcess(process.execPath, [...workerNodeArgs(), workerScript, mode, JSON.stringify(args), resultFile]);
  const done = running.done.then((outcome) => {
    let result: WorkerResult | undefined;
    try {
      result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as WorkerResult;
    } catch {
      result = undefined;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...outcome, result };
  });
  return { pid: running.pid, kill: running.kill, done };
}

/** Runs a worker to completion and insists it succeeded. */
export async function runWorker(mode: string, args: unknown): Promise<WorkerResult & { wallMs: number }> {
  const outcome = await startWorker(mode, args).done;
  if (!outcome.result?.ok) {
    throw new Error(`worker ${mode} failed (exit ${outcome.exitCode ?? outcome.signal}): ${outcome.result?.error ?? outcome.stderr.slice(-2000)}`);
  }
  return { ...outcome.result, wallMs: outcome.wallMs };
}
