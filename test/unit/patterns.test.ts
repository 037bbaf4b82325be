import { describe, expect, it } from 'vitest';
import { compilePatterns, filterPaths, matchesPatterns } from '../../src/core/patterns';

// Expected answers were produced by CPython 3.11 with huggingface_hub's rule:
//   fnmatch.fnmatchcase(path.replace("\\", "/"), pattern.replace("\\", "/") + ("*" if pattern.endswith("/") else ""))
// for every (pattern, path) pair below; each entry lists the paths Python says match.
const PATHS: readonly string[] = ["config.json", "Config.json", "model-00001-of-00002.safetensors", "model.safetensors", "data/train.json", "data/sub/val.json", "data", "data/x", "sub/config.json", "a/b/config.json", "abc.bin", "cde.bin", "b.bin", "a1.txt", "c9.txt", "d1.txt", "z.txt", "].txt", "!.txt", "a.txt", "-.txt", "[.txt", "a[.txt", "README.md", "docs/x/README.md", "README.MD", "sub/dir/file", "sub\\dir\\file", "x.pt", "x.py", "x.sy", "onnx/model.onnx", "model.onnx", "x-y", "xby", "xey", "xdy", "tokenizer.json", "tokenizer_config.json", "a/b/c.bin", "a/b.bin", "éa.txt", "é.txt", "^b", "ab", "bb", "a+b(c).txt", "$x^.txt", "m.Q4_K_M.gguf", "q4_K_M.gguf", "q_K_M.gguf", "line\nbreak.json"];
const PYTHON_MATCHES: ReadonlyArray<[string, string[]]> = [
  ["*.json", ["config.json", "Config.json", "data/train.json", "data/sub/val.json", "sub/config.json", "a/b/config.json", "tokenizer.json", "tokenizer_config.json", "line\nbreak.json"]],
  ["*.safetensors", ["model-00001-of-00002.safetensors", "model.safetensors"]],
  ["model-*.safetensors", ["model-00001-of-00002.safetensors"]],
  ["data/*.json", ["data/train.json", "data/sub/val.json"]],
  ["data/", ["data/train.json", "data/sub/val.json", "data/x"]],
  ["data", ["data"]],
  ["*/config.json", ["sub/config.json", "a/b/config.json"]],
  ["config.json", ["config.json"]],
  ["?onfig.json", ["config.json", "Config.json"]],
  ["[ab]*.bin", ["abc.bin", "b.bin", "a/b/c.bin", "a/b.bin"]],
  ["[!ab]*.bin", ["cde.bin"]],
  ["[a-c]?.txt", ["a1.txt", "c9.txt", "a[.txt"]],
  ["[z-a].txt", []],
  ["[!z-a].txt", ["z.txt", "].txt", "!.txt", "a.txt", "-.txt", "[.txt", "é.txt"]],
  ["[]].txt", ["].txt"]],
  ["[!]].txt", ["z.txt", "!.txt", "a.txt", "-.txt", "[.txt", "é.txt"]],
  ["[a-].txt", ["a.txt", "-.txt"]],
  ["[-a].txt", ["a.txt", "-.txt"]],
  ["[.txt", ["[.txt"]],
  ["a[.txt", ["a[.txt"]],
  ["**/*.md", ["docs/x/README.md"]],
  ["*.MD", ["README.MD"]],
  ["*", ["config.json", "Config.json", "model-00001-of-00002.safetensors", "model.safetensors", "data/train.json", "data/sub/val.json", "data", "data/x", "sub/config.json", "a/b/config.json", "abc.bin", "cde.bin", "b.bin", "a1.txt", "c9.txt", "d1.txt", "z.txt", "].txt", "!.txt", "a.txt", "-.txt", "[.txt", "a[.txt", "README.md", "docs/x/README.md", "README.MD", "sub/dir/file", "sub\\dir\\file", "x.pt", "x.py", "x.sy", "onnx/model.onnx", "model.onnx", "x-y", "xby", "xey", "xdy", "tokenizer.json", "tokenizer_config.json", "a/b/c.bin", "a/b.bin", "éa.txt", "é.txt", "^b", "ab", "bb", "a+b(c).txt", "$x^.txt", "m.Q4_K_M.gguf", "q4_K_M.gguf", "q_K_M.gguf", "line\nbreak.json"]],
  ["sub\\dir\\*", ["sub/dir/file", "sub\\dir\\file"]],
  ["*.[ps][ty]*", ["x.pt", "x.py", "x.sy"]],
  ["onnx/*", ["onnx/model.onnx"]],
  ["*onnx*", ["onnx/model.onnx", "model.onnx"]],
  ["x[a-c-e]y", ["x-y", "xby", "xey"]],
  ["tokenizer*", ["tokenizer.json", "tokenizer_config.json"]],
  ["*/*/*.bin", ["a/b/c.bin"]],
  ["é?.txt", ["éa.txt"]],
  ["[^a]b", ["^b", "ab"]],
  ["a+b(c).txt", ["a+b(c).txt"]],
  ["$x^.txt", ["$x^.txt"]],
  ["*.gguf", ["m.Q4_K_M.gguf", "q4_K_M.gguf", "q_K_M.gguf"]],
  ["q*_K_M.gguf", ["q4_K_M.gguf", "q_K_M.gguf"]],
];

describe('fnmatch semantics (against CPython fnmatchcase)', () => {
  for (const [pattern, expected] of PYTHON_MATCHES) {
    it(`pattern ${JSON.stringify(pattern)}`, () => {
      const actual = PATHS.filter((path) => matchesPatterns(path, { include: [pattern] }));
      expect(actual).toEqual(expected);
    });
  }

  it('treats astral characters as one character for ?', () => {
    expect(matchesPatterns('😀.txt', { include: ['?.txt'] })).toBe(true);
    expect(matchesPatterns('😀.txt', { include: ['??.txt'] })).toBe(false);
  });
});

describe('filterPaths include/exclude', () => {
  const repo = [
    'config.json',
    'model.safetensors',
    'pytorch_model.bin',
    'onnx/model.onnx',
    'onnx/config.json',
    'tokenizer.json',
    '.gitattributes',
  ];

  it('keeps everything when no patterns are given (undefined or empty)', () => {
    expect(filterPaths(repo, {})).toEqual(repo);
    expect(filterPaths(repo, { include: [] })).toEqual(repo);
  });

  it('include is any-of', () => {
    expect(filterPaths(repo, { include: ['*.json', '*.safetensors'] })).toEqual([
      'config.json',
      'model.safetensors',
      'onnx/config.json',
      'tokenizer.json',
    ]);
  });

  it('exclude removes after include, and folder patterns cover everything below', () => {
    expect(filterPaths(repo, { include: ['*.json'], exclude: ['onnx/'] })).toEqual(['config.json', 'tokenizer.json']);
    expect(filterPaths(repo, { exclude: ['*.bin', '.*'] })).toEqual([
      'config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'onnx/config.json',
      'tokenizer.json',
    ]);
  });

  it('a compiled matcher gives the same answers as matchesPatterns', () => {
    const options = { include: ['*.json'], exclude: ['tokenizer*'] };
    const matcher = compilePatterns(options);
    for (const path of repo) expect(matcher(path)).toBe(matchesPatterns(path, options));
  });
});
