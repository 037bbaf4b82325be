import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Bundles an entry point for a child process, as `npm run build` does: koffi (the native lock calls) stays external
 * and the bundle sits under the repo's node_modules/.cache, so the child resolves the real koffi and takes the same
 * OS locks as this process instead of falling back to lock files.
 */
export async function buildChildBundle(entryPoint: string, name: string): Promise<{ file: string; dir: string; cleanup: () => void }> {
  const base = path.join(repoRoot, 'node_modules', '.cache', 'mistudio-tests');
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, 'bundle-'));
  const file = path.join(dir, name);
  await build({
    entryPoints: [path.isAbsolute(entryPoint) ? entryPoint : path.join(repoRoot, entryPoint)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: file,
    external: ['koffi'],
    logLevel: 'error',
  });
  return { file, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
