/**
 * The VS Code UI that actions need — dialogs, the clipboard, the OS file manager, the browser, short notes — behind
 * an interface, so the one action layer is unit-tested without VS Code (vscodeActionUi.ts is the real one).
 */
export interface ActionUi {
  /** A modal warning with one button besides Cancel; true when the user chose the button. */
  confirm(message: string, detail: string, button: string): Promise<boolean>;
  copy(text: string, what: string): Promise<void>;
  openExternal(url: string): Promise<void>;
  /** Shows a file or folder in the OS file manager where the window runs next to the files; else offers what works. */
  reveal(path: string): Promise<void>;
  openFolderInNewWindow(path: string): Promise<void>;
  /** A short information message (something was skipped, nothing to do). */
  info(message: string): void;
  /** A transient status bar message after an action. */
  status(message: string): void;
  /** A message with buttons; resolves with the chosen one. Does not wait for an answer when there are no buttons. */
  ask(severity: 'info' | 'warning' | 'error', message: string, ...buttons: string[]): Promise<string | undefined>;
  /**
   * Long work in a notification with a Cancel button: `report` updates its text and how far along it is (0..1), the
   * signal aborts on Cancel.
   */
  withProgress<T>(title: string, task: (report: (message: string, fraction?: number) => void, signal: AbortSignal) => Promise<T>): Promise<T>;
}
