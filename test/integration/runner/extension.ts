import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SuiteEvent } from '../events';
import { runSuites, type Phase } from '../runSuites';

/**
 * A test-runner extension installed beside MechInterp Studio only for test runs under code-server (which refuses
 * --extensionTestsPath). It runs the same suites @vscode/test-electron would and streams results as JSON lines to
 * the file named by MISTUDIO_TEST_RESULT, which the harness tails. Tests tagged @after-reload / @after-kill run in
 * later phases, after this runner reloaded the window / SIGKILLed its own extension host (VS Code starts a new one).
 */
export function activate(): void {
  const resultFile = process.env.MISTUDIO_TEST_RESULT;
  const repoRoot = process.env.MISTUDIO_REPO_ROOT;
  if (!resultFile || !repoRoot) return;
  const nextPhaseFile = `${resultFile}.next-phase`;
  const phase = (fs.existsSync(nextPhaseFile) ? Number(fs.readFileSync(nextPhaseFile, 'utf8')) : 1) as Phase;
  // Each phase runs once, even if the workbench reconnects.
  try {
    fs.writeFileSync(`${resultFile}.phase${phase}`, String(process.pid), { flag: 'wx' });
  } catch {
    return;
  }
  const emit = (event: SuiteEvent): void => fs.appendFileSync(resultFile, `${JSON.stringify(event)}\n`);
  runSuites({
    suitesDir: path.join(__dirname, 'suites'),
    resolveFrom: repoRoot,
    onEvent: emit,
    phase,
    ...(process.env.MISTUDIO_TEST_GREP ? { grep: process.env.MISTUDIO_TEST_GREP } : {}),
  })
    .then((outcome) => {
      if (!outcome.next) return;
      fs.writeFileSync(nextPhaseFile, String(outcome.next.phase));
      if (outcome.next.by === 'reload') {
        // This extension host ends with the reload, so the command's promise is cancelled: that is expected.
        void vscode.commands.executeCommand('workbench.action.reloadWindow').then(undefined, () => undefined);
      } else {
        // A crash, as users meet it: no deactivate(), no flush. VS Code starts a new extension host.
        process.kill(process.pid, 'SIGKILL');
      }
    })
    .catch((err: unknown) => emit({ type: 'crash', error: err instanceof Error ? err.stack ?? err.message : String(err) }));
}

export function deactivate(): void {
  // Nothing to release: the harness stops the server when the suites end.
}
