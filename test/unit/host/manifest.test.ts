import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryContextValue, fileContextValue } from '../../../src/host/capabilities';
import { COMMANDS } from '../../../src/host/commandIds';
import { makeEntry, STATUSES } from './fixtures';
import type { ErrorCode } from '../../../src/core/errors';
import type { InventoryRepo } from '../../../src/core/cacheInventory';
import { partialItem, partialsItem, repoItem, revisionItem } from '../../../src/host/cacheView';

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string; title: string; category?: string; icon?: string }>;
    menus: Record<string, MenuItem[]>;
    views: Record<string, Array<{ id: string }>>;
    viewsWelcome: Array<{ view: string; contents: string }>;
    configuration: { properties: Record<string, unknown> };
  };
};

/** Every context value a row can have: all statuses, with and without an actionable error code, and file rows. */
function allContextValues(): string[] {
  const values: string[] = [];
  for (const kind of ['model', 'dataset'] as const) {
    for (const status of STATUSES) {
      for (const errorCode of [null, 'Gated', 'Unauthorized', 'Offline'] as Array<ErrorCode | null>) {
        values.push(entryContextValue(makeEntry({ kind, status, errorCode })));
      }
    }
  }
  for (const state of ['pending', 'partial', 'verified'] as const) values.push(fileContextValue(makeEntry(), { state }));
  // The Cache view's rows: repos of each kind, revisions held here or not, partial downloads.
  for (const kind of ['model', 'dataset', 'space'] as const) {
    for (const held of [false, true]) {
      const repo = cachedRepo(kind, held);
      values.push(repoItem(repo).contextValue, revisionItem(repo, repo.revisions[0]!).contextValue, partialsItem(repo).contextValue, partialItem(repo, repo.partials[0]!).contextValue);
    }
  }
  return values;
}

function cachedRepo(kind: 'model' | 'dataset' | 'space', held: boolean): InventoryRepo {
  const commit = 'a'.repeat(40);
  return {
    kind,
    repoId: 'org/name',
    path: '/cache/models--org--name',
    sizeOnDisk: 10,
    nbFiles: 1,
    lastAccessed: 0,
    lastModified: 0,
    refs: { main: commit },
    interruptedDeletes: [],
    revisions: [{ commit, refs: ['main'], snapshotPath: '/s', sizeOnDisk: 10, nbFiles: 1, lastModified: 0, entries: held ? [{ entryId: 'e', revision: 'main', status: 'ready' }] : [], otherCatalogs: [] }],
    partials: [{ path: '/p', size: 1, blobId: 'b'.repeat(64), owner: 'foreign', heldBy: null }],
  };
}

/** The row type a menu's viewItem regex names: "entry", "file", "cacheRevision", … */
function rowTypeOf(when: string): string | undefined {
  return /mistudio\[\.\]([a-zA-Z]+)/.exec(when)?.[1];
}

function viewItemRegex(when: string): RegExp | undefined {
  const m = /viewItem =~ \/(.*?)\/(?:\s|$)/.exec(when);
  return m?.[1] ? new RegExp(m[1]) : undefined;
}

describe('package.json contributions', () => {
  const contributed = manifest.contributes.commands.map((c) => c.command);

  it('contributes exactly the commands the extension registers', () => {
    expect([...contributed].sort()).toEqual(Object.values(COMMANDS).sort());
  });

  it('gives every command the category and a codicon', () => {
    for (const c of manifest.contributes.commands) {
      expect(c.category, c.command).toBe('MechInterp Studio');
      expect(c.icon, c.command).toMatch(/^\$\([a-z0-9-]+\)$/);
    }
  });

  it('only puts contributed commands in menus', () => {
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) expect(contributed, `${menu}: ${item.command}`).toContain(item.command);
    }
  });

  it('every item menu matches some row and never the wrong kind of row', () => {
    const values = allContextValues();
    for (const item of manifest.contributes.menus['view/item/context'] ?? []) {
      const regex = viewItemRegex(item.when ?? '');
      expect(regex, `${item.command} has a viewItem regex`).toBeDefined();
      const hits = values.filter((v) => regex!.test(v));
      expect(hits.length, `${item.command} (${item.when}) matches at least one row`).toBeGreaterThan(0);
      const rowType = rowTypeOf(item.when!);
      expect(rowType, item.command).toBeDefined();
      expect(hits.every((v) => v.startsWith(`mistudio.${rowType};`)), item.command).toBe(true);
      // The Cache view's menus are for its rows, and the catalog views' for theirs.
      expect(item.when!.includes('view == mistudio.cache'), item.command).toBe(rowType!.startsWith('cache'));
    }
  });

  it('offers Cancel and Pause inline on running rows and Retry on failed ones', () => {
    const inline = (manifest.contributes.menus['view/item/context'] ?? []).filter((i) => i.group?.startsWith('inline'));
    const inlineFor = (value: string): string[] => inline.filter((i) => viewItemRegex(i.when!)!.test(value)).map((i) => i.command);
    expect(inlineFor(entryContextValue(makeEntry({ status: 'downloading' })))).toEqual(expect.arrayContaining([COMMANDS.cancelDownload, COMMANDS.pauseDownload]));
    expect(inlineFor(entryContextValue(makeEntry({ status: 'paused' })))).toEqual(expect.arrayContaining([COMMANDS.resumeDownload, COMMANDS.cancelDownload]));
    expect(inlineFor(entryContextValue(makeEntry({ status: 'error' })))).toContain(COMMANDS.retry);
    expect(inlineFor(entryContextValue(makeEntry({ status: 'missing' })))).toContain(COMMANDS.redownload);
    expect(inlineFor(entryContextValue(makeEntry({ status: 'ready' })))).not.toContain(COMMANDS.cancelDownload);
  });

  it('has an Open Studio Panel button on both views and activates for the panel', () => {
    const title = manifest.contributes.menus['view/title'] ?? [];
    const panel = title.find((i) => i.command === COMMANDS.openPanel);
    expect(panel?.when).toContain('models|datasets');
    expect(manifest.activationEvents).toContain('onWebviewPanel:mistudio.studio');
  });

  it('welcome content links to commands that exist', () => {
    for (const welcome of manifest.contributes.viewsWelcome) {
      for (const [, id] of welcome.contents.matchAll(/\(command:([\w.]+)\)/g)) expect(contributed).toContain(id);
    }
  });

  it('declares every setting the config module reads', () => {
    const network = ['network.requestTimeoutSeconds', 'network.maxMetadataMB', 'network.maxRepoFiles', 'network.minDownloadSpeedKBps'];
    for (const key of ['hubEndpoint', 'cacheDir', 'maxConcurrentDownloads', 'maxConnectionsPerFile', 'verifyChecksums', 'resumeOnStartup', 'defaultIncludePatterns', ...network]) {
      expect(manifest.contributes.configuration.properties).toHaveProperty([`mistudio.${key}`]);
    }
  });
});
