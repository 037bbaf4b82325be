import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { cli, scratch } from './helpers';

const WIDE = 'mistudio-test/wide-listing';
const FILES = 1_200;

/** The CLI's MISTUDIO_* network limits: the same ranges as the mistudio.network.* settings, and they take effect. */
describe('mistudio network limits from the environment', () => {
  let hub: FakeHub;

  beforeAll(async () => {
    const files = Array.from({ length: FILES }, (_, i) => ({ path: `shards/part-${String(i).padStart(5, '0')}.txt`, content: `${i}\n` }));
    hub = await startFakeHub({ repos: [{ kind: 'model', id: WIDE, commits: [{ files }] }] });
  });
  afterAll(async () => hub.close());

  it('a value out of range or not a number is one line on stderr and exit 2, before any request', async () => {
    const home = scratch();
    try {
      for (const [name, value] of [
        ['MISTUDIO_REQUEST_TIMEOUT_SECONDS', '1'],
        ['MISTUDIO_MAX_METADATA_MB', 'lots'],
        ['MISTUDIO_MAX_REPO_FILES', '12.5'],
        ['MISTUDIO_MIN_DOWNLOAD_SPEED_KBPS', '-3'],
      ] as const) {
        const before = hub.requests.length;
        const r = await cli(['download', WIDE], { ...home.env, HF_ENDPOINT: hub.url, [name]: value });
        expect(r.code, name).toBe(2);
        expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
        expect(r.stderr).toContain(`${name}=${value} is not a`);
        expect(hub.requests.length, name).toBe(before);
      }
    } finally {
      home.cleanup();
    }
  });

  it('MISTUDIO_MAX_REPO_FILES caps the listing a download reads; the default reads it all', async () => {
    const capped = scratch();
    const free = scratch();
    try {
      const refused = await cli(['download', WIDE], { ...capped.env, HF_ENDPOINT: hub.url, MISTUDIO_MAX_REPO_FILES: '1000' });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/lists more than 1,000 entries/);
      const done = await cli(['download', WIDE, '--include', 'shards/part-0000*'], { ...free.env, HF_ENDPOINT: hub.url });
      expect(done.code, done.stderr).toBe(0);
    } finally {
      capped.cleanup();
      free.cleanup();
    }
  });
});
