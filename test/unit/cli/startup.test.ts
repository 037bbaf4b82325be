import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MistudioError } from '../../../src/core/errors';
import { openStudio } from '../../../src/core/studio';
import type { StudioApi, StudioOptions } from '../../../src/core/studioTypes';
import { cli, scratch } from './helpers';

describe('CLI start-up', () => {
  let home: ReturnType<typeof scratch>;
  let env: NodeJS.ProcessEnv;
  let catalogDir: string;

  beforeEach(() => {
    home = scratch();
    catalogDir = path.join(home.dir, 'not-yet', 'catalog-folder');
    // Nothing listens there: a test that reached the network would fail as Offline, not as a usage error.
    env = { ...home.env, MISTUDIO_CATALOG: path.join(catalogDir, 'catalog.sqlite'), HF_ENDPOINT: 'http://127.0.0.1:9' };
  });
  afterEach(() => home.cleanup());

  it('a bad repo id or revision is refused before the catalog is opened: no catalog folder appears', async () => {
    for (const argv of [
      ['download', '../etc/passwd'],
      ['download', 'org/name', '--revision', '../../x'],
      ['rm', 'org/..'],
      ['rm', 'org/name', '--dataset', '--revision', 'main.lock'],
    ]) {
      const r = await cli(argv, env);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^mistudio: error: Invalid (repo id|revision)/);
      expect(fs.existsSync(path.join(home.dir, 'not-yet')), argv.join(' ')).toBe(false);
    }
    expect(fs.readdirSync(home.dir)).toEqual([]);
  });

  it('--catalog naming a text file is refused in one line and the file is left alone', async () => {
    const notes = path.join(home.dir, 'notes.txt');
    fs.writeFileSync(notes, 'important notes\n');
    const r = await cli(['list', '--catalog', notes], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mistudio: error: Refusing to use .*notes\.txt as the catalog: it is not a SQLite database; the file was left untouched/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(notes, 'utf8')).toBe('important notes\n');
    expect(fs.readdirSync(home.dir)).toEqual(['notes.txt']);
  });

  it('a reconcile that throws still closes the studio, and the error is one line', async () => {
    const opened: StudioApi[] = [];
    let closes = 0;
    const failingOpen = async (options: StudioOptions): Promise<StudioApi> => {
      const studio = await openStudio(options);
      opened.push(studio);
      const close = studio.close.bind(studio);
      return Object.assign(Object.create(studio) as StudioApi, {
        reconcile: () => Promise.reject(new MistudioError('Io', 'reconcile broke')),
        close: () => {
          closes += 1;
          return close();
        },
      });
    };
    const r = await cli(['list'], env, { openStudio: failingOpen });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('mistudio: error: reconcile broke\n');
    expect(opened).toHaveLength(1);
    expect(closes).toBe(1);
    // Closed for real: the studio refuses new work.
    await expect(opened[0]!.enqueue({ kind: 'model', repoId: 'org/name' })).rejects.toThrow(/shutting down/);
  });
});
