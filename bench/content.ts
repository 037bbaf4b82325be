import { createCipheriv, createHash } from 'node:crypto';

/**
 * Deterministic incompressible bytes (an AES-CTR keystream seeded by `seed`): every block differs, so a byte landing
 * at the wrong offset fails the checksum, and generating a GiB takes well under a second.
 */
export function pseudoRandomBytes(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(`key:${seed}`).digest().subarray(0, 16);
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const out = Buffer.allocUnsafe(size);
  const zeros = Buffer.alloc(Math.min(size, 16 * 1024 * 1024));
  for (let pos = 0; pos < size; pos += zeros.length) {
    const n = Math.min(zeros.length, size - pos);
    cipher.update(zeros.subarray(0, n)).copy(out, pos);
  }
  return out;
}

export function sha256Hex(content: Buffer): string {
  const hash = createHash('sha256');
  // Hash.update takes at most 2^31 - 1 bytes at once.
  for (let at = 0; at < content.length; at += GiB) hash.update(content.subarray(at, at + GiB));
  return hash.digest('hex');
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** A small seeded PRNG (mulberry32) for reproducible file sizes and queries. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
