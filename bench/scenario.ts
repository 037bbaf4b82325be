import { spawnSync } from 'node:child_process';

export interface BenchContext {
  /** Fewer runs and smaller files: a quick check that everything works, not a result to quote. */
  readonly quick: boolean;
  /** Scratch space on the disk under test; each scenario cleans up its own folders. */
  readonly workDir: string;
  log(message: string): void;
}

/** One row of the results table. */
export interface RowResult {
  readonly what: string;
  readonly baseline: string;
  readonly target: string;
  /** "min / median / max" with units. */
  readonly measured: string;
  /** Undefined when the row could not be measured (then `notes` says why). */
  readonly pass: boolean | undefined;
  /** How the figure was measured, and anything a reader must know to trust it. */
  readonly notes: readonly string[];
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<RowResult[]>;
}

/** Writes dirty pages out between runs, so one run's write-back does not slow the next. */
export function syncDisks(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

export function runCount(ctx: BenchContext, full: number, quick: number): number {
  return ctx.quick ? quick : full;
}
