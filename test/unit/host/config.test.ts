import { describe, expect, it } from 'vitest';
import { cacheRootFor, DEFAULT_CONFIG, parseConfig, parseProxyConfig, sameProxy, studioSettingsFor } from '../../../src/host/config';
import * as path from 'node:path';

function reader(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

describe('parseConfig', () => {
  it('gives the defaults when nothing is set', () => {
    const { value, problems } = parseConfig(reader({}));
    expect(value).toEqual(DEFAULT_CONFIG);
    expect(problems).toEqual([]);
  });

  it('reads every setting', () => {
    const { value, problems } = parseConfig(
      reader({
        hubEndpoint: ' https://hf-mirror.example ',
        cacheDir: '~/hf',
        maxConcurrentDownloads: 2,
        maxConnectionsPerFile: 16,
        verifyChecksums: false,
        resumeOnStartup: true,
        offline: true,
        defaultIncludePatterns: ['*.safetensors', ' *.json ', ''],
        'network.requestTimeoutSeconds': 120,
        'network.maxMetadataMB': 64,
        'network.maxRepoFiles': 5_000_000,
        'network.minDownloadSpeedKBps': 0.5,
      }),
    );
    expect(problems).toEqual([]);
    expect(value).toEqual({
      hubEndpoint: 'https://hf-mirror.example',
      cacheDir: '~/hf',
      maxConcurrentDownloads: 2,
      maxConnectionsPerFile: 16,
      verifyChecksums: false,
      resumeOnStartup: true,
      offline: true,
      defaultIncludePatterns: ['*.safetensors', '*.json'],
      network: { requestTimeoutSeconds: 120, maxMetadataMB: 64, maxRepoFiles: 5_000_000, minDownloadSpeedKBps: 0.5 },
    });
  });

  it.each([
    ['maxConcurrentDownloads', 0],
    ['maxConcurrentDownloads', 33],
    ['maxConcurrentDownloads', 2.5],
    ['maxConnectionsPerFile', '8'],
    ['verifyChecksums', 'yes'],
    ['resumeOnStartup', 1],
    ['offline', 'true'],
    ['hubEndpoint', 42],
    ['defaultIncludePatterns', '*.json'],
    ['defaultIncludePatterns', ['*.json', 3]],
    ['network.requestTimeoutSeconds', 1],
    ['network.requestTimeoutSeconds', 60.5],
    ['network.maxMetadataMB', '32'],
    ['network.maxRepoFiles', 10],
    ['network.minDownloadSpeedKBps', -1],
  ])('falls back to the default for %s = %j and says so', (key, raw) => {
    const { value, problems } = parseConfig(reader({ [key]: raw }));
    expect(value).toEqual(DEFAULT_CONFIG);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`mistudio.${key}`);
  });

  it('keeps the other settings when one is invalid', () => {
    const { value, problems } = parseConfig(reader({ maxConcurrentDownloads: -1, resumeOnStartup: true }));
    expect(value.resumeOnStartup).toBe(true);
    expect(value.maxConcurrentDownloads).toBe(DEFAULT_CONFIG.maxConcurrentDownloads);
    expect(problems).toHaveLength(1);
  });
});

describe('studioSettingsFor / cacheRootFor', () => {
  it('is offline when the setting or HF_HUB_OFFLINE (read as huggingface_hub reads it) says so', () => {
    expect(studioSettingsFor(DEFAULT_CONFIG, {}).offline).toBe(false);
    expect(studioSettingsFor({ ...DEFAULT_CONFIG, offline: true }, {}).offline).toBe(true);
    for (const on of ['1', 'true', 'YES', ' on ']) expect(studioSettingsFor(DEFAULT_CONFIG, { HF_HUB_OFFLINE: on }).offline).toBe(true);
    for (const off of ['0', 'false', '', 'no']) expect(studioSettingsFor(DEFAULT_CONFIG, { HF_HUB_OFFLINE: off }).offline).toBe(false);
  });

  it('resolves the endpoint: setting, then HF_ENDPOINT, then huggingface.co', () => {
    expect(studioSettingsFor({ ...DEFAULT_CONFIG, hubEndpoint: 'http://127.0.0.1:9/' }, {}).endpoint).toBe('http://127.0.0.1:9');
    expect(studioSettingsFor(DEFAULT_CONFIG, { HF_ENDPOINT: 'https://mirror.example' }).endpoint).toBe('https://mirror.example');
    expect(studioSettingsFor(DEFAULT_CONFIG, {}).endpoint).toBe('https://huggingface.co');
  });

  it('passes the numeric settings through', () => {
    const settings = studioSettingsFor({ ...DEFAULT_CONFIG, maxConcurrentDownloads: 3, maxConnectionsPerFile: 5, verifyChecksums: false }, {});
    expect(settings).toMatchObject({ maxConcurrentDownloads: 3, maxConnectionsPerFile: 5, verifyChecksums: false });
  });

  it('the network settings become the engine’s network limits, in its units', () => {
    const network = { requestTimeoutSeconds: 90, maxMetadataMB: 64, maxRepoFiles: 2_000_000, minDownloadSpeedKBps: 0.5 };
    expect(studioSettingsFor({ ...DEFAULT_CONFIG, network }, {}).network).toEqual({ requestTimeoutMs: 90_000, maxJsonBytes: 64_000_000, maxListingFiles: 2_000_000, minBytesPerSecond: 500 });
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => studioSettingsFor({ ...DEFAULT_CONFIG, hubEndpoint: 'ftp://x' }, {})).toThrow(/Invalid Hub endpoint/);
  });

  it('resolves the cache root: setting, then HF_HUB_CACHE', () => {
    expect(cacheRootFor({ ...DEFAULT_CONFIG, cacheDir: '/data/hf' }, { HF_HUB_CACHE: '/other' })).toBe(path.resolve('/data/hf'));
    expect(cacheRootFor(DEFAULT_CONFIG, { HF_HUB_CACHE: '/other' })).toBe(path.resolve('/other'));
  });
});

describe('parseProxyConfig', () => {
  it('reads http.proxy, proxyStrictSSL, noProxy and proxyAuthorization', () => {
    const proxy = parseProxyConfig(reader({ proxy: ' http://proxy:3128 ', proxyStrictSSL: false, noProxy: ['localhost', ' ', 7], proxyAuthorization: 'Basic abc' }));
    expect(proxy).toEqual({ proxy: 'http://proxy:3128', strictSSL: false, noProxy: ['localhost'], authorization: 'Basic abc' });
  });

  it('defaults to no proxy and strict TLS', () => {
    expect(parseProxyConfig(reader({}))).toEqual({ proxy: '', strictSSL: true, noProxy: [], authorization: undefined });
  });

  it('compares proxy configs by value', () => {
    const a = parseProxyConfig(reader({ proxy: 'http://p:1', noProxy: ['a'] }));
    expect(sameProxy(a, parseProxyConfig(reader({ proxy: 'http://p:1', noProxy: ['a'] })))).toBe(true);
    expect(sameProxy(a, parseProxyConfig(reader({ proxy: 'http://p:1', noProxy: ['b'] })))).toBe(false);
    expect(sameProxy(a, parseProxyConfig(reader({ proxy: 'http://p:1', noProxy: ['a'], proxyStrictSSL: false })))).toBe(false);
  });
});
