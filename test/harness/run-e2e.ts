import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureCodeServer, ensureDebianPackages } from './codeServer';
import { runMochaFiles } from './mocha';
import { repoRoot } from './paths';
import { buildVsix } from './vsix';

/** `npm run test:e2e`: Debian's Chromium drives the real VS Code UI with the packaged extension installed. */
async function main(): Promise<number> {
  ensureDebianPackages(['chromium']);
  ensureCodeServer();
  process.env.MISTUDIO_VSIX = buildVsix();
  const dir = path.join(repoRoot, 'out', 'e2e');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.e2e.mjs')).sort().map((f) => path.join(dir, f));
  const summary = await runMochaFiles('Browser E2E', files, process.env.MISTUDIO_TEST_GREP ? { grep: process.env.MISTUDIO_TEST_GREP } : {});
  summary.print();
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
