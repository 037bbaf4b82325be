import { echo } from '../echo';
import { MistudioError } from '../errors';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** The Hub (or mirror) to talk to: an explicit setting, else HF_ENDPOINT (as Python's huggingface_hub), else huggingface.co. */
export function resolveEndpoint(options: { override?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const chosen = nonEmpty(options.override) ?? nonEmpty(env['HF_ENDPOINT']) ?? DEFAULT_HUB_ENDPOINT;
  const endpoint = chosen.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid(chosen);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw invalid(chosen);
  }
  return endpoint;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function invalid(value: string): MistudioError {
  return new MistudioError('InvalidInput', `Invalid Hub endpoint "${echo(value)}": expected an http(s) URL such as ${DEFAULT_HUB_ENDPOINT}`);
}
