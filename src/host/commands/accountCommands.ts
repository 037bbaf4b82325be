import * as vscode from 'vscode';
import { describeError, isMistudioError } from '../../core/errors';
import { HubClient, resolveToken, type HubUser } from '../../core/hub';
import { validateTokenShape } from '../tokenStore';
import type { CommandContext } from './context';

export const SIGNED_IN_CONTEXT_KEY = 'mistudio.signedIn';

/**
 * Sign In: the token is checked with the Hub's whoami before it is stored, so a typo never replaces a working token.
 * Resolves true when a token was stored.
 */
export async function signIn(ctx: CommandContext): Promise<boolean> {
  const endpoint = ctx.host.endpoint;
  const token = await vscode.window.showInputBox({
    title: 'Sign In to Hugging Face',
    prompt: `Paste an access token from ${endpoint}/settings/tokens (a "read" token is enough). It is kept in VS Code's secret storage.`,
    placeHolder: 'hf_…',
    password: true,
    ignoreFocusOut: true,
    validateInput: validateTokenShape,
  });
  if (token === undefined) return false;
  let user: HubUser;
  try {
    user = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Checking the token with the Hub…', cancellable: true },
      (_progress, cancellation) => {
        const controller = new AbortController();
        const listener = cancellation.onCancellationRequested(() => controller.abort());
        const hub = new HubClient({ endpoint, token: token.trim(), fetch: ctx.network.fetch });
        return hub.whoAmI(controller.signal).finally(() => listener.dispose());
      },
    );
  } catch (err) {
    if (isMistudioError(err, 'Unauthorized')) {
      const again = await vscode.window.showErrorMessage(`The Hub at ${endpoint} did not accept this token; nothing was stored.`, 'Try Again');
      return again ? signIn(ctx) : false;
    }
    void ctx.errors.report(err, {}, () => signIn(ctx));
    return false;
  }
  await ctx.tokens.store(token);
  ctx.log.info(`Signed in to ${endpoint} as ${user.name}${user.tokenRole ? ` (${user.tokenRole} token)` : ''}`);
  void vscode.window.showInformationMessage(`Signed in to Hugging Face as ${user.fullname ? `${user.fullname} (${user.name})` : user.name}.`);
  return true;
}

export async function signOut(ctx: CommandContext): Promise<void> {
  const stored = await ctx.tokens.stored();
  if (!stored) {
    void vscode.window.showInformationMessage('No token is stored in VS Code.');
    return;
  }
  await ctx.tokens.clear();
  ctx.log.info('Signed out: the stored token was removed');
  const fallback = await resolveToken().catch((err: unknown) => {
    ctx.log.warn(describeError(err));
    return undefined;
  });
  void vscode.window.showInformationMessage(
    fallback
      ? 'Signed out. The token from HF_TOKEN or the Hugging Face token file (hf auth login) is still used.'
      : 'Signed out of Hugging Face.',
  );
}

/** Keeps the `mistudio.signedIn` context key (which shows Sign Out) in step with the stored token. */
export async function updateSignedInContext(ctx: Pick<CommandContext, 'tokens'>): Promise<void> {
  const stored = await ctx.tokens.stored();
  await vscode.commands.executeCommand('setContext', SIGNED_IN_CONTEXT_KEY, stored !== undefined);
}
