import { vi } from 'vitest';
import { CacheActions } from '../../../src/host/actions/cacheActions';
import { EntryActions } from '../../../src/host/actions/entryActions';
import { PanelRouter } from '../../../src/host/panel/router';
import type { HostMessage, ParamsOf, RequestMethod, Response } from '../../../src/shared/protocol';
import { fakeActionUi, type FakeActionUi } from '../host/fakeActionUi';
import { createFakeStudio, type FakeStudio } from './fakeStudio';

export interface Harness {
  studio: FakeStudio;
  router: PanelRouter;
  posted: HostMessage[];
  ui: FakeActionUi;
  log: { trace: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };
  onReady: ReturnType<typeof vi.fn>;
  /** Times the shared CacheActions said the cache changed (the Cache tree reads it again then). */
  cacheChanges(): number;
  call<M extends RequestMethod>(method: M, params: ParamsOf<M>): Promise<Response>;
  send(raw: unknown): Promise<HostMessage[]>;
}

export const ENDPOINT = 'http://127.0.0.1:9';
let open: FakeStudio[] = [];

/** A PanelRouter over the fake engine, with the real EntryActions and CacheActions over a mocked ActionUi. */
export async function setup(): Promise<Harness> {
  const studio = await createFakeStudio();
  open.push(studio);
  const posted: HostMessage[] = [];
  const ui = fakeActionUi();
  const log = { trace: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const actions = new EntryActions({ studio: async () => studio, endpoint: () => ENDPOINT, ui, log: { info: () => undefined } });
  let changes = 0;
  const cacheActions = new CacheActions({ studio: async () => studio, ui, log: { info: () => undefined, warn: () => undefined }, onDidChangeCache: () => changes++ });
  const onReady = vi.fn();
  const router = new PanelRouter(
    { studio: async () => studio, endpoint: () => ENDPOINT, defaultInclude: () => ['*.json', '*.safetensors'], actions, cacheActions, openExternal: ui.openExternal, log, cleanupRunning: () => 2, onReady },
    (m) => posted.push(m),
  );
  let nextId = 100;
  return {
    studio,
    router,
    posted,
    ui,
    log,
    onReady,
    cacheChanges: () => changes,
    async call(method, params) {
      const id = nextId++;
      await router.receive({ type: 'request', id, method, params });
      const response = posted.find((m): m is Response => m.type === 'response' && m.id === id);
      if (!response) throw new Error(`no response to ${method}`);
      return response;
    },
    async send(raw) {
      const before = posted.length;
      await router.receive(raw);
      return posted.slice(before);
    },
  };
}

export async function closeRouters(): Promise<void> {
  for (const s of open) await s.close();
  open = [];
}

export function ok<T>(response: Response): T {
  if (!response.ok) throw new Error(`expected success, got ${response.error.code}: ${response.error.message}`);
  return response.result as T;
}

export function failed(response: Response): { code: string; message: string } {
  if (response.ok) throw new Error('expected an error response');
  return response.error;
}
