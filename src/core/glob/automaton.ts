/**
 * A glob compiled to a tiny automaton: states that consume one character, stars (loops) and optional parts. It is
 * never matched by backtracking over alternatives; each character costs at most a fixed amount of work per state,
 * so one match is O(characters × states) whatever the pattern. (A RegExp made from `*e*e*e*e*e*e*e*.md` took 20-30 s
 * on a 60-character name; this takes microseconds.) Characters are code points, as in Python's str.
 *
 * Browser-safe (the webview filters its plan tree with it): no Node imports.
 */

/** What one consuming state accepts. Sets hold inclusive code point ranges as flat [from, to, from, to, …] pairs. */
export type CharTest =
  | { readonly kind: 'literal'; readonly codePoint: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'anyButSlash' }
  | { readonly kind: 'set'; readonly negated: boolean; readonly ranges: readonly number[]; readonly excludesSlash: boolean };

/** Counts the work of a match, for tests that assert it is bounded. */
export interface StepMeter {
  steps: number;
}

const enum Op {
  /** Consume one character that passes the test, then go to the next state. */
  Step,
  /** Consume any number of characters that pass the test (a star), then go on without consuming. */
  Loop,
  /** Without consuming, go to the next state and to the state in `jumps` (an optional part). */
  Split,
  Accept,
}

const SLASH = 0x2f;

export class GlobAutomaton {
  /**
   * When every star matches any character and nothing is optional (all of fnmatch), a failed attempt only ever
   * needs to resume at the last star, one character further: a single scan, no state sets, several times faster.
   */
  private readonly onlyUniversalStars: boolean;
  private readonly currentList: Int32Array;
  private readonly nextList: Int32Array;
  private readonly stack: Int32Array;
  /** Per state, the generation in which it was last added: one add per state per character. */
  private readonly addedIn: Uint32Array;
  private generation = 0;

  /** @internal built by GlobBuilder */
  constructor(
    private readonly ops: Uint8Array,
    private readonly tests: readonly (CharTest | undefined)[],
    private readonly jumps: Int32Array,
  ) {
    const count = ops.length;
    this.onlyUniversalStars = ops.every((op, state) => op !== Op.Split && (op !== Op.Loop || tests[state]!.kind === 'any'));
    this.currentList = new Int32Array(count);
    this.nextList = new Int32Array(count);
    // Each state is popped once per generation and pushes at most two others.
    this.stack = new Int32Array(2 * count + 1);
    this.addedIn = new Uint32Array(count);
  }

  matches(text: string, meter?: StepMeter): boolean {
    return this.onlyUniversalStars ? this.scan(text, meter) : this.simulate(text, meter);
  }

  /**
   * Greedy scan remembering the last star: on a mismatch the star takes one more character and matching resumes
   * after it. Earlier stars never need to take more (the last one can absorb anything they would), so each resume
   * advances the star's start: at most characters × states steps.
   */
  private scan(text: string, meter: StepMeter | undefined): boolean {
    const { ops, tests } = this;
    let state = 0;
    let at = 0;
    let starState = -1;
    let starAt = 0;
    while (at < text.length) {
      if (meter) meter.steps++;
      const op = ops[state];
      if (op === Op.Loop) {
        starState = state++;
        starAt = at;
        continue;
      }
      const codePoint = text.codePointAt(at)!;
      if (op === Op.Step && passes(tests[state]!, codePoint)) {
        state++;
        at += codePoint > 0xffff ? 2 : 1;
        continue;
      }
      if (starState < 0) return false;
      state = starState + 1;
      starAt += text.codePointAt(starAt)! > 0xffff ? 2 : 1;
      at = starAt;
    }
    while (ops[state] === Op.Loop) state++;
    return ops[state] === Op.Accept;
  }

  /** Every state at once (Thompson): the set of states the text so far can be in, advanced one character at a time. */
  private simulate(text: string, meter: StepMeter | undefined): boolean {
    let current = this.currentList;
    let next = this.nextList;
    let size = this.addClosure(0, current, 0, this.newGeneration(), meter);
    for (let at = 0; at < text.length && size > 0; ) {
      const codePoint = text.codePointAt(at)!;
      at += codePoint > 0xffff ? 2 : 1;
      const generation = this.newGeneration();
      let nextSize = 0;
      for (let k = 0; k < size; k++) {
        const state = current[k]!;
        const op = this.ops[state]!;
        if (op !== Op.Step && op !== Op.Loop) continue;
        if (meter) meter.steps++;
        if (!passes(this.tests[state]!, codePoint)) continue;
        nextSize = this.addClosure(op === Op.Loop ? state : state + 1, next, nextSize, generation, meter);
      }
      const swap = current;
      current = next;
      next = swap;
      size = nextSize;
    }
    for (let k = 0; k < size; k++) if (this.ops[current[k]!] === Op.Accept) return true;
    return false;
  }

  /** Adds `start` and every state reachable from it without consuming; returns the list's new size. */
  private addClosure(start: number, list: Int32Array, size: number, generation: number, meter: StepMeter | undefined): number {
    const stack = this.stack;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const state = stack[--top]!;
      if (meter) meter.steps++;
      if (this.addedIn[state] === generation) continue;
      this.addedIn[state] = generation;
      list[size++] = state;
      const op = this.ops[state];
      if (op === Op.Loop) stack[top++] = state + 1;
      else if (op === Op.Split) {
        stack[top++] = this.jumps[state]!;
        stack[top++] = state + 1;
      }
    }
    return size;
  }

  private newGeneration(): number {
    if (this.generation === 0xffffffff) {
      this.addedIn.fill(0);
      this.generation = 0;
    }
    return ++this.generation;
  }
}

function passes(test: CharTest, codePoint: number): boolean {
  switch (test.kind) {
    case 'literal':
      return codePoint === test.codePoint;
    case 'any':
      return true;
    case 'anyButSlash':
      return codePoint !== SLASH;
    case 'set': {
      if (test.excludesSlash && codePoint === SLASH) return false;
      let inRanges = false;
      for (let r = 0; r < test.ranges.length && !inRanges; r += 2) {
        inRanges = codePoint >= test.ranges[r]! && codePoint <= test.ranges[r + 1]!;
      }
      return inRanges !== test.negated;
    }
  }
}

/** Appends states in pattern order; `build()` adds the accepting state. */
export class GlobBuilder {
  private readonly ops: Op[] = [];
  private readonly tests: (CharTest | undefined)[] = [];
  private readonly jumps: number[] = [];

  /** Exactly one character passing `test`. */
  step(test: CharTest): this {
    return this.push(Op.Step, test);
  }

  /** Any number of characters passing `test`; a star right after an equal star adds nothing (`**` is `*`). */
  loop(test: CharTest): this {
    const last = this.ops.length - 1;
    if (this.ops[last] === Op.Loop && test.kind !== 'set' && test.kind !== 'literal' && this.tests[last]!.kind === test.kind) return this;
    return this.push(Op.Loop, test);
  }

  /** What `part` adds, or nothing. */
  optional(part: (builder: this) => void): this {
    const split = this.ops.length;
    this.push(Op.Split, undefined);
    part(this);
    this.jumps[split] = this.ops.length;
    return this;
  }

  literal(text: string): this {
    for (const char of text) this.step({ kind: 'literal', codePoint: char.codePointAt(0)! });
    return this;
  }

  build(): GlobAutomaton {
    this.push(Op.Accept, undefined);
    return new GlobAutomaton(Uint8Array.from(this.ops), [...this.tests], Int32Array.from(this.jumps));
  }

  private push(op: Op, test: CharTest | undefined): this {
    this.ops.push(op);
    this.tests.push(test);
    this.jumps.push(-1);
    return this;
  }
}
