import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceFileAtomically, writeFileAtomic, type AtomicWriteIo } from '../../../src/core/cache/fsUtil';
import { isMistudioError } from '../../../src/core/errors';
import { makeTempDir, removeDir } from './fixtures';

// The one atomic write of core (cache records, refs, tree listings, the catalog's image and log header).
let dir: string;
beforeEach(() => {
  dir = makeTempDir('mistudio-atomic-');
});
afterEach(() => removeDir(dir));

/** Node's file system, logging what is done to which file, in order; `failRename` makes the rename fail. */
function loggingIo(failRename?: string): { io: AtomicWriteIo; log: string[] } {
  const log: string[] = [];
  const name = (file: string): string => path.basename(file);
  const io: AtomicWriteIo = {
    open: async (file, flags) => {
      const handle = await fsp.open(file, flags);
      log.push(`open ${name(file)} ${flags}`);
      return {
        writeFile: async (data) => {
          log.push(`write ${name(file)}`);
          await handle.writeFile(data);
        },
        sync: async () => {
          log.push(`sync ${name(file)}`);
          await handle.sync();
        },
        close: () => handle.close(),
      };
    },
    rename: async (from, to) => {
      if (failRename) throw Object.assign(new Error(`${failRename}: simulated`), { code: failRename });
      log.push(`rename ${name(from)} ${name(to)}`);
      await fsp.rename(from, to);
    },
    unlink: async (file) => {
      log.push(`unlink ${name(file)}`);
      await fsp.unlink(file);
    },
  };
  return { io, log };
}

describe('replaceFileAtomically', () => {
  it('writes and syncs a temp file, renames it over the file, then syncs the folder: old or new, never half', async () => {
    const dest = path.join(dir, 'ref');
    fs.writeFileSync(dest, 'old');
    const { io, log } = loggingIo();
    await replaceFileAtomically(dest, 'new', { tempPath: path.join(dir, 'ref.tmp'), io });
    expect(fs.readFileSync(dest, 'utf8')).toBe('new');
    expect(fs.readdirSync(dir)).toEqual(['ref']);
    const folder = path.basename(dir);
    expect(log).toEqual(['open ref.tmp wx', 'write ref.tmp', 'sync ref.tmp', 'rename ref.tmp ref', `open ${folder} r`, `sync ${folder}`]);
  });

  it('a failure keeps the old content, removes the temp file and reports a full disk as NoSpace in the caller’s words', async () => {
    const dest = path.join(dir, 'catalog.sqlite');
    fs.writeFileSync(dest, 'old');
    const { io } = loggingIo('ENOSPC');
    const error = await replaceFileAtomically(dest, new Uint8Array([1, 2, 3]), { tempPath: `${dest}.tmp-1-1`, io, failure: `Cannot save the catalog to ${dest}` }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'NoSpace')).toBe(true);
    expect((error as Error).message).toBe(`Cannot save the catalog to ${dest}: the disk is full`);
    expect(fs.readFileSync(dest, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['catalog.sqlite']);
  });

  it('never writes through a link planted at the temp path, and replaces a dead process’s leftover temp file', async () => {
    const dest = path.join(dir, 'holder.json');
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious');
    const temp = path.join(dir, 'holder.json.tmp');
    fs.symlinkSync(victim, temp);
    await replaceFileAtomically(dest, '{}', { tempPath: temp });
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    expect(fs.readFileSync(dest, 'utf8')).toBe('{}');
    expect(fs.lstatSync(dest).isSymbolicLink()).toBe(false);

    fs.writeFileSync(temp, 'left by a crashed writer');
    await replaceFileAtomically(dest, '{"v":2}', { tempPath: temp });
    expect(fs.readFileSync(dest, 'utf8')).toBe('{"v":2}');
    expect(fs.existsSync(temp)).toBe(false);
  });
});

describe('writeFileAtomic', () => {
  it('uses a fresh temp name in the given folder and leaves nothing behind', async () => {
    const repoDir = path.join(dir, 'models--org--name');
    fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    await writeFileAtomic(path.join(repoDir, 'refs', 'main'), 'a'.repeat(40), repoDir);
    expect(fs.readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe('a'.repeat(40));
    expect(fs.readdirSync(repoDir)).toEqual(['refs']);
  });
});
