import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot } from './paths';

/**
 * `npm run test:electron`: the same integration suites under @vscode/test-electron, for machines that can download
 * a desktop VS Code (a developer's laptop, a public CI). Here (no network but npm and Debian) use `npm run test:vscode`.
 */
async function main(): Promise<void> {
  fs.mkdirSync(path.join(repoRoot, 'out', 'electron-workspace'), { recursive: true });
  await runTests({
    version: process.env.MISTUDIO_VSCODE_VERSION ?? '1.139.1',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'out', 'test-runner', 'electronEntry.js'),
    launchArgs: ['--disable-extensions', '--disable-workspace-trust', path.join(repoRoot, 'out', 'electron-workspace')],
    extensionTestsEnv: { HF_HUB_CACHE: path.join(repoRoot, 'out', 'electron-hf-cache'), HF_TOKEN: '' },
  });
}

main().catch((err: unknown) => {
  console.error(`test:electron failed: ${err instanceof Error ? err.message : String(err)}`);
  console.error('If VS Code cannot be downloaded on this machine, run the same suites with `npm run test:vscode`.');
  process.exit(1);
});
