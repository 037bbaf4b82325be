import { readFile } from 'node:fs/promises';
import type { SqlJsStatic } from 'sql.js';
import { MistudioError, describeError } from '../errors';

const engines = new Map<string, Promise<SqlJsStatic>>();

/**
 * Loads the SQLite WebAssembly engine once per process per wasm file; later callers share the module.
 * Loading is lazy (dynamic import) so importing the catalog costs nothing until a catalog is opened.
 */
export function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  let engine = engines.get(wasmPath);
  if (!engine) {
    engine = instantiate(wasmPath);
    engines.set(wasmPath, engine);
    // A failed load (missing file) must not poison later attempts.
    engine.catch(() => engines.delete(wasmPath));
  }
  return engine;
}

async function instantiate(wasmPath: string): Promise<SqlJsStatic> {
  let wasm: Buffer;
  try {
    wasm = await readFile(wasmPath);
  } catch (err) {
    throw new MistudioError('Io', `Cannot load the SQLite engine from ${wasmPath}: ${describeError(err)}`, { path: wasmPath }, { cause: err });
  }
  const { default: initSqlJs } = await import('sql.js');
  try {
    const binary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer;
    return await initSqlJs({ wasmBinary: binary });
  } catch (err) {
    throw new MistudioError('Io', `Cannot start the SQLite engine from ${wasmPath}: ${describeError(err)}`, { path: wasmPath }, { cause: err });
  }
}
