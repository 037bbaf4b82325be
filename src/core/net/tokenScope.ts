/**
 * Which URLs may receive the user's Hugging Face token. huggingface_hub (1.29, file_download.py and httpx's
 * redirect handling) sends it to the URL it was built for and on redirects that stay on that host (a renamed repo,
 * a relative `/api/resolve-cache/…`), and drops it for any other host — a CDN's signed URL needs none. The one
 * place it names Hub hosts is `constants.HF_URL_HOSTS` (huggingface.co, hf.co, the staging host and the configured
 * endpoint's): we take those hosts, exactly, as places the token may also go, so a mirror that redirects a gated
 * file to huggingface.co keeps working. Never a subdomain: the Hub's CDNs live on them (cdn-lfs.huggingface.co,
 * cas-bridge.xethub.hf.co), and never over plain http to a Hub host.
 */
const KNOWN_HUB_ORIGINS: ReadonlySet<string> = new Set(['https://huggingface.co', 'https://hf.co', 'https://hub-ci.huggingface.co']);

/**
 * True when a request to `url` may carry the token of a client configured for `endpointOrigin`: the same origin,
 * that host upgraded from http to https (default ports), or one of the Hub's own hosts over https.
 */
export function mayCarryToken(url: URL | string, endpointOrigin: string): boolean {
  const target = typeof url === 'string' ? new URL(url) : url;
  if (target.origin === endpointOrigin) return true;
  if (KNOWN_HUB_ORIGINS.has(target.origin)) return true;
  const endpoint = new URL(endpointOrigin);
  // httpx keeps credentials on an http → https redirect of the same host on the default ports; so do we.
  return endpoint.protocol === 'http:' && endpoint.port === '' && target.protocol === 'https:' && target.port === '' && target.hostname === endpoint.hostname;
}
