import * as path from 'node:path';
import { runSuites } from './runSuites';

/** The `extensionTestsPath` module for @vscode/test-electron: same suites, same runner, mocha-style output. */
export async function run(): Promise<void> {
  const { failed } = await runSuites({
    suitesDir: path.join(__dirname, 'suites'),
    resolveFrom: path.resolve(__dirname, '..', '..'),
    onEvent: (event) => {
      if (event.type === 'pass') console.log(`  ✔ ${event.title} (${event.durationMs} ms)`);
      if (event.type === 'fail') console.log(`  ✘ ${event.title}\n${event.error}`);
      if (event.type === 'end') console.log(`${event.passed} passed, ${event.failed} failed`);
      // @vscode/test-electron cannot reload the window mid-run; the after-reload phase runs under the code-server harness.
      if (event.type === 'phase-end') console.log(`${event.passed} passed, ${event.failed} failed (tests after a reload or kill run only under npm run test:vscode)`);
    },
  });
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}
