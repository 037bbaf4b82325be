// The Studio panel's script (built to dist/webview.js, with styles.css as dist/webview.css).
import type { WebviewMessage } from '../shared/protocol';
import { App } from './app';
import { HostClient, type HostPort } from './client';
import type { PersistedState } from './state';
import { getVsCodeApi } from './vscodeApi';
import './styles.css';

const vscode = getVsCodeApi<PersistedState>();

const port: HostPort = {
  post: (message: WebviewMessage) => vscode.postMessage(message),
  listen: (listener) => {
    const onMessage = (event: MessageEvent): void => listener(event.data);
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  },
};

const root = document.getElementById('app');
if (root) {
  const app = new App(root, new HostClient(port), { load: () => vscode.getState(), save: (state) => vscode.setState(state) });
  void app.start();
}
