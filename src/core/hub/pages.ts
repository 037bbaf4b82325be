import { echo } from '../echo';
import { MistudioError } from '../errors';
import { readJsonArray } from '../net/boundedBody';
import { hubGet, type HubCall, type HubHttpConfig } from './hubRequest';

/** One element of a listing is never larger than this (a tree entry is a few hundred bytes). */
const MAX_ELEMENT_BYTES = 256 * 1024;
/** A Link header longer than this is not read. */
const MAX_LINK_CHARS = 16 * 1024;

export interface PagedRead {
  /** For messages: "the file listing of org/name". */
  readonly what: string;
  /** The most elements `onElement` may keep over all pages; one more fails the read. */
  readonly maxItems: number;
  /** Stop once this many were kept (a search's limit); the rest is not asked for. */
  readonly enough?: number;
}

/**
 * Reads a paginated JSON-array API as the Hub serves it (each page an array, `Link: <…>; rel="next"` to the next):
 * every page streamed element by element into `toItem` (undefined: skipped), each page under the request deadline
 * and byte cap, retried as a whole (a retried page's items are not kept twice). Bounded whatever the server does: a
 * page asked for twice (a cursor that loops) fails at once, and so does a listing beyond limits.maxListingPages
 * pages or `maxItems` items.
 */
export async function readPages<T>(config: HubHttpConfig, call: HubCall, firstUrl: string, read: PagedRead, toItem: (value: unknown) => T | undefined): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let url: string | undefined = firstUrl;
  const tooMany = (): MistudioError =>
    new MistudioError('Http', `${config.endpoint} lists more than ${read.maxItems.toLocaleString('en-US')} entries in ${read.what}: not reading further`, repoOf(call));
  while (url !== undefined) {
    if (seen.has(url)) {
      throw new MistudioError('Http', `${new URL(url).origin} paginates ${read.what} in a loop (page ${seen.size + 1} links back to an earlier one): not reading further`, repoOf(call));
    }
    if (seen.size >= config.limits.maxListingPages) {
      throw new MistudioError('Http', `${config.endpoint} splits ${read.what} into more than ${config.limits.maxListingPages.toLocaleString('en-US')} pages: not reading further`, repoOf(call));
    }
    seen.add(url);
    const pageUrl: string = url;
    const page = await hubGet(config, call, pageUrl, { what: read.what, headers: { accept: 'application/json' } }, async (response, answer) => {
      const kept: T[] = [];
      await readJsonArray(response.body, { maxBytes: config.limits.maxJsonBytes, maxElementBytes: MAX_ELEMENT_BYTES }, (value) => {
        const item = toItem(value);
        if (item === undefined) return;
        if (items.length + kept.length >= read.maxItems) throw tooMany();
        kept.push(item);
      });
      return { kept, next: nextLink(response.headers.get('link'), answer.url) };
    });
    for (const item of page.kept) items.push(item);
    if (read.enough !== undefined && items.length >= read.enough) return items.slice(0, read.enough);
    url = page.next;
  }
  return items;
}

/** The `rel` values of one link's parameters (`; rel="next prev"` → ['next', 'prev']), lower-cased. */
function relations(params: string): string[] {
  for (const param of params.split(/[;,]/)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'rel') continue;
    return param.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase().split(/\s+/);
  }
  return [];
}

function repoOf(call: HubCall): { repoId?: string } {
  return call.ctx.ref ? { repoId: call.ctx.ref.repoId } : {};
}

/**
 * The `rel="next"` target of a Link header (RFC 8288: `<url>; rel="next", <url>; rel="prev"`), resolved against
 * the page's URL; undefined when there is none. Only http(s) targets are followed.
 */
export function nextLink(header: string | null, base: URL): string | undefined {
  if (header === null || header.length > MAX_LINK_CHARS) return undefined;
  let at = 0;
  while (at < header.length) {
    const open = header.indexOf('<', at);
    if (open < 0) return undefined;
    const close = header.indexOf('>', open + 1);
    if (close < 0) return undefined;
    const target = header.slice(open + 1, close);
    const nextOpen = header.indexOf('<', close + 1);
    const params = header.slice(close + 1, nextOpen < 0 ? header.length : nextOpen);
    if (relations(params).includes('next')) {
      let resolved: URL;
      try {
        resolved = new URL(target.trim(), base);
      } catch {
        throw new MistudioError('Http', `${base.origin} links to its next page with a malformed URL "${echo(target, 120)}"`);
      }
      if (resolved.protocol !== 'https:' && resolved.protocol !== 'http:') {
        throw new MistudioError('Http', `${base.origin} links to its next page with an unsupported URL scheme ${echo(resolved.protocol)}`);
      }
      return resolved.href;
    }
    at = nextOpen < 0 ? header.length : nextOpen;
  }
  return undefined;
}
