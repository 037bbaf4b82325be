import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freeSpace } from '../../../src/core/cache/freeSpace';
import { makeTempDir, removeDir } from './fixtures';

describe('freeSpace', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('returns a positive byte count for an existing folder', async () => {
    const bytes = await freeSpace(dir);
    expect(Number.isSafeInteger(bytes)).toBe(true);
    expect(bytes).toBeGreaterThan(0);
  });

  it('asks the nearest existing parent for a folder that does not exist yet', async () => {
    const missing = path.join(dir, 'not', 'yet', 'created', 'hub');
    const bytes = await freeSpace(missing);
    expect(bytes).toBeGreaterThan(0);
  });
});
