import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureCodeServer, installVsix, type CodeServerInstall } from './codeServer';
import { log } from './log';
import { spawnTracked, stopProcess } from './processes';
import type { ChildProcess } from 'node:child_process';

export interface VsCodeServerOptions {
  /** A built .vsix of the extension under test, installed the way a user would. */
  readonly vsix?: string;
  /** Extension folders copied in as-is (e.g. the test-runner extension). */
  readonly extensionFolders?: readonly string[];
  /** Extra environment for the server; the extension host inherits it. */
  readonly env?: NodeJS.ProcessEnv;
  /** Folder opened in the workbench; a fresh temp folder if absent. */
  readonly workspaceFolder?: string;
  /** User settings written before start. */
  readonly settings?: Record<string, unknown>;
  /** Keep the temp dirs after stop (for debugging). */
  readonly keepTemp?: boolean;
  /** A persistent profile folder (user data, extensions, workspace) instead of a fresh temp one; never deleted. */
  readonly profileDir?: string;
  /**
   * Point HF_HOME / HF_HUB_CACHE into the profile and clear HF_TOKEN (default), so tests never touch the user's
   * Hugging Face cache or token. `npm start` turns this off to work on the real cache.
   */
  readonly isolateHuggingFace?: boolean;
  readonly port?: number;
}

export interface VsCodeServer {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** The workbench URL with the workspace folder open. */
  readonly workbenchUrl: string;
  readonly workspaceFolder: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly tempRoot: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

const LISTENING = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/?)/;

/**
 * Starts code-server (the real VS Code workbench + Node extension host) on 127.0.0.1 with a fresh user-data and
 * extensions dir, the extension installed, and never the user's own settings, extensions or Hugging Face cache.
 */
export async function startVsCodeServer(options: VsCodeServerOptions = {}): Promise<VsCodeServer> {
  const cs: CodeServerInstall = ensureCodeServer();
  const tempRoot = options.profileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-vscode-'));
  const keep = options.keepTemp === true || options.profileDir !== undefined;
  const userDataDir = path.join(tempRoot, 'user-data');
  const extensionsDir = path.join(tempRoot, 'extensions');
  const workspaceFolder = options.workspaceFolder ?? path.join(tempRoot, 'workspace');
  for (const dir of [userDataDir, extensionsDir, workspaceFolder]) fs.mkdirSync(dir, { recursive: true });

  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    ...options.settings,
  };
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  // A persistent profile keeps what the user changed; tests always start from the defaults above.
  if (!options.profileDir || !fs.existsSync(settingsFile)) fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  fs.writeFileSync(path.join(tempRoot, 'config.yaml'), 'auth: none\ncert: false\n');

  // Folders first: the first install scans the dir into extensions.json, which from then on is what VS Code loads.
  for (const folder of options.extensionFolders ?? []) {
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
    fs.cpSync(folder, path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`), { recursive: true });
  }
  if (options.vsix) installVsix(cs, options.vsix, extensionsDir, userDataDir);

  const args = [
    cs.entry,
    '--config', path.join(tempRoot, 'config.yaml'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${options.port ?? 0}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    workspaceFolder,
  ];
  let output = '';
  const child: ChildProcess = spawnTracked(cs.node, args, {
    env: {
      ...process.env,
      ...(options.isolateHuggingFace === false
        ? {}
        : { HF_HOME: path.join(tempRoot, 'hf-home'), HF_HUB_CACHE: path.join(tempRoot, 'hf-cache'), HF_TOKEN: '' }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (match?.[1]) resolve(match[1].endsWith('/') ? match[1] : `${match[1]}/`);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`code-server exited early (${code ?? signal}):\n${output}`)));
    setTimeout(() => reject(new Error(`code-server did not start within 60 s:\n${output}`)), 60_000).unref();
  });
  log(`VS Code ${url} (user data ${userDataDir})`);

  return {
    url,
    workbenchUrl: `${url}?folder=${encodeURIComponent(workspaceFolder)}`,
    workspaceFolder,
    userDataDir,
    extensionsDir,
    tempRoot,
    output: () => output,
    async stop() {
      await stopProcess(child);
      if (!keep) fs.rmSync(tempRoot, { recursive: true, force: true });
    },
  };
}
