import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode, ioError } from './fsUtil';

/**
 * Bytes an unprivileged user can still write on the filesystem that holds `dir` (or would hold it: the nearest
 * existing parent is asked, since the cache folder may not exist before the first download).
 */
export async function freeSpace(dir: string): Promise<number> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      const st = await fs.statfs(current, { bigint: true });
      return Number(st.bavail * st.bsize);
    } catch (err) {
      const code = errnoCode(err);
      const parent = path.dirname(current);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== current) {
        current = parent;
        continue;
      }
      throw ioError(`Cannot read free space for ${dir}`, err, dir);
    }
  }
}
