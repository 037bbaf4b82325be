import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this (bundled) file: out/harness/*.mjs → repo. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Heavy, versioned installs live outside the repo so clean clones and reruns reuse them. */
export const harnessCacheRoot = process.env.MISTUDIO_HARNESS_CACHE
  ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mistudio-harness');

/** Screenshots and logs of test runs; git-ignored. */
export const artifactsDir = path.join(repoRoot, 'artifacts');

export const chromiumPath = process.env.MISTUDIO_CHROMIUM ?? '/usr/bin/chromium';
