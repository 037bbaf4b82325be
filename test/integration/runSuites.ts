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
  /**
   * Tests whose full title contains AFTER_RELOAD run in phase 2, after the runner has reloaded the window; everything
   * else in phase 1. That is how a suite proves state survives a window reload (downloads resume, panel restores).
   */
  readonly phase?: 1 | 2;
}

export const AFTER_RELOAD = '@after-reload';

export interface SuitesOutcome {
  readonly passed: number;
  readonly failed: number;
  /** Tests waiting for phase 2 (only counted in phase 1). */
  readonly afterReload: number;
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
  // Within the user's grep, select the phase: phase 1 skips the after-reload tests, phase 2 runs only them.
  const phaseFilter = (title: string): boolean => (phase === 2) === title.includes(AFTER_RELOAD);
  // Silence mocha's own reporter output inside the extension host; the harness prints the events.
  mocha.reporter(class {} as unknown as MochaType.ReporterConstructor);
  const files = fs.readdirSync(options.suitesDir).filter((f) => f.endsWith('.test.js')).sort();
  for (const file of files) mocha.addFile(path.join(options.suitesDir, file));

  // Mocha's grep is one pattern; the phase split is applied by pruning tests from the loaded tree instead.
  const loader = mocha as unknown as { loadFiles: () => void };
  loader.loadFiles();
  let afterReload = 0;
  const prune = (suite: MochaType.Suite): void => {
    suite.tests = suite.tests.filter((t) => {
      const title = t.fullTitle();
      if (phase === 1 && title.includes(AFTER_RELOAD) && (!options.grep || title.includes(options.grep))) afterReload++;
      return phaseFilter(title);
    });
    for (const child of suite.suites) prune(child);
  };
  prune(mocha.suite);
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
        options.onEvent(afterReload > 0 ? { type: 'phase-end', passed, failed, afterReload, durationMs } : { type: 'end', passed, failed, pending, durationMs });
        resolve({ passed, failed, afterReload });
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
