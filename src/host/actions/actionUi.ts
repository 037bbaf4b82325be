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
}
