// Bundles the extension, the CLI and the webview; with --tests also the harness, the integration suites and the
// test-runner extension. Type-checking is separate (`npm run typecheck`): esbuild only strips types.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const withTests = args.has('--tests');
const require = createRequire(import.meta.url);

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  logLevel: 'warning',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: production ? 'none' : 'inline',
};

/** @type {import('esbuild').BuildOptions} */
const nodeCommon = {
  ...common,
  platform: 'node',
  // code-server's extension host runs Node 24; the CLI must also run on the Node 20 LTS many GPU boxes have.
  target: 'node20',
  format: 'cjs',
  // sql.js probes for `fs`/`path` itself; keeping them external is the default for node builds.
  external: ['vscode'],
};

/** Copies sql.js's WebAssembly next to the bundles that load it. */
function copyWasm() {
  mkdirSync('dist', { recursive: true });
  cpSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
}

const copyWasmPlugin = {
  name: 'copy-sql-wasm',
  setup(build) {
    build.onEnd(() => copyWasm());
  },
};

/** Copies the codicon font and its stylesheet for the Studio panel (the webview links dist/codicons/codicon.css). */
const copyCodiconsPlugin = {
  name: 'copy-codicons',
  setup(build) {
    build.onEnd(() => {
      mkdirSync('dist/codicons', { recursive: true });
      for (const file of ['codicon.css', 'codicon.ttf']) cpSync(require.resolve(`@vscode/codicons/dist/${file}`), `dist/codicons/${file}`);
    });
  },
};

/** @type {import('esbuild').BuildOptions[]} */
const configs = [
  {
    ...nodeCommon,
    entryPoints: { extension: 'src/extension.ts', cli: 'src/core/cli.ts' },
    outdir: 'dist',
    plugins: [copyWasmPlugin],
  },
  {
    ...common,
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: ['chrome120'],
    plugins: [copyCodiconsPlugin],
  },
];

if (withTests) {
  const suitesDir = 'test/integration/suites';
  const suites = readdirSync(suitesDir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(suitesDir, f));
  const e2eSpecs = readdirSync('test/e2e').filter((f) => f.endsWith('.e2e.ts')).map((f) => path.join('test/e2e', f));
  configs.push(
    {
      // Host-side scripts (harness, E2E, fake hub launcher): ESM, their npm packages resolved from node_modules.
      ...common,
      sourcemap: 'linked',
      minify: false,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      entryPoints: [
        'test/harness/install.ts',
        'test/harness/run-vscode.ts',
        'test/harness/run-e2e.ts',
        'test/harness/run-electron.ts',
        'test/harness/start.ts',
      ],
      outdir: 'out/harness',
      outExtension: { '.js': '.mjs' },
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    },
    {
      // Browser E2E specs, run by mocha on the host.
      ...common,
      sourcemap: 'inline',
      minify: false,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      entryPoints: e2eSpecs,
      outdir: 'out/e2e',
      outExtension: { '.js': '.mjs' },
    },
    {
      // Runs inside VS Code's extension host: CommonJS, `vscode` and `mocha` resolved at run time.
      ...nodeCommon,
      sourcemap: 'inline',
      minify: false,
      external: ['vscode', 'mocha'],
      entryPoints: [
        { in: 'test/integration/runner/extension.ts', out: 'extension' },
        { in: 'test/integration/electronEntry.ts', out: 'electronEntry' },
        ...suites.map((s) => ({ in: s, out: `suites/${path.basename(s, '.ts')}` })),
      ],
      outdir: 'out/test-runner',
    },
  );
}

function writeRunnerManifest() {
  if (!withTests) return;
  mkdirSync('out/test-runner', { recursive: true });
  // A tiny extension, installed beside ours only for test runs, that runs the suites in the extension host.
  writeFileSync('out/test-runner/package.json', JSON.stringify({
    name: 'mistudio-test-runner',
    publisher: 'mistudio-tests',
    displayName: 'MechInterp Studio test runner',
    version: '0.0.1',
    engines: { vscode: '^1.138.0' },
    main: './extension.js',
    activationEvents: ['onStartupFinished'],
    extensionKind: ['workspace'],
  }, null, 2));
}

if (!watch) {
  rmSync('dist', { recursive: true, force: true });
  if (withTests) for (const d of ['out/test-runner', 'out/e2e']) rmSync(d, { recursive: true, force: true });
}
writeRunnerManifest();

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[esbuild] watching for changes…');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
