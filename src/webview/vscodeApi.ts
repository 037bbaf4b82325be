/** The part of the webview API VS Code injects (`acquireVsCodeApi`), typed for what the panel uses. */
export interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export function getVsCodeApi<State>(): VsCodeApi<State> {
  return acquireVsCodeApi<State>();
}
