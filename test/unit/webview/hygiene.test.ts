import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNonce, panelHtml } from '../../../src/host/panel/html';

const root = path.resolve(__dirname, '../../..');
const webviewDir = path.join(root, 'src/webview');

function sources(dir: string, ext: string): { file: string; text: string }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => ({ file: f, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

const parts = {
  cspSource: 'https://abc.vscode-cdn.net',
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2U=',
  scriptUri: 'https://abc.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://abc.vscode-cdn.net/ext/dist/webview.css',
  codiconsUri: 'https://abc.vscode-cdn.net/ext/dist/codicons/codicon.css',
};

describe('panel HTML', () => {
  it('locks the page down with a CSP: nothing by default, our origin for styles and fonts, scripts only with the nonce', () => {
    const html = panelHtml(parts);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1]?.replaceAll('&#39;', "'");
    expect(csp).toBeDefined();
    const directives = Object.fromEntries((csp as string).split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual([`'nonce-${parts.nonce}'`]);
    expect(directives['style-src']).toEqual([parts.cspSource]);
    expect(directives['font-src']).toEqual([parts.cspSource]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\/(?!abc\.vscode-cdn\.net)|\*/);
  });

  it('has one script, carrying the nonce, and no inline handlers', () => {
    const html = panelHtml(parts);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain(`<script nonce="${parts.nonce}" src="${parts.scriptUri}"></script>`);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).toContain(`href="${parts.codiconsUri}"`);
  });

  it('escapes what it places in attributes', () => {
    const html = panelHtml({ ...parts, scriptUri: 'x"><script>alert(1)</script>' });
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('x&quot;&gt;&lt;script&gt;');
  });

  it('makes a fresh 128-bit nonce for every load', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => createNonce((n) => randomBytes(n))));
    expect(nonces.size).toBe(50);
    for (const n of nonces) expect(Buffer.from(n, 'base64')).toHaveLength(16);
  });
});

describe('webview sources', () => {
  it('never build HTML from strings', () => {
    for (const { file, text } of sources(webviewDir, '.ts')) {
      expect(text, file).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/);
      expect(text, file).not.toMatch(/\beval\(|new Function\(/);
    }
  });

  it('load nothing from the network', () => {
    for (const { file, text } of [...sources(webviewDir, '.ts'), ...sources(webviewDir, '.css')]) {
      expect(text, file).not.toMatch(/https?:\/\//);
    }
  });

  it('use no retired webview-ui-toolkit', () => {
    for (const { file, text } of sources(webviewDir, '.ts')) expect(text, file).not.toMatch(/webview-ui-toolkit/);
  });

  it('take every colour from --vscode-* theme variables', () => {
    const css = fs.readFileSync(path.join(webviewDir, 'styles.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const variables = [...css.matchAll(/var\((--[\w-]+)/g)].map((m) => m[1]);
    expect(variables.length).toBeGreaterThan(30);
    for (const v of variables) expect(v).toMatch(/^--vscode-/);
    expect(css).not.toMatch(/#[0-9a-f]{3,8}\b/i);
    expect(css).not.toMatch(/\b(rgba?|hsla?|hwb|lab|lch|oklch|color-mix)\(/i);
    const colorValues = [...css.matchAll(/(?:^|[;{\s])(color|background(?:-color)?|border(?:-[a-z]+)?(?:-color)?|outline(?:-color)?|fill|stroke)\s*:\s*([^;]+);/g)].map((m) => m[2] ?? '');
    for (const value of colorValues) {
      let bare = value;
      while (/var\(/.test(bare)) bare = bare.replace(/var\([^()]*\)/g, ''); // innermost first: fallbacks nest
      const words = bare.split(/[\s,]+/).filter(Boolean);
      for (const word of words) expect(word, value).toMatch(/^(transparent|none|currentColor|inherit|solid|dashed|\d+(\.\d+)?(px|%)?|0|!important)$/);
    }
  });
});
