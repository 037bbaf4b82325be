// Bundles the benchmark (bench/*.ts → out/bench/*.mjs) and the activation probe extension (→ out/bench/probe).
// Kept apart from esbuild.mjs so the benchmark never changes what the product or the test build produce.
import * as esbuild from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

rmSync('out/bench', { recursive: true, force: true });

await Promise.all([
  esbuild.build({
    // Host-side scripts: ESM, npm packages resolved from node_modules at run time (as the harness does).
    bundle: true,
    logLevel: 'warning',
    sourcemap: 'linked',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    entryPoints: ['bench/main.ts', 'bench/worker.ts'],
    outdir: 'out/bench',
    outExtension: { '.js': '.mjs' },
    // CommonJS names for the product code inside: without __filename the lock code cannot find koffi, and the
    // benchmark would measure the soft-lock fallback instead of the OS locks the product takes.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);",
    },
  }),
  esbuild.build({
    // Runs inside VS Code's extension host: CommonJS, `vscode` resolved there.
    bundle: true,
    logLevel: 'warning',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    entryPoints: { extension: 'bench/activation/probe.ts' },
    outdir: 'out/bench/probe',
  }),
]);

mkdirSync('out/bench/probe', { recursive: true });
// A tiny extension installed beside MechInterp Studio only for the activation benchmark.
writeFileSync('out/bench/probe/package.json', JSON.stringify({
  name: 'mistudio-bench-probe',
  publisher: 'mistudio-bench',
  displayName: 'MechInterp Studio activation probe',
  version: '0.0.1',
  engines: { vscode: '^1.138.0' },
  main: './extension.js',
  activationEvents: ['onStartupFinished'],
  extensionKind: ['workspace'],
}, null, 2));
