import * as vscode from 'vscode';
import { describeError, isMistudioError } from '../core/errors';
import { ERROR_ACTION_LABELS, presentError, problemFrom, type ErrorAction, type Problem, type ProblemContext } from './errorPresentation';

export interface ErrorReporterDeps {
  readonly log: vscode.LogOutputChannel;
  /** Runs the Sign In flow; resolves true when a token was stored. */
  readonly signIn: () => Promise<boolean>;
  readonly signedIn: () => Promise<boolean>;
}

/**
 * Shows failures as one-line notifications with the buttons that fix them (Sign In, Request Access, Retry, Open
 * Settings, Show Log) and writes the details to the log. A cancel is never reported.
 */
export class ErrorReporter {
  constructor(private readonly deps: ErrorReporterDeps) {}

  /** Reports whatever was thrown; `retry` runs the failed action again. */
  async report(err: unknown, context: ProblemContext = {}, retry?: () => Promise<unknown>): Promise<void> {
    const problem = problemFrom(err);
    if (!problem) return;
    if (!isMistudioError(err) && err instanceof Error && err.stack) this.deps.log.error(err.stack);
    await this.show(problem, context, retry);
  }

  async show(problem: Problem, context: ProblemContext = {}, retry?: () => Promise<unknown>): Promise<void> {
    const signedIn = context.signedIn ?? (await this.deps.signedIn().catch(() => false));
    const presentation = presentError(problem, { ...context, signedIn, retryable: retry !== undefined });
    if (!presentation) return;
    this.deps.log.error(`${problem.code ?? 'Error'}${context.repoId ? ` (${context.repoId})` : ''}: ${problem.message}`);
    const labels = presentation.actions.map((a) => ERROR_ACTION_LABELS[a]);
    const picked = await vscode.window.showErrorMessage(presentation.message, ...labels);
    const action = presentation.actions.find((a) => ERROR_ACTION_LABELS[a] === picked);
    if (action) await this.run(action, presentation.url, presentation.setting, retry);
  }

  private async run(action: ErrorAction, url: string | undefined, setting: string | undefined, retry: (() => Promise<unknown>) | undefined): Promise<void> {
    try {
      switch (action) {
        case 'signIn':
          // Signing in is what the failure needed, so the failed action runs again right away.
          if ((await this.deps.signIn()) && retry) await retry();
          break;
        case 'requestAccess':
          if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
          break;
        case 'retry':
          if (retry) await retry();
          break;
        case 'openSettings':
          await vscode.commands.executeCommand('workbench.action.openSettings', setting ?? 'mistudio');
          break;
        case 'showLog':
          this.deps.log.show(true);
          break;
      }
    } catch (err) {
      this.deps.log.error(`${ERROR_ACTION_LABELS[action]}: ${describeError(err)}`);
      await this.report(err, {}, undefined);
    }
  }
}
