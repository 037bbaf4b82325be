export interface PanelHtmlParts {
  /** `webview.cspSource`: the origin the webview loads local resources from. */
  readonly cspSource: string;
  /** Fresh for every load: only a script carrying it runs. */
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly codiconsUri: string;
}

/**
 * The panel's page: a static shell. The script builds every element from data with DOM calls, so nothing from the
 * catalog or the Hub ever passes through HTML parsing; the only values placed here are our own URIs and the nonce,
 * and they are attribute-escaped anyway.
 */
export function panelHtml(parts: PanelHtmlParts): string {
  const csp = [
    "default-src 'none'",
    `style-src ${parts.cspSource}`,
    `font-src ${parts.cspSource}`,
    `img-src ${parts.cspSource}`,
    `script-src 'nonce-${parts.nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(parts.codiconsUri)}">
<link rel="stylesheet" href="${attr(parts.styleUri)}">
<title>MechInterp Studio</title>
</head>
<body>
<div id="app" class="app" aria-busy="true"></div>
<script nonce="${attr(parts.nonce)}" src="${attr(parts.scriptUri)}"></script>
</body>
</html>
`;
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 128 random bits, base64: unguessable per load. */
export function createNonce(randomBytes: (size: number) => Uint8Array): string {
  let binary = '';
  for (const b of randomBytes(16)) binary += String.fromCharCode(b);
  return btoa(binary);
}
