#!/usr/bin/env node
import * as path from 'node:path';
import { runCli } from './cli/run';
import { closeSharedTransferAgent } from './transfer';

// The `mistudio` command (dist/cli.js): a thin shell over the same engine the extension uses.
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  wasmPath: path.join(__dirname, 'sql-wasm.wasm'),
  onInterrupt: (handler) => {
    let count = 0;
    const listener = (): void => {
      // A second Ctrl-C stops at once.
      if (++count > 1) process.exit(130);
      handler();
    };
    process.on('SIGINT', listener);
    return () => process.off('SIGINT', listener);
  },
}).then(async (code) => {
  process.exitCode = code;
  // Idle keep-alive sockets would otherwise hold the process open.
  await closeSharedTransferAgent();
});
