import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { resolveEndpoint, resolveToken, tokenFilePath, validateRepoFilePath } from '../../../src/core/hub';

const dirs: string[] = [];
function tempHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-hub-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMistudioError(err) ? err.code : 'not a MistudioError';
  }
  return undefined;
}

describe('resolveEndpoint', () => {
  it('prefers the override, then HF_ENDPOINT, then huggingface.co', () => {
    expect(resolveEndpoint({ override: 'http://127.0.0.1:9999/', env: { HF_ENDPOINT: 'https://mirror.example' } })).toBe('http://127.0.0.1:9999');
    expect(resolveEndpoint({ override: '  ', env: { HF_ENDPOINT: 'https://mirror.example///' } })).toBe('https://mirror.example');
    expect(resolveEndpoint({ env: {} })).toBe('https://huggingface.co');
  });

  it('refuses anything but an http(s) URL', () => {
    for (const bad of ['ftp://x', 'huggingface.co', 'not a url', 'https://x/?a=1', 'https://user:pw@x']) {
      expect(errorCode(() => resolveEndpoint({ override: bad, env: {} }))).toBe('InvalidInput');
    }
  });
});

describe('resolveToken', () => {
  it('prefers the override, then HF_TOKEN', async () => {
    const home = tempHome();
    expect(await resolveToken({ override: ' hf_over ', env: { HF_TOKEN: 'hf_env' }, homedir: home })).toBe('hf_over');
    expect(await resolveToken({ env: { HF_TOKEN: ' hf_env\n' }, homedir: home })).toBe('hf_env');
  });

  it('reads ~/.cache/huggingface/token, trimmed', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, '.cache', 'huggingface'), { recursive: true });
    fs.writeFileSync(path.join(home, '.cache', 'huggingface', 'token'), 'hf_from_file\n');
    expect(await resolveToken({ env: {}, homedir: home })).toBe('hf_from_file');
  });

  it('reads $HF_HOME/token, and HF_TOKEN_PATH wins over it', async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, 'token'), 'hf_home_token');
    fs.writeFileSync(path.join(home, 'elsewhere'), 'hf_path_token');
    expect(await resolveToken({ env: { HF_HOME: home }, homedir: '/nonexistent' })).toBe('hf_home_token');
    expect(await resolveToken({ env: { HF_HOME: home, HF_TOKEN_PATH: path.join(home, 'elsewhere') }, homedir: '/nonexistent' })).toBe('hf_path_token');
  });

  it('is undefined without any token, and for an empty file', async () => {
    const home = tempHome();
    expect(await resolveToken({ env: {}, homedir: home })).toBeUndefined();
    fs.writeFileSync(path.join(home, 'token'), '  \n');
    expect(await resolveToken({ env: { HF_HOME: home }, homedir: home })).toBeUndefined();
  });

  it('reports an unreadable token file as Io', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, 'token'));
    await expect(resolveToken({ env: { HF_HOME: home }, homedir: home })).rejects.toMatchObject({ code: 'Io' });
  });

  it('follows XDG_CACHE_HOME and expands ~ like Python', () => {
    expect(tokenFilePath({ XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe(path.join('/xdg', 'huggingface', 'token'));
    expect(tokenFilePath({ HF_HOME: '~/hf' }, '/home/u')).toBe(path.join('/home/u', 'hf', 'token'));
  });
});

describe('validateRepoFilePath', () => {
  it('accepts ordinary nested paths, spaces and unicode', () => {
    for (const ok of ['config.json', 'a/b/c.bin', 'special tokens map.json', 'données/été.parquet', '.gitattributes']) {
      expect(validateRepoFilePath(ok, 'org/x')).toBe(ok);
    }
  });

  it('refuses paths that could escape the snapshot folder, naming the path', () => {
    for (const bad of ['/etc/passwd', '../evil', 'a/../../b', 'a//b', 'a/', 'a\\b', 'C:evil', 'a\0b', '', './a']) {
      try {
        validateRepoFilePath(bad, 'org/x');
        expect.fail(`accepted ${JSON.stringify(bad)}`);
      } catch (err) {
        expect(isMistudioError(err, 'UnsafePath')).toBe(true);
        expect((err as Error).message).toContain(JSON.stringify(bad));
      }
    }
  });
});

describe('HubClient construction', () => {
  it('refuses an endpoint that is not an http(s) URL', async () => {
    const { HubClient } = await import('../../../src/core/hub');
    expect(errorCode(() => new HubClient({ endpoint: 'file:///etc' }))).toBe('InvalidInput');
    expect(new HubClient({ endpoint: 'http://127.0.0.1:1/' }).endpoint).toBe('http://127.0.0.1:1');
  });
});
