import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { startEnv, type StudioEnv } from './helpers';

const GPT2 = 'mistudio-demo/tiny-gpt2';

describe('Studio plan: patterns that select nothing', () => {
  let env: StudioEnv;
  beforeEach(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await env.dispose();
  });

  it('plan refuses with InvalidInput naming the repo, revision and patterns; nothing is written', async () => {
    const err = await env.studio.plan({ kind: 'model', repoId: GPT2, include: ['*.gguf'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMistudioError(err, 'InvalidInput'), String(err)).toBe(true);
    expect((err as Error).message).toBe(`No files in ${GPT2}@main match --include '*.gguf'`);
    const all = await env.studio.plan({ kind: 'model', repoId: GPT2, include: ['*.json'], exclude: ['*'] }).catch((e: unknown) => e);
    expect((all as Error).message).toBe(`No files in ${GPT2}@main match --include '*.json' --exclude '*'`);
    expect(env.studio.catalog.listEntries()).toEqual([]);
    expect(fs.existsSync(env.cacheRoot)).toBe(false);
  });

  it('long pattern lists are cut short in the message', async () => {
    const include = ['a'.repeat(5000), ...Array.from({ length: 20 }, (_, i) => `none-${i}`)];
    const err = await env.studio.plan({ kind: 'model', repoId: GPT2, include }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^No files in .* match --include 'a+…' --include 'none-0' --include 'none-1' \(\+18 more\)$/);
    expect((err as Error).message.length).toBeLessThan(300);
  });

  it('enqueue of such a request ends as an InvalidInput error, never "ready" with 0 files', async () => {
    const entry = await env.studio.enqueue({ kind: 'model', repoId: GPT2, include: ['*.gguf'] });
    const done = await env.studio.whenSettled(entry.id);
    expect(done.status).toBe('error');
    expect(done.errorCode).toBe('InvalidInput');
    expect(done.errorMessage).toMatch(/No files in .* match --include '\*\.gguf'/);
    expect(done.fileCount).toBe(0);
    expect(env.hub.requests.filter((r) => r.server === 'cdn' || r.url.includes('/resolve/'))).toEqual([]);
  });
});
