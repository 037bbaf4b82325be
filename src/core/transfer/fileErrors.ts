import { promises as fs } from 'node:fs';
import { MistudioError, describeError } from '../errors';

/** A file-system failure as the engine reports it: a full disk or quota is NoSpace, anything else Io. */
export function fileSystemError(err: unknown, label: string, filePath: string): MistudioError {
  if (err instanceof MistudioError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new MistudioError('NoSpace', `Not enough disk space to download ${label}`, { path: filePath }, { cause: err });
  }
  return new MistudioError('Io', `Cannot write ${label} to ${filePath}: ${describeError(err)}`, { path: filePath }, { cause: err });
}

/** On Windows a virus scanner or indexer may hold the fresh file for a moment; elsewhere rename just works. */
export async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const transient = process.platform === 'win32' && (code === 'EPERM' || code === 'EBUSY' || code === 'EACCES');
      if (!transient || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
