import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import {
  isInside,
  parseRepoFolderName,
  repoFolderName,
  resolveCacheRoot,
  safeRepoPath,
  validateBlobId,
  validateCommit,
} from '../../../src/core/cache/paths';

const HOME = path.resolve('/home/tester');

describe('resolveCacheRoot', () => {
  const resolve = (env: NodeJS.ProcessEnv, override?: string): string => resolveCacheRoot({ env, homedir: HOME, override });

  it('defaults to ~/.cache/huggingface/hub', () => {
    expect(resolve({})).toBe(path.join(HOME, '.cache', 'huggingface', 'hub'));
  });

  it('uses XDG_CACHE_HOME/huggingface/hub when that is all there is', () => {
    expect(resolve({ XDG_CACHE_HOME: '/xdg' })).toBe(path.resolve('/xdg/huggingface/hub'));
  });

  it('prefers HF_HOME/hub over XDG_CACHE_HOME', () => {
    expect(resolve({ HF_HOME: '/hfhome', XDG_CACHE_HOME: '/xdg' })).toBe(path.resolve('/hfhome/hub'));
  });

  it('prefers HF_HUB_CACHE over HF_HOME and XDG_CACHE_HOME', () => {
    expect(resolve({ HF_HUB_CACHE: '/hubcache', HF_HOME: '/hfhome', XDG_CACHE_HOME: '/xdg' })).toBe(path.resolve('/hubcache'));
  });

  it('honours the legacy HUGGINGFACE_HUB_CACHE below HF_HUB_CACHE, above HF_HOME', () => {
    expect(resolve({ HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/hfhome' })).toBe(path.resolve('/legacy'));
    expect(resolve({ HUGGINGFACE_HUB_CACHE: '/legacy', HF_HUB_CACHE: '/hubcache' })).toBe(path.resolve('/hubcache'));
  });

  it('lets an override win over every variable', () => {
    const env = { HF_HUB_CACHE: '/hubcache', HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/hfhome', XDG_CACHE_HOME: '/xdg' };
    expect(resolve(env, '/chosen')).toBe(path.resolve('/chosen'));
  });

  it('ignores an empty or blank override and empty variables', () => {
    expect(resolve({ HF_HOME: '/hfhome' }, '   ')).toBe(path.resolve('/hfhome/hub'));
    expect(resolve({ HF_HUB_CACHE: '', HF_HOME: '', XDG_CACHE_HOME: '/xdg' })).toBe(path.resolve('/xdg/huggingface/hub'));
  });

  it('expands a leading ~ in the override and in every variable', () => {
    expect(resolve({}, '~/models')).toBe(path.join(HOME, 'models'));
    expect(resolve({}, '~')).toBe(HOME);
    expect(resolve({ HF_HUB_CACHE: '~/hub' })).toBe(path.join(HOME, 'hub'));
    expect(resolve({ HF_HOME: '~/hf' })).toBe(path.join(HOME, 'hf', 'hub'));
    expect(resolve({ XDG_CACHE_HOME: '~/xdg' })).toBe(path.join(HOME, 'xdg', 'huggingface', 'hub'));
  });

  it('does not expand ~ in the middle of a path', () => {
    expect(resolve({}, '/data/~/hub')).toBe(path.resolve('/data/~/hub'));
  });

  it('expands $VAR and ${VAR} like os.path.expandvars, leaving unknown ones', () => {
    expect(resolve({ HF_HOME: '$BASE/hf', BASE: '/base' })).toBe(path.resolve('/base/hf/hub'));
    expect(resolve({ HF_HUB_CACHE: '${BASE}/hub', BASE: '/base' })).toBe(path.resolve('/base/hub'));
    expect(resolve({ HF_HUB_CACHE: '/x/$NOPE/hub' })).toBe(path.resolve('/x/$NOPE/hub'));
  });

  it('returns an absolute path even for a relative setting', () => {
    expect(path.isAbsolute(resolve({ HF_HOME: 'relative/hf' }))).toBe(true);
  });
});

describe('repoFolderName / parseRepoFolderName', () => {
  it('names model and dataset folders like huggingface_hub', () => {
    expect(repoFolderName({ kind: 'model', repoId: 'google/gemma-2-2b' })).toBe('models--google--gemma-2-2b');
    expect(repoFolderName({ kind: 'dataset', repoId: 'NeelNanda/pile-10k' })).toBe('datasets--NeelNanda--pile-10k');
    expect(repoFolderName({ kind: 'model', repoId: 'gpt2' })).toBe('models--gpt2');
  });

  it('refuses invalid repo ids', () => {
    for (const bad of ['../x', 'a/b/c', '', 'a--b/c', 'a/..']) {
      expect(() => repoFolderName({ kind: 'model', repoId: bad })).toThrow();
    }
  });

  it('parses folder names back, and rejects other folders', () => {
    expect(parseRepoFolderName('models--google--gemma-2-2b')).toEqual({ kind: 'model', repoId: 'google/gemma-2-2b' });
    expect(parseRepoFolderName('datasets--NeelNanda--pile-10k')).toEqual({ kind: 'dataset', repoId: 'NeelNanda/pile-10k' });
    expect(parseRepoFolderName('models--gpt2')).toEqual({ kind: 'model', repoId: 'gpt2' });
    expect(parseRepoFolderName('spaces--a--b')).toEqual({ kind: 'space', repoId: 'a/b' });
    expect(parseRepoFolderName('spaces--')).toBeUndefined();
    expect(parseRepoFolderName('.locks')).toBeUndefined();
    expect(parseRepoFolderName('models--')).toBeUndefined();
    expect(parseRepoFolderName('random')).toBeUndefined();
  });
});

describe('safeRepoPath', () => {
  const expectUnsafe = (p: string, platform: NodeJS.Platform = 'linux'): void => {
    let caught: unknown;
    try {
      safeRepoPath(p, platform);
    } catch (err) {
      caught = err;
    }
    expect(isMistudioError(caught, 'UnsafePath'), `expected UnsafePath for ${JSON.stringify(String(p).slice(0, 40))}`).toBe(true);
  };

  it('accepts ordinary, nested, spaced and unicode names unchanged', () => {
    for (const ok of ['config.json', 'tokenizer/vocab.txt', 'a b/c d.txt', 'données/模型.safetensors', 'emoji/🤗.md', '.gitattributes', 'x/.hidden', 'file..name', 'a-b_c.d']) {
      expect(safeRepoPath(ok)).toBe(ok);
    }
  });

  it('refuses traversal, anchors, separators and control characters', () => {
    for (const bad of ['../x', '/etc/passwd', 'a/../../b', 'a\\b', 'a\u0000b', '.', '', 'a/./b', 'a//b', 'a/', '/', '..', 'a/..', 'x/\u001bm', 'x\u007f', 'C:/Windows', 'c:foo', 'a/D:evil', '\\\\host\\share', '...', '. .', ' ']) {
      expectUnsafe(bad);
    }
  });

  it('refuses a 10 KB path and a name longer than 255 bytes', () => {
    expectUnsafe('a'.repeat(10 * 1024));
    expectUnsafe(`dir/${'b'.repeat(256)}`);
    expectUnsafe(`dir/${'é'.repeat(128)}`); // 256 bytes in UTF-8
    expect(safeRepoPath(`dir/${'b'.repeat(255)}`)).toBe(`dir/${'b'.repeat(255)}`);
  });

  it('refuses names Windows would misread, on Windows only', () => {
    for (const bad of ['CON', 'nul.txt', 'a/aux', 'ab:c', 'what?', 'trailing.', 'trailing ']) {
      expectUnsafe(bad, 'win32');
      expect(() => safeRepoPath(bad, 'linux')).not.toThrow();
    }
  });

  it('refuses non-strings', () => {
    expectUnsafe(undefined as unknown as string);
  });
});

describe('validateBlobId / validateCommit', () => {
  it('accepts 40 and 64 lowercase hex blob ids and 40-hex commits', () => {
    expect(validateBlobId('0'.repeat(40))).toBe('0'.repeat(40));
    expect(validateBlobId('f'.repeat(64))).toBe('f'.repeat(64));
    expect(validateCommit('1'.repeat(40))).toBe('1'.repeat(40));
  });

  it('refuses everything else as UnsafePath', () => {
    for (const bad of ['A'.repeat(40), '0'.repeat(39), '0'.repeat(41), '0'.repeat(63), '0'.repeat(65), '../' + '0'.repeat(37), 'g'.repeat(40), '']) {
      expect(() => validateBlobId(bad)).toThrow(expect.objectContaining({ code: 'UnsafePath' }));
    }
    for (const bad of ['f'.repeat(64), 'main', '0'.repeat(39)]) {
      expect(() => validateCommit(bad)).toThrow(expect.objectContaining({ code: 'UnsafePath' }));
    }
  });
});

describe('isInside', () => {
  it('compares path prefixes by segment, not by characters', () => {
    const base = path.resolve('/cache/repo');
    expect(isInside(base, path.join(base, 'blobs', 'x'))).toBe(true);
    expect(isInside(base, path.join(base, '..foo'))).toBe(true);
    expect(isInside(base, path.resolve('/cache/repo2'))).toBe(false);
    expect(isInside(base, path.resolve('/cache'))).toBe(false);
  });
});
