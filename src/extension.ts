import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { catalogFileFor } from './host/catalogLocation';
import type { CatalogChange } from './core/catalog';
import { describeError } from './core/errors';
import type { Event } from './core/events';
import { openStudio } from './core/studio';
import type { EntryProgress, StudioApi } from './core/studioTypes';
import { closeSharedTransferAgent } from './core/transfer';
import { COMMANDS, TREE_PROBE_COMMAND, VIEW_IDS } from './host/commandIds';
import type { TreeNode } from './host/commandArgs';
import { registerCommands, type CommandContext } from './host/commands';
import { updateSignedInContext } from './host/commands/accountCommands';
import { ConfigService } from './host/configService';
import { DownloadNotifier } from './host/downloadNotifier';
import { EntryTreeProvider } from './host/entryTree';
import { ErrorReporter } from './host/errorReporter';
import { HubNetwork } from './host/network';
import { registerStudioPanel } from './host/panel';
import { CleanupProgress, vscodeNotifierUi } from './host/notifierUi';
import { CacheActions } from './host/actions/cacheActions';
import { EntryActions } from './host/actions/entryActions';
import { CacheTreeProvider } from './host/cacheTree';
import { CACHE_SORTS, type CacheSort } from './host/cacheView';
import { vscodeActionUi } from './host/actions/vscodeActionUi';
import { StudioHost } from './host/studioHost';
import { TokenStore } from './host/tokenStore';
import type { RepoKind } from './core/repo';

/**
 * The composition root: every service is built here once, wired together, and every registration is pushed to
 * context.subscriptions so VS Code disposes it. Nothing heavy runs here: sql.js and the catalog load on first use
 * (a view renders, a command runs), or shortly after startup when this workspace already has a catalog, so that
 * downloads interrupted by a restart show up as paused (or resume) and pending cleanups finish.
 */
export interface MistudioApi {
  /** Where the catalog and other per-workspace state live (global storage when no folder is open). */
  readonly storageUri: vscode.Uri;
  /** The catalog file in workspace storage (see catalogFileFor: stable across window reloads). */
  readonly catalogUri: vscode.Uri;
  /** The engine: catalog queries, plan / enqueue / cancel / pause / resume / delete. Opens it on first call. */
  studio(): Promise<StudioApi>;
  /** Catalog rows added, updated, removed (status changes included), whichever engine instance is current. */
  readonly onDidChangeEntry: Event<CatalogChange>;
  /** Live progress of running downloads. */
  readonly onDidProgress: Event<EntryProgress>;
  /** Background cleanups after Delete started or finished. */
  readonly onDidChangeCleanup: Event<{ readonly running: number }>;
}

const CACHE_SORT_KEY = 'mistudio.cache.sort';

function cacheSortFrom(value: unknown): CacheSort {
  return CACHE_SORTS.find((s) => s === value) ?? 'size';
}

/** How long after activation an existing catalog is opened in the background (restart safety). */
const BACKGROUND_OPEN_DELAY_MS = 1_500;

let shutdown: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): MistudioApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('MechInterp Studio', { log: true });
  context.subscriptions.push(log);
  const storageUri = context.storageUri ?? context.globalStorageUri;
  const catalogUri = vscode.Uri.file(catalogFileFor(storageUri.fsPath));

  const config = new ConfigService(log);
  const network = new HubNetwork(config.proxy);
  const tokens = new TokenStore(context.secrets, log);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0');
  const host = new StudioHost({
    open: openStudio,
    catalogFile: catalogUri.fsPath,
    wasmPath: context.asAbsolutePath('dist/sql-wasm.wasm'),
    config,
    token: () => tokens.token(),
    fetch: network.fetch,
    dispatcher: network.dispatcher,
    userAgent: `mistudio/${version}; vscode/${vscode.version}`,
    logger: log,
    onWarning: (message) => {
      log.warn(message);
      void vscode.window.showWarningMessage(message, 'Show Log').then((choice) => choice && log.show(true));
    },
  });
  context.subscriptions.push(config, tokens, host);
  context.subscriptions.push({ dispose: () => void network.dispose() });
  context.subscriptions.push(toDisposable(config.onDidChangeProxy((proxy) => network.configure(proxy))));

  // Sign In is a command; the reporter calls it through VS Code so there is one implementation.
  const errors = new ErrorReporter({
    log,
    signIn: async () => (await vscode.commands.executeCommand<boolean>(COMMANDS.signIn)) === true,
    signedIn: async () => (await tokens.token()) !== undefined,
  });

  const trees = new Map<RepoKind, { provider: EntryTreeProvider; view: vscode.TreeView<TreeNode> }>();
  for (const [kind, viewId] of [['model', VIEW_IDS.models], ['dataset', VIEW_IDS.datasets]] as const) {
    const provider = new EntryTreeProvider(kind, host, (err) => log.error(`Opening the catalog: ${describeError(err)}`));
    const view = vscode.window.createTreeView(viewId, { treeDataProvider: provider, showCollapseAll: true, canSelectMany: true });
    provider.attach(view);
    trees.set(kind, { provider, view });
    context.subscriptions.push(provider, view);
  }

  // The Cache view: every repo of the Hugging Face cache, whoever put it there. Only its sort order is remembered.
  const cacheProvider = new CacheTreeProvider(
    host,
    { sort: cacheSortFrom(context.workspaceState.get(CACHE_SORT_KEY)), filter: '' },
    (state) => void context.workspaceState.update(CACHE_SORT_KEY, state.sort),
    log,
  );
  const cacheView = vscode.window.createTreeView(VIEW_IDS.cache, { treeDataProvider: cacheProvider, showCollapseAll: true, canSelectMany: true });
  cacheProvider.attach(cacheView, VIEW_IDS.cache);
  context.subscriptions.push(cacheProvider, cacheView);

  const actions = new EntryActions({ studio: () => host.get(), endpoint: () => host.endpoint, ui: vscodeActionUi, log });
  const cacheActions = new CacheActions({ studio: () => host.get(), ui: vscodeActionUi, log, onDidChangeCache: () => void cacheProvider.refresh() });
  const ctx: CommandContext = { host, config, tokens, network, errors, log, trees, actions, ui: vscodeActionUi, cache: { provider: cacheProvider, view: cacheView }, cacheActions };
  context.subscriptions.push(...registerCommands(ctx));
  context.subscriptions.push(
    vscode.commands.registerCommand(TREE_PROBE_COMMAND, async (kind: unknown) => {
      if (kind !== 'cache') return trees.get(kind === 'dataset' ? 'dataset' : 'model')?.provider.render();
      await cacheProvider.whenScanned();
      return cacheProvider.render();
    }),
  );
  context.subscriptions.push(new DownloadNotifier(host, vscodeNotifierUi(host, errors, log)));
  context.subscriptions.push(new CleanupProgress(host));

  void updateSignedInContext(ctx);
  context.subscriptions.push(toDisposable(tokens.onDidChange(() => void updateSignedInContext(ctx))));

  // The Studio panel (a webview editor) shares the engine with the views; it owns `mistudio.openPanel` and the
  // serializer that restores it after a reload.
  context.subscriptions.push(registerStudioPanel(context, { studio: () => host.get(), log, endpoint: () => host.endpoint, actions, cacheActions, ui: vscodeActionUi }));

  // Restart safety: a workspace that already has a catalog opens it soon after startup, so interrupted downloads
  // show as paused (or resume) and pending cleanups run even before anyone opens the views.
  if (existsSync(catalogUri.fsPath)) {
    const timer = setTimeout(() => {
      host.get().catch((err: unknown) => log.error(`Opening the catalog: ${describeError(err)}`));
    }, BACKGROUND_OPEN_DELAY_MS);
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  }

  shutdown = async () => {
    await host.close();
    await network.dispose();
    await closeSharedTransferAgent();
  };

  log.info(`MechInterp Studio activated in ${(performance.now() - started).toFixed(1)} ms (version ${version}); storage at ${storageUri.fsPath}`);

  return {
    storageUri,
    catalogUri,
    studio: () => host.get(),
    onDidChangeEntry: host.onDidChangeEntry,
    onDidProgress: host.onDidProgress,
    onDidChangeCleanup: host.onDidChangeCleanup,
  };
}

/** Stops transfers (they show as paused, or resume, at the next start) and saves the catalog before the host exits. */
export async function deactivate(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.();
}

function toDisposable(d: { dispose(): void }): vscode.Disposable {
  return new vscode.Disposable(() => d.dispose());
}
