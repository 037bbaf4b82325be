// The Studio panel's script (built to dist/webview.js). The panel itself arrives with the webview issue.
export {};
