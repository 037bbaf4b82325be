import { echo } from '../echo';
import { MistudioError } from '../errors';

/**
 * A repo file path becomes a path under the cache's snapshot folder: refuse anything that could land elsewhere
 * or that different platforms would read differently.
 */
export function validateRepoFilePath(filePath: string, repoId: string): string {
  const reason = unsafeReason(filePath);
  if (reason) {
    // JSON quoting shows backslashes and C0 controls unambiguously; echo() then escapes what JSON leaves (C1, bidi).
    const shown = echo(JSON.stringify(filePath.length > 120 ? `${filePath.slice(0, 120)}…` : filePath), 1000);
    throw new MistudioError('UnsafePath', `Refusing file ${shown} from ${repoId}: ${reason}`, { repoId, path: filePath });
  }
  return filePath;
}

function unsafeReason(p: string): string | undefined {
  if (p.length === 0) return 'empty path';
  if (p.includes('\0')) return 'contains a NUL character';
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(p)) return 'drive-letter path';
  const segments = p.split('/');
  if (segments.some((s) => s === '')) return 'empty path segment';
  if (segments.some((s) => s === '..')) return 'contains ".."';
  if (segments.some((s) => s === '.')) return 'contains "."';
  return undefined;
}
