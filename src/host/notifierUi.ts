import * as vscode from 'vscode';
import { repoUrl } from '../core/repo';
import type { NotifierUi } from './downloadNotifier';
import type { ErrorReporter } from './errorReporter';
import type { StudioHost } from './studioHost';

const STATUS_MS = 5_000;

/** The VS Code side of DownloadNotifier: a cancellable notification per download, status-bar lines, error toasts. */
export function vscodeNotifierUi(host: StudioHost, errors: ErrorReporter, log: vscode.LogOutputChannel): NotifierUi {
  return {
    progress(title, task) {
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
        task(
          (step) => progress.report(step.increment > 0 ? step : { message: step.message }),
          (listener) => {
            token.onCancellationRequested(listener);
          },
        ),
      );
    },
    status(text) {
      vscode.window.setStatusBarMessage(text, STATUS_MS);
    },
    downloadFailed(entry) {
      void errors.show(
        { code: entry.errorCode, message: entry.errorMessage ?? 'The download failed' },
        { repoId: entry.repoId, repoUrl: repoUrl(host.endpoint, entry) },
        async () => (await host.get()).resume(entry.id),
      );
    },
    log(message) {
      log.info(message);
    },
  };
}

/** While cleanup jobs free disk space after a Delete, the status bar shows a spinner; the views updated already. */
export class CleanupProgress implements vscode.Disposable {
  private finish: (() => void) | undefined;
  private readonly subscription: { dispose(): void };

  constructor(host: StudioHost) {
    this.subscription = host.onDidChangeCleanup(({ running }) => {
      if (running > 0 && !this.finish) {
        const done = new Promise<void>((resolve) => (this.finish = resolve));
        void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'MechInterp Studio: freeing disk space' }, () => done);
      } else if (running === 0 && this.finish) {
        this.finish();
        this.finish = undefined;
      }
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.finish?.();
    this.finish = undefined;
  }
}
