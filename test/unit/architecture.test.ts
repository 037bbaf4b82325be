import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|cts)$/.test(d.name) ? [full] : [];
  });
}

/**
 * Values of the Fetch API globals (Headers, Request, Response, FormData, the global fetch): touching one loads Node's
 * own copy of undici, +12 MB of RSS in a process that already fetches through the package's (src/core/net/undici.ts).
 * Types (`Response`, `typeof fetch`) cost nothing; calls on an object (`config.fetch(…)`) are the package's.
 */
const FETCH_GLOBAL_VALUE = /\bnew\s+(?:globalThis\.)?(?:Headers|Request|Response|FormData)\s*\(|(?<![.\w])(?:globalThis\.)?fetch\s*\(/;

const IMPORTS_VSCODE = /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

describe('architecture', () => {
  it('src/core never imports vscode (the CLI and tests run it without VS Code)', () => {
    const files = sourceFiles(path.join(__dirname, '..', '..', 'src', 'core'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => IMPORTS_VSCODE.test(fs.readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('src/core never touches the Fetch API globals, nor imports undici through its index', () => {
    // Declaration files have no run time; undiciModules.d.ts describes the parts with the index's types.
    const files = sourceFiles(path.join(__dirname, '..', '..', 'src', 'core')).filter((f) => !f.endsWith('.d.ts'));
    const offenders = files.filter((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return FETCH_GLOBAL_VALUE.test(stripComments(text)) || /from\s+['"]undici['"]/.test(importsOfValues(text));
    });
    expect(offenders).toEqual([]);
  });

  it('the Fetch API check recognises the values and lets types and member calls through', () => {
    for (const line of ['const h = new Headers(extra);', 'await fetch(url);', 'const f = globalThis.fetch(url);', 'new Response(body)', 'new globalThis.Request(url)']) {
      expect(FETCH_GLOBAL_VALUE.test(line), line).toBe(true);
    }
    for (const line of ['readonly fetch: typeof globalThis.fetch;', 'const r: Response = await config.fetch(url);', 'sharedFetch(input, init)', 'function f(x: Headers) {}']) {
      expect(FETCH_GLOBAL_VALUE.test(line), line).toBe(false);
    }
    expect(/from\s+['"]undici['"]/.test(importsOfValues("import type { Dispatcher } from 'undici';"))).toBe(false);
    expect(/from\s+['"]undici['"]/.test(importsOfValues("import { Agent } from 'undici';"))).toBe(true);
  });

  it('the check itself recognises every form of importing vscode', () => {
    for (const line of ["import * as vscode from 'vscode';", 'import type { Uri } from "vscode";', "const v = require('vscode');", "await import('vscode')"]) {
      expect(IMPORTS_VSCODE.test(line), line).toBe(true);
    }
    expect(IMPORTS_VSCODE.test("import { x } from './vscodeish';")).toBe(false);
  });
});

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** The source without its type-only imports. */
function importsOfValues(text: string): string {
  return text.replace(/^import\s+type\s[^;]+;/gm, '');
}
