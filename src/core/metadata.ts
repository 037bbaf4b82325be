/** What we know about a repo beyond its files; stored as JSON on each catalog entry. */

export interface ParameterCount {
  readonly total: number;
  /** Parameter count per safetensors dtype, e.g. { BF16: 124_000_000 }. */
  readonly byDtype: Readonly<Record<string, number>>;
}

/** Bytes needed to hold the weights at each precision (weights only; activations and KV cache come on top). */
export interface MemoryEstimate {
  readonly fp32: number;
  readonly bf16: number;
  readonly int8: number;
  readonly int4: number;
}

export interface ModelMetadata {
  readonly modelType?: string;
  readonly architectures?: readonly string[];
  readonly numLayers?: number;
  readonly hiddenSize?: number;
  readonly parameters?: ParameterCount;
  readonly memory?: MemoryEstimate;
}

export interface DatasetSplit {
  readonly name: string;
  /** The split's files, sorted; the first MAX_SPLIT_FILES of them when it has more (see fileCount). */
  readonly files: readonly string[];
  /** How many files the split has, when `files` lists only the first of them. */
  readonly fileCount?: number;
}

/** A split's files kept in an entry's metadata: a 100k-file dataset must not put 100k names in every catalog row. */
export const MAX_SPLIT_FILES = 1000;

export interface DatasetConfig {
  readonly name: string;
  readonly splits: readonly DatasetSplit[];
}

export interface DatasetMetadata {
  readonly configs?: readonly DatasetConfig[];
}

export interface RepoMetadata {
  readonly license?: string;
  /** false, or how access is granted: 'auto' | 'manual'. */
  readonly gated?: false | 'auto' | 'manual';
  readonly private?: boolean;
  readonly pipelineTag?: string;
  readonly downloads?: number;
  readonly likes?: number;
  /** ISO 8601. */
  readonly lastModified?: string;
  /** Sum of the sizes of all files in the repo at that commit (not only the planned ones). */
  readonly totalSize?: number;
  readonly model?: ModelMetadata;
  readonly dataset?: DatasetMetadata;
}
