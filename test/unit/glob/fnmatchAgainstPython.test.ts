import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { matchesPatterns } from '../../../src/core/patterns';
import { Rng } from '../robustness/helpers';

// The include/exclude matcher against the real thing: CPython's fnmatch.fnmatchcase with huggingface_hub's reading of
// a pattern (filter_repo_objects: `\` is `/`, a trailing `/` means `/*`), over random patterns and paths made of the
// characters that mean something to fnmatch. A fixed seed keeps a failure reproducible; python3 is on every machine
// the tests run on (.ci/run installs it).
const PYTHON_MATCHES = `
import fnmatch, json, sys
job = json.load(sys.stdin)
def hub_pattern(p):
    p = p.replace("\\\\", "/")
    return p + "*" if p.endswith("/") else p
paths = [p.replace("\\\\", "/") for p in job["paths"]]
print(json.dumps([[i for i, path in enumerate(paths) if fnmatch.fnmatchcase(path, hub_pattern(p))] for p in job["patterns"]]))
`;

const PATTERN_CHARS = ['a', 'b', 'z', '-', '!', '^', '[', ']', '*', '?', '/', '\\', 'é', '😀', '.'];
const PATH_CHARS = ['a', 'b', 'z', '-', '!', '^', '[', ']', '/', '\\', 'é', '😀', '.', '\n', 'Z'];

function randomText(rng: Rng, alphabet: readonly string[], maxLength: number): string {
  let text = '';
  for (let i = rng.int(0, maxLength); i > 0; i--) text += rng.pick(alphabet);
  return text;
}

/** Half the patterns are paths with some characters turned into wildcards, so that many pairs match. */
function randomPattern(rng: Rng, paths: readonly string[]): string {
  if (rng.chance(0.5)) return randomText(rng, PATTERN_CHARS, 9);
  return Array.from(rng.pick(paths), (char) => (rng.chance(0.3) ? rng.pick(PATTERN_CHARS) : char)).join('');
}

function pythonMatches(patterns: readonly string[], paths: readonly string[]): number[][] {
  const run = spawnSync('python3', ['-c', PYTHON_MATCHES], { input: JSON.stringify({ patterns, paths }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error !== undefined || run.status !== 0) throw new Error(`python3 failed: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout) as number[][];
}

describe('include patterns agree with CPython fnmatch (huggingface_hub allow_patterns)', () => {
  it('on 600 random patterns × 300 random paths', () => {
    const rng = new Rng(12);
    const paths = Array.from({ length: 300 }, () => randomText(rng, PATH_CHARS, 8));
    const patterns = Array.from({ length: 600 }, () => randomPattern(rng, paths));
    const expected = pythonMatches(patterns, paths);
    const mismatches: string[] = [];
    patterns.forEach((pattern, index) => {
      const ours = paths.flatMap((path, i) => (matchesPatterns(path, { include: [pattern] }) ? [i] : []));
      if (JSON.stringify(ours) !== JSON.stringify(expected[index])) {
        mismatches.push(`${JSON.stringify(pattern)}: python ${JSON.stringify(expected[index]!.map((i) => paths[i]))}, ours ${JSON.stringify(ours.map((i) => paths[i]))}`);
      }
    });
    const matchedPairs = expected.reduce((sum, list) => sum + list.length, 0);
    expect(matchedPairs, 'the generator must produce matching pairs too').toBeGreaterThan(1000);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it('on the odd sets CPython rewrites (reversed ranges dropped, a leading ! left behind)', () => {
    const patterns = ['[z-a!]', '[z-a!b]', '[c-a!-b]', '[a-z-a]', '[c-a-e]', '[a--]', '[--a]', '[%--]', '[!]', '[]', '[!a-]', '[]-a]', '[!]-a]', '[a-c-e-g]', '[b-a-c]', '[!z-a-c]'];
    const paths = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'z', '!', '-', '%', ']', '[', '[!]', '[]', '/'];
    const expected = pythonMatches(patterns, paths);
    patterns.forEach((pattern, index) => {
      const ours = paths.flatMap((path, i) => (matchesPatterns(path, { include: [pattern] }) ? [i] : []));
      expect(ours.map((i) => paths[i]), pattern).toEqual(expected[index]!.map((i) => paths[i]));
    });
  });
});
