import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CatalogEntry, EntryStatus } from '../../../src/core/catalog';
import type { StudioApi } from '../../../src/core/studioTypes';
import type { MistudioApi } from '../../../src/extension';
import type { RenderedRow } from '../../../src/host/entryTree';
import { TREE_PROBE_COMMAND } from '../../../src/host/commandIds';
import { demoRepos } from '../../fake-hub/demo';
import { startFakeHub, type FakeHub, type FakeHubOptions, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';

export const EXTENSION_ID = 'mistudio.mistudio';
export const BIG_MODEL = 'mistudio-test/big-model';

export async function activateApi(): Promise<MistudioApi> {
  const extension = vscode.extensions.getExtension<MistudioApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

/** A model with one large LFS file, for downloads that must still be running when a test acts on them. */
export function bigModel(megabytes: number): FakeRepo {
  return {
    kind: 'model',
    id: BIG_MODEL,
    commits: [
      {
        files: [
          { path: 'config.json', content: `${JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] })}\n` },
          { path: 'model.safetensors', content: seededBytes(megabytes * 1024 * 1024, 99), lfs: true },
        ],
      },
    ],
  };
}

/** The fake hub in this extension host, with the demo repos (+ extra ones), and the extension pointed at it. */
export async function startHub(options: FakeHubOptions & { extra?: FakeRepo[] } = {}): Promise<FakeHub> {
  const { extra, ...hubOptions } = options;
  const hub = await startFakeHub({ repos: [...demoRepos(), ...(extra ?? [])], ...hubOptions });
  await setSetting('hubEndpoint', hub.url);
  return hub;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('mistudio').update(key, value, vscode.ConfigurationTarget.Global);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function waitForStatus(studio: StudioApi, entryId: string, statuses: readonly EntryStatus[], timeoutMs = 60_000): Promise<CatalogEntry> {
  return waitFor(`entry ${entryId} to become ${statuses.join(' or ')}`, () => {
    const entry = studio.catalog.getEntry(entryId);
    return entry && statuses.includes(entry.status) ? entry : undefined;
  }, timeoutMs);
}

export async function rows(kind: 'model' | 'dataset'): Promise<RenderedRow[]> {
  return (await vscode.commands.executeCommand<RenderedRow[]>(TREE_PROBE_COMMAND, kind)) ?? [];
}

export function rowFor(list: readonly RenderedRow[], entryId: string): RenderedRow | undefined {
  return list.find((r) => r.id === `mistudio.entry/${entryId}`);
}
