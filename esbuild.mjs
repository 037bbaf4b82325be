// Bundles the extension, the CLI and the webview; with --tests also the harness, the integration suites and the
// test-runner extension. Type-checking is separate (`npm run typecheck`): esbuild only strips types.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
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
  // sql.js probes for `fs`/`path` itself; keeping them external is the default for node builds. koffi (the FFI behind
  // the OS file locks) carries a native module per platform, so it is loaded at run time, never bundled.
  external: ['vscode', 'koffi'],
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

/**
 * The platforms a packaged extension runs on (VS Code's desktop and remote targets). Each gets koffi's prebuilt native
 * module (about 1 MB); the ones npm did not install here (it installs only this machine's) are fetched once from the
 * npm registry into a cache outside the repo.
 */
const KOFFI_PLATFORMS = ['linux-x64', 'linux-arm64', 'linux-arm', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];

/** koffi's loader and the native packages, laid out as koffi's own fallback lookup finds them: dist/native/{koffi,@koromix/…}. */
function copyKoffi() {
  // koffi's exports map hides package.json; its entry point sits at the package root.
  const koffiDir = path.dirname(require.resolve('koffi'));
  const version = JSON.parse(readFileSync(path.join(koffiDir, 'package.json'), 'utf8')).version;
  const dest = path.join('dist', 'native');
  rmSync(dest, { recursive: true, force: true });
  for (const file of ['package.json', 'index.cjs', 'LICENSE.txt', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs']) {
    mkdirSync(path.dirname(path.join(dest, 'koffi', file)), { recursive: true });
    cpSync(path.join(koffiDir, file), path.join(dest, 'koffi', file));
  }
  const missing = [];
  for (const platform of KOFFI_PLATFORMS) {
    const name = `@koromix/koffi-${platform}`;
    const source = installedPackage(name) ?? fetchedPackage(name, version);
    if (source === undefined) {
      missing.push(platform);
      continue;
    }
    cpSync(source, path.join(dest, '@koromix', `koffi-${platform}`), { recursive: true, filter: (f) => !f.endsWith('.lib') });
  }
  if (missing.length > 0) console.warn(`[esbuild] koffi's native module is missing for ${missing.join(', ')}: on those platforms locks fall back to lock files`);
}

function installedPackage(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function fetchedPackage(name, version) {
  const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mistudio-build', `${name.replace('/', '+')}-${version}`);
  const unpacked = path.join(cacheDir, 'package');
  if (existsSync(path.join(unpacked, 'package.json'))) return unpacked;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', cacheDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', path.join(cacheDir, tarball), '-C', cacheDir]);
    return unpacked;
  } catch (err) {
    console.warn(`[esbuild] cannot fetch ${name}@${version}: ${String(err).split('\n')[0]}`);
    return undefined;
  }
}

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
    plugins: [copyWasmPlugin, ...(production ? [{ name: 'copy-koffi', setup: (build) => build.onEnd(() => copyKoffi()) }] : [])],
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
