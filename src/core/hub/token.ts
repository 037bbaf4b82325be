import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { echo } from '../echo';
import { MistudioError, describeError } from '../errors';

export interface TokenOptions {
  /** An explicit token (e.g. from the extension's secret storage); wins over everything else. */
  readonly override?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** For tests; default os.homedir(). */
  readonly homedir?: string;
}

/**
 * The token Python's huggingface_hub would use: HF_TOKEN, else the token file written by `hf auth login`
 * (HF_TOKEN_PATH, else $HF_HOME/token, else $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token).
 */
export async function resolveToken(options: TokenOptions = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const explicit = nonEmpty(options.override) ?? nonEmpty(env['HF_TOKEN']) ?? nonEmpty(env['HUGGING_FACE_HUB_TOKEN']);
  if (explicit) return explicit;
  const file = tokenFilePath(env, options.homedir ?? os.homedir());
  try {
    return nonEmpty(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MistudioError('Io', `Cannot read the Hugging Face token file ${echo(file, 200)}: ${echo(describeError(err), 200)}`, { path: file }, { cause: err });
  }
}

export function tokenFilePath(env: NodeJS.ProcessEnv, homedir: string): string {
  const expand = (p: string): string => (p === '~' || p.startsWith('~/') ? path.join(homedir, p.slice(1)) : p);
  const tokenPath = nonEmpty(env['HF_TOKEN_PATH']);
  if (tokenPath) return expand(tokenPath);
  const hfHome = nonEmpty(env['HF_HOME']);
  if (hfHome) return path.join(expand(hfHome), 'token');
  const xdg = nonEmpty(env['XDG_CACHE_HOME']);
  return path.join(xdg ? expand(xdg) : path.join(homedir, '.cache'), 'huggingface', 'token');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
