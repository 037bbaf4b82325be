import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliIo } from '../../../src/core/cli/run';

export const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A scratch home with its own cache and catalog, so a test never touches the real ones. */
export function scratch(): { dir: string; env: NodeJS.ProcessEnv; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-cli-'));
  return {
    dir,
    env: { HF_HUB_CACHE: path.join(dir, 'hub'), HF_HOME: path.join(dir, 'hf-home'), MISTUDIO_CATALOG: path.join(dir, 'catalog.sqlite') },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export async function cli(argv: readonly string[], env: NodeJS.ProcessEnv, extra: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    homedir: env.HF_HOME ?? os.tmpdir(),
    wasmPath,
    ...extra,
  });
  return { code, stdout, stderr };
}
