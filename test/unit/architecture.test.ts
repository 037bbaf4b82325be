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

const IMPORTS_VSCODE = /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

describe('architecture', () => {
  it('src/core never imports vscode (the CLI and tests run it without VS Code)', () => {
    const files = sourceFiles(path.join(__dirname, '..', '..', 'src', 'core'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => IMPORTS_VSCODE.test(fs.readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the check itself recognises every form of importing vscode', () => {
    for (const line of ["import * as vscode from 'vscode';", 'import type { Uri } from "vscode";', "const v = require('vscode');", "await import('vscode')"]) {
      expect(IMPORTS_VSCODE.test(line), line).toBe(true);
    }
    expect(IMPORTS_VSCODE.test("import { x } from './vscodeish';")).toBe(false);
  });
});
