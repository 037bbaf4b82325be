import type { MemoryEstimate, ParameterCount } from '../metadata';
import type { ListedFile } from './types';

export interface ModelConfigFacts {
  readonly modelType?: string;
  readonly architectures?: readonly string[];
  readonly numLayers?: number;
  readonly hiddenSize?: number;
}

// Architectures spell the same idea differently (GPT-2: n_layer/n_embd, T5: num_layers/d_model, Llama: num_hidden_layers/hidden_size).
const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'];
const HIDDEN_KEYS = ['hidden_size', 'n_embd', 'd_model'];

/** Facts from a transformers config.json; multimodal configs keep the language model's in `text_config`. */
export function configFacts(config: unknown): ModelConfigFacts {
  if (!isRecord(config)) return {};
  const text = isRecord(config['text_config']) ? config['text_config'] : undefined;
  const modelType = typeof config['model_type'] === 'string' ? config['model_type'] : undefined;
  const architectures = Array.isArray(config['architectures']) ? config['architectures'].filter((a): a is string => typeof a === 'string') : undefined;
  const numLayers = firstPositiveInt(config, LAYER_KEYS) ?? (text && firstPositiveInt(text, LAYER_KEYS));
  const hiddenSize = firstPositiveInt(config, HIDDEN_KEYS) ?? (text && firstPositiveInt(text, HIDDEN_KEYS));
  return {
    ...(modelType ? { modelType } : {}),
    ...(architectures && architectures.length > 0 ? { architectures } : {}),
    ...(numLayers ? { numLayers } : {}),
    ...(hiddenSize ? { hiddenSize } : {}),
  };
}

function firstPositiveInt(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  return undefined;
}

/**
 * Which safetensors file describes the model's weights: the root index (sharded) or single file first, else the
 * shallowest index, else the only safetensors file. Several unrelated files (e.g. one per SAE) give no answer.
 */
export function pickSafetensorsPath(files: readonly ListedFile[]): string | undefined {
  const paths = new Set(files.map((f) => f.path));
  if (paths.has('model.safetensors.index.json')) return 'model.safetensors.index.json';
  if (paths.has('model.safetensors')) return 'model.safetensors';
  const byDepth = (a: string, b: string): number => a.split('/').length - b.split('/').length || a.localeCompare(b);
  const indexes = [...paths].filter((p) => p.endsWith('.safetensors.index.json')).sort(byDepth);
  if (indexes.length > 0) return indexes[0];
  const singles = [...paths].filter((p) => p.endsWith('.safetensors'));
  return singles.length === 1 ? singles[0] : undefined;
}

export function parameterCount(byDtype: Readonly<Record<string, number | undefined>>, declaredTotal?: number): ParameterCount | undefined {
  const counts: Record<string, number> = {};
  for (const [dtype, n] of Object.entries(byDtype)) if (typeof n === 'number' && n > 0) counts[dtype] = n;
  const sum = Object.values(counts).reduce((a, b) => a + b, 0);
  const total = declaredTotal !== undefined && declaredTotal > 0 ? declaredTotal : sum;
  return total > 0 ? { total, byDtype: counts } : undefined;
}

/** Weights only, at each precision. */
export function memoryEstimate(parameters: number): MemoryEstimate {
  return { fp32: parameters * 4, bf16: parameters * 2, int8: parameters, int4: Math.ceil(parameters / 2) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
