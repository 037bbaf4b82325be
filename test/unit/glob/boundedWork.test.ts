import { describe, expect, it } from 'vitest';
import type { StepMeter } from '../../../src/core/glob/automaton';
import { compilePathGlob } from '../../../src/core/glob/pathGlob';
import { patternMatchesCounted } from '../../../src/core/patterns';

// Patterns reach the matcher from users (the panel's include box, re-filtered per keystroke on the extension host)
// and from repos (a dataset card's data_files). The work of one match must stay within a constant times
// name length × pattern length however hostile the pattern: the matcher counts its steps and these tests bound them.
// A backtracking matcher needs on the order of n^k steps for k stars (a RegExp took 5.7 s for a 60-character name).
const STEP_FACTOR = 4;

function stepsOf(pattern: string, name: string): { matched: boolean; steps: number } {
  const meter: StepMeter = { steps: 0 };
  const matched = patternMatchesCounted(pattern, name, meter);
  return { matched, steps: meter.steps };
}

function bound(pattern: string, name: string): number {
  return STEP_FACTOR * (Array.from(name).length + 1) * (Array.from(pattern).length + 1);
}

describe('include patterns: work bounded by name × pattern', () => {
  const hostile = '*e*e*e*e*e*e*e*.md';

  it(`${hostile} against long names of e: no match, within the bound, and linear in the name`, () => {
    const runs = [1_000, 2_000, 4_000].map((n) => ({ n, ...stepsOf(hostile, 'e'.repeat(n)) }));
    for (const run of runs) {
      expect(run.matched).toBe(false);
      expect(run.steps, `n=${run.n}`).toBeLessThanOrEqual(bound(hostile, 'e'.repeat(run.n)));
    }
    // Twice the name, twice the work (not 2^7 times, as backtracking over seven stars would be).
    expect(runs[2]!.steps / runs[1]!.steps).toBeLessThan(2.05);
    expect(runs[1]!.steps / runs[0]!.steps).toBeLessThan(2.05);
  });

  it('still answers right on such names: a match at the very end is found', () => {
    const name = `${'e'.repeat(5_000)}.md`;
    const run = stepsOf(hostile, name);
    expect(run.matched).toBe(true);
    expect(run.steps).toBeLessThanOrEqual(bound(hostile, name));
  });

  it('the worst case of resuming after the last star (a near miss at every offset) stays within the bound', () => {
    const pattern = `*${'a'.repeat(30)}b`;
    const name = 'a'.repeat(3_000);
    const run = stepsOf(pattern, name);
    expect(run.matched).toBe(false);
    expect(run.steps).toBeGreaterThan(30 * 2_000); // it really is the slow case…
    expect(run.steps).toBeLessThanOrEqual(bound(pattern, name)); // …and still bounded
  });

  it('a long pattern of stars and sets against a long path of folders stays within the bound', () => {
    const pattern = `${'*[!x]?'.repeat(100)}z`;
    const name = 'a/'.repeat(2_000);
    const run = stepsOf(pattern, name);
    expect(run.matched).toBe(false);
    expect(run.steps).toBeLessThanOrEqual(bound(pattern, name));
  });
});

describe('dataset data_files globs: same bound', () => {
  it('a hostile card pattern against a long file name', () => {
    const pattern = 'data/*e*e*e*e*e*e*e*.parquet';
    const meter: StepMeter = { steps: 0 };
    const name = `data/${'e'.repeat(4_000)}`;
    expect(compilePathGlob(pattern).matches(name, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(bound(pattern, name));
  });

  it('many ** levels against a deep path', () => {
    const pattern = `${'**/'.repeat(50)}*.parquet`;
    const meter: StepMeter = { steps: 0 };
    const name = `${'d/'.repeat(1_000)}x.json`;
    expect(compilePathGlob(pattern).matches(name, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(bound(pattern, name));
  });
});
