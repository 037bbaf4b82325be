import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';
import { log } from './log';

/**
 * Packages the extension exactly as it ships (`npm run package`: production build, .vscodeignore applied), so the
 * tests exercise what users install.
 */
export function buildVsix(): string {
  const out = path.join(repoRoot, 'out', 'mistudio.vsix');
  log('packaging the extension (.vsix)');
  const result = spawnSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`npm run package failed:\n${result.stdout}\n${result.stderr}`);
  }
  return out;
}
