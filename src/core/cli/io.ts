import type { StudioApi, StudioOptions } from '../studioTypes';

/** Where the CLI reads and writes; tests give it strings and a scratch environment. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly env: NodeJS.ProcessEnv;
  readonly homedir?: string;
  /** sql.js's sql-wasm.wasm (next to dist/cli.js when bundled). */
  readonly wasmPath: string;
  /** Registers a Ctrl-C handler; returns its disposer. */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Test seam: how the studio is opened (default openStudio). */
  readonly openStudio?: (options: StudioOptions) => Promise<StudioApi>;
}

/** Exit codes: usage errors (bad input) 2, failures 1, Ctrl-C 130 like a shell. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;
