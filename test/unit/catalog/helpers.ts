import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCatalog, type Catalog, type OpenCatalogOptions } from '../../../src/core/catalog';

const require = createRequire(import.meta.url);
export const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

/** A temp folder removed by the returned cleanup. */
export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-catalog-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function openInMemory(): Promise<Catalog> {
  return openCatalog({ file: null, wasmPath });
}

export interface OpenedFileCatalog {
  catalog: Catalog;
  warnings: string[];
}

export async function openFile(file: string, options: Partial<OpenCatalogOptions> = {}): Promise<OpenedFileCatalog> {
  const warnings: string[] = [];
  const catalog = await openCatalog({ file, wasmPath, saveDelayMs: 10, onWarning: (m) => warnings.push(m), ...options });
  return { catalog, warnings };
}

export const SHA1 = (n: number): string => n.toString(16).padStart(40, '0');
export const SHA256 = (n: number): string => n.toString(16).padStart(64, '0');
