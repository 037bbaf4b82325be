/** What the parent sends a worker (as JSON) and reads back from its result file. */
export interface DownloadFileArgs {
  readonly url: string;
  readonly partialPath: string;
  readonly finalPath: string;
  readonly size: number;
  readonly sha256: string;
  readonly connections?: number;
  /** Default true: verify sha256 while streaming (the product default); false: `verifyChecksums` off. */
  readonly verify?: boolean;
}

export interface CliArgs {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
}

export interface HubJsSnapshotArgs {
  readonly repo: string;
  readonly hubUrl: string;
  readonly cacheDir: string;
}

export interface WorkerResult {
  readonly ok: boolean;
  readonly error?: string;
  /** The worker's high-water mark of resident memory (getrusage ru_maxrss). */
  readonly peakRssBytes: number;
  /** Peaks of process.memoryUsage() fields, sampled every 10 ms. */
  readonly memoryPeaks?: Record<string, number>;
  readonly data: Record<string, unknown>;
}
