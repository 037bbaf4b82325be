import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CatalogChange } from '../../../src/core/catalog';
import { Emitter } from '../../../src/core/events';
import type { StudioOptions } from '../../../src/core/studioTypes';
import { DEFAULT_CONFIG, type MistudioConfig } from '../../../src/host/config';
import { StudioHost, type ConfigChange } from '../../../src/host/studioHost';
import { FakeStudio } from './fakeStudio';

class FakeConfig {
  current: MistudioConfig = { ...DEFAULT_CONFIG, hubEndpoint: 'http://127.0.0.1:1' };
  readonly changes = new Emitter<ConfigChange>();
  readonly onDidChange = this.changes.event;
  set(patch: Partial<MistudioConfig>): void {
    const previous = this.current;
    this.current = { ...previous, ...patch };
    this.changes.fire({ previous, current: this.current });
  }
}

const silent = { trace: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-host-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function setup(configPatch: Partial<MistudioConfig> = {}) {
  const config = new FakeConfig();
  config.current = { ...config.current, ...configPatch };
  const opened: Array<{ options: StudioOptions; fake: FakeStudio }> = [];
  const warnings: string[] = [];
  let failNext = false;
  const host = new StudioHost({
    open: async (options) => {
      if (failNext) {
        failNext = false;
        throw new Error('catalog locked');
      }
      const fake = new FakeStudio(options.cacheRoot);
      opened.push({ options, fake });
      return fake.asApi();
    },
    catalogFile: path.join(dir, 'storage', 'catalog.sqlite'),
    wasmPath: '/ext/dist/sql-wasm.wasm',
    config,
    token: async () => 'hf_x',
    logger: silent,
    onWarning: (m) => warnings.push(m),
    env: {},
  });
  return { host, config, opened, warnings, failOnce: () => (failNext = true) };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('StudioHost', () => {
  it('opens nothing until asked, then opens once for concurrent callers', async () => {
    const { host, opened } = setup();
    expect(opened).toHaveLength(0);
    expect(host.current).toBeUndefined();
    const [a, b] = await Promise.all([host.get(), host.get()]);
    expect(a).toBe(b);
    expect(opened).toHaveLength(1);
    expect(host.current).toBe(a);
    expect(fs.existsSync(path.join(dir, 'storage')), 'storage folder created').toBe(true);
  });

  it('passes catalog file, wasm, cache root and settings to the engine', async () => {
    const { host, opened } = setup({ cacheDir: path.join(dir, 'hf'), maxConcurrentDownloads: 2, verifyChecksums: false });
    await host.get();
    expect(opened[0]!.options).toMatchObject({
      catalogFile: path.join(dir, 'storage', 'catalog.sqlite'),
      wasmPath: '/ext/dist/sql-wasm.wasm',
      cacheRoot: path.join(dir, 'hf'),
      endpoint: 'http://127.0.0.1:1',
      maxConcurrentDownloads: 2,
      verifyChecksums: false,
    });
    expect(await opened[0]!.options.token?.()).toBe('hf_x');
  });

  it('reconciles at open, resuming in-flight downloads only when resumeOnStartup is on', async () => {
    const off = setup();
    await off.host.get();
    expect(off.opened[0]!.fake.reconciles).toEqual([{ resumeInFlight: false }]);
    const on = setup({ resumeOnStartup: true });
    await on.host.get();
    expect(on.opened[0]!.fake.reconciles).toEqual([{ resumeInFlight: true }]);
  });

  it('retries after a failed open', async () => {
    const { host, opened, failOnce } = setup();
    failOnce();
    await expect(host.get()).rejects.toThrow('catalog locked');
    await host.get();
    expect(opened).toHaveLength(1);
  });

  it('applies setting changes live', async () => {
    const { host, config, opened } = setup();
    await host.get();
    config.set({ maxConcurrentDownloads: 7, hubEndpoint: 'http://127.0.0.1:2/' });
    await settle();
    expect(opened[0]!.fake.settingsUpdates.at(-1)).toMatchObject({ maxConcurrentDownloads: 7, endpoint: 'http://127.0.0.1:2' });
    expect(host.endpoint).toBe('http://127.0.0.1:2');
  });

  it('reports an unusable endpoint once and falls back to the default', async () => {
    const { host, config, opened, warnings } = setup();
    await host.get();
    config.set({ hubEndpoint: 'not a url' });
    config.set({ maxConnectionsPerFile: 3 });
    await settle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('mistudio.hubEndpoint');
    expect(opened[0]!.fake.settingsUpdates.at(-1)).toMatchObject({ endpoint: 'https://huggingface.co', maxConnectionsPerFile: 3 });
  });

  it('reopens the engine on a new cache folder, resuming what was running, and forwards only the current events', async () => {
    const { host, config, opened } = setup();
    const seen: CatalogChange[] = [];
    host.onDidChangeEntry((c) => seen.push(c));
    const reopened: unknown[] = [];
    host.onDidOpen((s) => reopened.push(s));
    await host.get();
    config.set({ cacheDir: path.join(dir, 'elsewhere') });
    // Closing one engine and opening the next takes file system calls: wait for it, not for a fixed time.
    await vi.waitFor(() => expect(reopened).toHaveLength(2));
    expect(opened).toHaveLength(2);
    expect(opened[0]!.fake.closed).toBe(true);
    expect(opened[1]!.options.cacheRoot).toBe(path.join(dir, 'elsewhere'));
    expect(opened[1]!.fake.reconciles).toEqual([{ resumeInFlight: true }]);
    expect(host.current).toBe(await host.get());
    expect(reopened).toHaveLength(2);
    opened[0]!.fake.entryEvents.fire({ kind: 'entry-added', entryId: 'old' });
    opened[1]!.fake.entryEvents.fire({ kind: 'entry-added', entryId: 'new' });
    expect(seen.map((c) => c.entryId)).toEqual(['new']);
  });

  it('does not open for a settings change before first use', async () => {
    const { config, opened } = setup();
    config.set({ cacheDir: '/x' });
    await settle();
    expect(opened).toHaveLength(0);
  });

  it('close() closes the engine and refuses later use', async () => {
    const { host, opened } = setup();
    await host.get();
    await host.close();
    expect(opened[0]!.fake.closed).toBe(true);
    await expect(host.get()).rejects.toThrow(/shutting down/);
  });

  it('close() during an open closes what was opened', async () => {
    const { host, opened } = setup();
    const pending = host.get();
    await host.close();
    await pending.catch(() => undefined);
    expect(opened.every((o) => o.fake.closed)).toBe(true);
  });
});
