import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const GOOD_TOKEN = 'hf_alice_read';
export const GATED_TOKEN = 'hf_bob_gated';
export const TOKENS = { [GOOD_TOKEN]: { user: 'alice' }, [GATED_TOKEN]: { user: 'bob', canAccessGated: true } };

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function auth(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
