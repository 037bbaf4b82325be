import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SuiteEvent } from '../events';
import { runSuites } from '../runSuites';

/**
 * A test-runner extension installed beside MechInterp Studio only for test runs under code-server (which refuses
 * --extensionTestsPath). It runs the same suites @vscode/test-electron would and streams results as JSON lines to
 * the file named by MISTUDIO_TEST_RESULT, which the harness tails.
 */
export function activate(): void {
  const resultFile = process.env.MISTUDIO_TEST_RESULT;
  const repoRoot = process.env.MISTUDIO_REPO_ROOT;
  if (!resultFile || !repoRoot) return;
  // Only one window runs the suites, even if the workbench reconnects.
  const claim = `${resultFile}.claimed`;
  try {
    fs.writeFileSync(claim, String(process.pid), { flag: 'wx' });
  } catch {
    return;
  }
  const emit = (event: SuiteEvent): void => fs.appendFileSync(resultFile, `${JSON.stringify(event)}\n`);
  runSuites({
    suitesDir: path.join(__dirname, 'suites'),
    resolveFrom: repoRoot,
    onEvent: emit,
    ...(process.env.MISTUDIO_TEST_GREP ? { grep: process.env.MISTUDIO_TEST_GREP } : {}),
  }).catch((err: unknown) => emit({ type: 'crash', error: err instanceof Error ? err.stack ?? err.message : String(err) }));
}

export function deactivate(): void {
  // Nothing to release: the harness stops the server when the suites end.
}
