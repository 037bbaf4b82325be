import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type MochaType from 'mocha';
import type { SuiteEvent } from './events';

export interface RunSuitesOptions {
  /** Folder holding the compiled *.test.js suites. */
  readonly suitesDir: string;
  /** A folder from which `mocha` resolves (the repo root): the suites run from outside the repo under code-server. */
  readonly resolveFrom: string;
  readonly onEvent: (event: SuiteEvent) => void;
  readonly grep?: string;
  readonly timeoutMs?: number;
  /** Which phase runs now (see PHASES); default 1. */
  readonly phase?: Phase;
}

export const AFTER_RELOAD = '@after-reload';
export const AFTER_KILL = '@after-kill';

/**
 * Suites prove that state survives what users live through: tests tagged AFTER_RELOAD run in phase 2, after the
 * runner reloaded the window; tests tagged AFTER_KILL in phase 3, after the runner SIGKILLed its own extension host
 * (no deactivate, no flush) and VS Code started a new one. Untagged tests run in phase 1.
 */
export type Phase = 1 | 2 | 3;
export type PhaseTransition = 'reload' | 'kill';
const PHASES: ReadonlyArray<{ phase: Phase; tag?: string; reachedBy?: PhaseTransition }> = [
  { phase: 1 },
  { phase: 2, tag: AFTER_RELOAD, reachedBy: 'reload' },
  { phase: 3, tag: AFTER_KILL, reachedBy: 'kill' },
];

export function phaseOf(title: string): Phase {
  return [...PHASES].reverse().find((p) => p.tag !== undefined && title.includes(p.tag))?.phase ?? 1;
}

export interface SuitesOutcome {
  readonly passed: number;
  readonly failed: number;
  /** The next phase that has tests, and how the runner gets there; undefined when this was the last. */
  readonly next?: { readonly phase: Phase; readonly by: PhaseTransition; readonly tests: number };
}

/**
 * Runs the integration suites with mocha (the runner @vscode/test-electron suites use) and reports each result as
 * an event; shared by the code-server test-runner extension and the @vscode/test-electron entry.
 */
export function runSuites(options: RunSuitesOptions): Promise<SuitesOutcome> {
  const requireFromRepo = createRequire(path.join(options.resolveFrom, 'package.json'));
  const Mocha = requireFromRepo('mocha') as typeof MochaType;
  const phase = options.phase ?? 1;
  const mocha = new Mocha({ ui: 'bdd', timeout: options.timeoutMs ?? 60_000, color: false, reporter: 'dot' });
  if (options.grep) mocha.grep(options.grep);
  // Silence mocha's own reporter output inside the extension host; the harness prints the events.
  mocha.reporter(class {} as unknown as MochaType.ReporterConstructor);
  const files = fs.readdirSync(options.suitesDir).filter((f) => f.endsWith('.test.js')).sort();
  for (const file of files) mocha.addFile(path.join(options.suitesDir, file));

  // Mocha's grep is one pattern; the phase split is applied by pruning tests from the loaded tree instead.
  const loader = mocha as unknown as { loadFiles: () => void };
  loader.loadFiles();
  const later = new Map<Phase, number>();
  const prune = (suite: MochaType.Suite): void => {
    suite.tests = suite.tests.filter((t) => {
      const title = t.fullTitle();
      const testPhase = phaseOf(title);
      if (testPhase > phase && (!options.grep || title.includes(options.grep))) later.set(testPhase, (later.get(testPhase) ?? 0) + 1);
      return testPhase === phase;
    });
    for (const child of suite.suites) prune(child);
  };
  prune(mocha.suite);
  const nextPhase = PHASES.find((p) => p.phase > phase && (later.get(p.phase) ?? 0) > 0);
  const next = nextPhase?.reachedBy ? { phase: nextPhase.phase, by: nextPhase.reachedBy, tests: later.get(nextPhase.phase) ?? 0 } : undefined;
  // loadFiles above already required the suites; don't load them twice.
  loader.loadFiles = () => undefined;

  const started = Date.now();
  let passed = 0;
  let failed = 0;
  let pending = 0;
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run();
      options.onEvent({ type: 'start', total: runner.total });
      runner.on('pass', (test) => {
        passed++;
        options.onEvent({ type: 'pass', title: test.fullTitle(), durationMs: test.duration ?? 0 });
      });
      runner.on('fail', (test, err: Error) => {
        failed++;
        options.onEvent({ type: 'fail', title: test.fullTitle(), durationMs: test.duration ?? 0, error: err.stack ?? String(err) });
      });
      runner.on('pending', (test) => {
        pending++;
        options.onEvent({ type: 'pending', title: test.fullTitle() });
      });
      runner.on('end', () => {
        const durationMs = Date.now() - started;
        options.onEvent(next ? { type: 'phase-end', passed, failed, next: next.by, remaining: next.tests, durationMs } : { type: 'end', passed, failed, pending, durationMs });
        resolve({ passed, failed, ...(next ? { next } : {}) });
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
