import { describe, expect, it } from 'vitest';
import { nextLink } from '../../../src/core/hub/pages';
import { mayCarryToken } from '../../../src/core/net/tokenScope';

describe('which hosts may receive the token (as huggingface_hub: same host, plus the Hub’s own hosts exactly)', () => {
  it('the endpoint’s origin, whatever the path (a relative redirect to /api/resolve-cache/…)', () => {
    expect(mayCarryToken('https://huggingface.co/api/resolve-cache/models/a/b/c/x.json', 'https://huggingface.co')).toBe(true);
    expect(mayCarryToken('http://127.0.0.1:8080/x', 'http://127.0.0.1:8080')).toBe(true);
  });

  it('a mirror’s token may follow a redirect to huggingface.co, hf.co or the staging Hub over https', () => {
    for (const url of ['https://huggingface.co/a/b/resolve/main/x', 'https://hf.co/x', 'https://hub-ci.huggingface.co/x']) {
      expect(mayCarryToken(url, 'https://hf-mirror.example'), url).toBe(true);
    }
  });

  it('never a CDN, a subdomain, a look-alike, another port or scheme, or a third host', () => {
    const endpoint = 'https://hf-mirror.example';
    for (const url of [
      'https://cdn-lfs.huggingface.co/repos/x',
      'https://cas-bridge.xethub.hf.co/xet-bridge-us/x',
      'https://huggingface.co.evil.example/x',
      'https://evilhuggingface.co/x',
      'http://huggingface.co/x',
      'https://huggingface.co:8443/x',
      'https://sub.hf-mirror.example/x',
      'http://hf-mirror.example/x',
      'https://hf-mirror.example:444/x',
      'https://example.com/x',
    ]) {
      expect(mayCarryToken(url, endpoint), url).toBe(false);
    }
    expect(mayCarryToken('http://127.0.0.1:8081/x', 'http://127.0.0.1:8080')).toBe(false);
  });

  it('an http endpoint’s own host upgraded to https on the default ports (httpx keeps it there too)', () => {
    expect(mayCarryToken('https://mirror.example/x', 'http://mirror.example')).toBe(true);
    expect(mayCarryToken('https://mirror.example:8443/x', 'http://mirror.example')).toBe(false);
    expect(mayCarryToken('http://mirror.example/x', 'https://mirror.example')).toBe(false);
  });
});

describe('Link: rel="next"', () => {
  const base = new URL('https://hub.example/api/models/a/b/tree/main?recursive=true');
  it('finds the next page among other links, in any parameter order and quoting, resolved against the page', () => {
    expect(nextLink('<https://hub.example/api/x?cursor=abc>; rel="next"', base)).toBe('https://hub.example/api/x?cursor=abc');
    expect(nextLink('<https://hub.example/p1>; rel="prev", </api/x?cursor=2>; rel=next', base)).toBe('https://hub.example/api/x?cursor=2');
    expect(nextLink('<?cursor=3>; title="x"; rel="last next"', base)).toBe('https://hub.example/api/models/a/b/tree/main?cursor=3');
    expect(nextLink('<https://hub.example/p1>; rel="prev"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
    expect(nextLink('garbage', base)).toBeUndefined();
  });

  it('refuses other schemes and does not read an oversized header', () => {
    expect(() => nextLink('<file:///etc/passwd>; rel="next"', base)).toThrow(/unsupported URL scheme/);
    expect(nextLink(`<https://hub.example/x>; rel="next"; x="${'y'.repeat(20_000)}"`, base)).toBeUndefined();
  });
});
