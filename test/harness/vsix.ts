import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';
import { log } from './log';

/** Where `npm run package` puts the extension, relative to the repository. */
export const VSIX_PATH = path.join('out', 'mistudio.vsix');

/**
 * Packages the extension exactly as it ships (`npm run package`: production build, .vscodeignore applied), so the
 * tests exercise what users install.
 */
export function buildVsix(): string {
  log('packaging the extension (.vsix)');
  return packageVsix(repoRoot);
}

/** Runs `npm run package` in a checkout of the repository (this one, or a fresh copy in a test); returns the .vsix. */
export function packageVsix(root: string): string {
  const out = path.join(root, VSIX_PATH);
  const result = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`npm run package failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return out;
}
