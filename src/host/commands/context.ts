import type * as vscode from 'vscode';
import type { RepoKind } from '../../core/repo';
import type { ActionUi } from '../actions/actionUi';
import type { CacheActions } from '../actions/cacheActions';
import type { CacheNode, CacheTreeProvider } from '../cacheTree';
import type { EntryActions } from '../actions/entryActions';
import type { ConfigService } from '../configService';
import type { EntryTreeProvider } from '../entryTree';
import type { ErrorReporter } from '../errorReporter';
import type { HubNetwork } from '../network';
import type { StudioHost } from '../studioHost';
import type { TokenStore } from '../tokenStore';
import type { TreeNode } from '../commandArgs';

/** The services every command handler may use; built once in the composition root. */
export interface CommandContext {
  readonly host: StudioHost;
  readonly config: ConfigService;
  readonly tokens: TokenStore;
  readonly network: HubNetwork;
  readonly errors: ErrorReporter;
  readonly log: vscode.LogOutputChannel;
  readonly trees: ReadonlyMap<RepoKind, { readonly provider: EntryTreeProvider; readonly view: vscode.TreeView<TreeNode> }>;
  /** The one implementation of every entry action, shared with the Studio panel. */
  readonly actions: EntryActions;
  readonly ui: ActionUi;
  /** The Cache view and its actions (shared with the Studio panel's Cache tab). */
  readonly cache: { readonly provider: CacheTreeProvider; readonly view: vscode.TreeView<CacheNode> };
  readonly cacheActions: CacheActions;
}
