/** Builds small, valid safetensors files with deterministic contents (for the demo repos and tests). */

export type SafetensorsDtype = 'F32' | 'BF16' | 'F16' | 'I64' | 'I32' | 'U8';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, BF16: 2, F16: 2, I64: 8, I32: 4, U8: 1 };

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A seeded linear congruential generator: the same seed gives the same bytes on every run and machine. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

export function buildSafetensors(tensors: readonly TensorSpec[], metadata: Record<string, string> = {}, seed = 7): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    const size = elementCount(t.shape) * BYTES_PER_ELEMENT[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces so the data starts 8-byte aligned.
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([length, headerBytes, seededBytes(offset, seed)]);
}
