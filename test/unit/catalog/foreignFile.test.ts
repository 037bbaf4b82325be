import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { makeTempDir, openFile, wasmPath } from './helpers';

/** Which unreadable files are moved aside as damaged catalogs, and which are someone else's and left alone. */
describe('a catalog path that holds something else', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = makeTempDir()));
  afterEach(() => cleanup());

  async function foreignDatabase(): Promise<Buffer> {
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const db = new SQL.Database();
    db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')");
    const bytes = Buffer.from(db.export());
    db.close();
    return bytes;
  }

  async function expectRefusedUntouched(name: string, content: Buffer, message: RegExp): Promise<void> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const mtime = fs.statSync(file).mtimeMs;
    const err = await openFile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMistudioError(err, 'InvalidInput'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('left untouched');
    expect(fs.readFileSync(file).equals(content)).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(dir)).toEqual([name]);
  }

  async function expectMovedAside(name: string, content: Buffer): Promise<void> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const { catalog, warnings } = await openFile(file);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/moved to .*\.corrupt-/);
    await catalog.close();
    const moved = fs.readdirSync(dir).filter((n) => n.startsWith(`${name}.corrupt-`));
    expect(moved).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, moved[0]!)).equals(content)).toBe(true);
  }

  it('a text file (notes.txt) is refused and left as it was', async () => {
    await expectRefusedUntouched('notes.txt', Buffer.from('my notes\n'.repeat(50)), /notes\.txt as the catalog: it is not a SQLite database/);
  });

  it('a file without an extension, and binary garbage, are refused too', async () => {
    await expectRefusedUntouched('catalog', Buffer.from([0, 1, 2, 3, 255, 254]), /not a SQLite database/);
  });

  it('another program’s healthy database is refused unless it sits under our name', async () => {
    const foreign = await foreignDatabase();
    await expectRefusedUntouched('app.db', foreign, /another program’s SQLite database/);
    fs.rmSync(path.join(dir, 'app.db'));
    await expectRefusedUntouched('places.sqlite', foreign, /another program’s SQLite database/);
    fs.rmSync(path.join(dir, 'places.sqlite'));
    await expectMovedAside('catalog.sqlite', foreign);
  });

  it('a torn SQLite image is a damaged catalog whatever its name: moved aside', async () => {
    const torn = (await foreignDatabase()).subarray(0, 1000);
    await expectMovedAside('my-catalog.db', Buffer.from(torn));
  });

  it('garbage under the catalog extension (*.sqlite) is moved aside', async () => {
    await expectMovedAside('work.sqlite', Buffer.from('not a database\n'));
  });

  it('an empty file of any name becomes a fresh catalog', async () => {
    const file = path.join(dir, 'empty.txt');
    fs.writeFileSync(file, '');
    const { catalog, warnings } = await openFile(file);
    expect(warnings).toEqual([]);
    await catalog.close();
  });
});
