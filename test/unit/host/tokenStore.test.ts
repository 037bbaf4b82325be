import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/events';
import { TOKEN_SECRET_KEY, TokenStore, validateTokenShape, type SecretStore } from '../../../src/host/tokenStore';

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  readonly changes = new Emitter<{ key: string }>();
  readonly onDidChange = this.changes.event;
  reads = 0;
  async get(key: string): Promise<string | undefined> {
    this.reads++;
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

const silent = { trace: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-token-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

describe('TokenStore', () => {
  it('prefers the signed-in token, then HF_TOKEN, then the token file', async () => {
    const secrets = new MemorySecrets();
    const tokenFile = path.join(home, 'token');
    fs.writeFileSync(tokenFile, 'hf_from_file\n');
    expect(await new TokenStore(secrets, silent, { HF_TOKEN_PATH: tokenFile }).token()).toBe('hf_from_file');
    expect(await new TokenStore(secrets, silent, { HF_TOKEN_PATH: tokenFile, HF_TOKEN: 'hf_env' }).token()).toBe('hf_env');
    const store = new TokenStore(secrets, silent, { HF_TOKEN_PATH: tokenFile, HF_TOKEN: 'hf_env' });
    await store.store(' hf_signed_in ');
    expect(await store.token()).toBe('hf_signed_in');
    expect(secrets.values.get(TOKEN_SECRET_KEY)).toBe('hf_signed_in');
  });

  it('has no token when nothing is configured', async () => {
    expect(await new TokenStore(new MemorySecrets(), silent, { HF_TOKEN_PATH: path.join(home, 'none') }).token()).toBeUndefined();
  });

  it('reads the secret once, and again after another window changed it', async () => {
    const secrets = new MemorySecrets();
    const store = new TokenStore(secrets, silent, { HF_TOKEN_PATH: path.join(home, 'none') });
    let changes = 0;
    store.onDidChange(() => changes++);
    secrets.values.set(TOKEN_SECRET_KEY, 'hf_a');
    expect(await store.token()).toBe('hf_a');
    expect(await store.token()).toBe('hf_a');
    expect(secrets.reads).toBe(1);
    secrets.values.set(TOKEN_SECRET_KEY, 'hf_b');
    secrets.changes.fire({ key: 'unrelated' });
    expect(await store.token()).toBe('hf_a');
    secrets.changes.fire({ key: TOKEN_SECRET_KEY });
    expect(await store.token()).toBe('hf_b');
    expect(changes).toBe(1);
  });

  it('sign out removes the stored token and falls back to the environment', async () => {
    const secrets = new MemorySecrets();
    const store = new TokenStore(secrets, silent, { HF_TOKEN: 'hf_env', HF_TOKEN_PATH: path.join(home, 'none') });
    await store.store('hf_mine');
    await store.clear();
    expect(await store.stored()).toBeUndefined();
    expect(await store.token()).toBe('hf_env');
    expect(secrets.values.has(TOKEN_SECRET_KEY)).toBe(false);
  });
});

describe('validateTokenShape', () => {
  it('accepts hf_ tokens and explains what is wrong otherwise', () => {
    expect(validateTokenShape(' hf_abcdefghijkl ')).toBeUndefined();
    expect(validateTokenShape('')).toMatch(/Paste/);
    expect(validateTokenShape('hf_abc def')).toMatch(/spaces/);
    expect(validateTokenShape('ghp_abcdefgh')).toMatch(/start with "hf_"/);
    expect(validateTokenShape('hf_')).toMatch(/does not look/);
  });
});
