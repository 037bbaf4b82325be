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
}

/**
 * Runs the integration suites with mocha (the runner @vscode/test-electron suites use) and reports each result as
 * an event; shared by the code-server test-runner extension and the @vscode/test-electron entry.
 */
export function runSuites(options: RunSuitesOptions): Promise<{ passed: number; failed: number }> {
  const requireFromRepo = createRequire(path.join(options.resolveFrom, 'package.json'));
  const Mocha = requireFromRepo('mocha') as typeof MochaType;
  const mocha = new Mocha({ ui: 'bdd', timeout: options.timeoutMs ?? 60_000, color: false, reporter: 'dot', ...(options.grep ? { grep: options.grep } : {}) });
  // Silence mocha's own reporter output inside the extension host; the harness prints the events.
  mocha.reporter(class {} as unknown as MochaType.ReporterConstructor);
  const files = fs.readdirSync(options.suitesDir).filter((f) => f.endsWith('.test.js')).sort();
  for (const file of files) mocha.addFile(path.join(options.suitesDir, file));

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
        options.onEvent({ type: 'end', passed, failed, pending, durationMs: Date.now() - started });
        resolve({ passed, failed });
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
