import * as fs from 'node:fs';
import * as path from 'node:path';
import { openWorkbench, type Workbench } from './browser';
import { log } from './log';
import { repoRoot } from './paths';
import { Summary } from './summary';
import { buildVsix } from './vsix';
import { startVsCodeServer, type VsCodeServer } from './vscodeServer';
import { isSuiteEvent, type SuiteEvent } from '../integration/events';

/**
 * `npm run test:vscode`: runs the integration suites inside the real VS Code (code-server's Node extension host)
 * with the packaged extension installed, prints each result and a summary, and always stops what it started.
 */
const TIMEOUT_MS = Number(process.env.MISTUDIO_VSCODE_TIMEOUT_MS ?? 15 * 60_000);

async function main(): Promise<number> {
  const vsix = buildVsix();
  const runnerDir = path.join(repoRoot, 'out', 'test-runner');
  const resultFile = path.join(fs.mkdtempSync(path.join(repoRoot, 'out', 'results-')), 'events.jsonl');
  fs.writeFileSync(resultFile, '');
  const summary = new Summary('VS Code integration');
  let server: VsCodeServer | undefined;
  let workbench: Workbench | undefined;
  try {
    server = await startVsCodeServer({
      vsix,
      extensionFolders: [runnerDir],
      env: { MISTUDIO_TEST_RESULT: resultFile, MISTUDIO_REPO_ROOT: repoRoot, MISTUDIO_TEST_GREP: process.env.MISTUDIO_TEST_GREP ?? '' },
    });
    // The extension host starts when a window connects, so a browser opens the workbench.
    workbench = await openWorkbench(server.workbenchUrl);
    const ended = await followEvents(resultFile, (e) => summary.record(e), TIMEOUT_MS);
    if (!ended) {
      summary.record({ type: 'crash', error: `the suites did not finish within ${TIMEOUT_MS / 1000} s` });
      await workbench.screenshot('vscode-timeout').catch(() => undefined);
    }
  } catch (err) {
    summary.record({ type: 'crash', error: err instanceof Error ? err.stack ?? err.message : String(err) });
  } finally {
    await workbench?.close();
    if (server && !summary.ok) {
      fs.writeFileSync(path.join(path.dirname(resultFile), 'code-server.log'), server.output());
      log(`code-server output kept in ${path.dirname(resultFile)}`);
    }
    await server?.stop();
  }
  summary.print();
  return summary.ok ? 0 : 1;
}

/** Tails the JSON-lines result file until the runner reports the end; false on timeout. */
async function followEvents(file: string, onEvent: (e: SuiteEvent) => void, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let offset = 0;
  let pending = '';
  while (Date.now() < deadline) {
    const content = fs.readFileSync(file);
    if (content.length > offset) {
      pending += content.subarray(offset).toString('utf8');
      offset = content.length;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const event: unknown = JSON.parse(line);
        if (!isSuiteEvent(event)) continue;
        onEvent(event);
        if (event.type === 'end' || event.type === 'crash') return true;
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
