import { MistudioError } from '../errors';
import type { DownloadFileOptions } from './types';

/** Refuses requests that cannot be right before any byte moves. */
export function validateOptions(options: DownloadFileOptions): void {
  const invalid = (why: string): never => {
    throw new MistudioError('InvalidInput', `Invalid download request: ${why}`);
  };
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    invalid(`"${options.url}" is not a URL`);
  }
  if (url !== undefined && url.protocol !== 'https:' && url.protocol !== 'http:') invalid(`unsupported URL scheme ${url.protocol}`);
  if (!Number.isSafeInteger(options.size) || options.size < 0) invalid(`size ${options.size} is not a byte count`);
  if (options.partialPath === options.finalPath) invalid('partialPath and finalPath are the same');
  const journal = options.rangeJournalPath;
  if (journal !== undefined && (journal === options.partialPath || journal === options.finalPath)) invalid('rangeJournalPath is the partial or the final path');
  const hash = options.expectedHash;
  if (hash !== undefined) {
    const length = hash.algorithm === 'sha256' ? 64 : 40;
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hash.hex)) invalid(`"${hash.hex}" is not a ${hash.algorithm} hex digest`);
  }
}
