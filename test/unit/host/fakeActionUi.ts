import { vi, type Mock } from 'vitest';
import type { ActionUi } from '../../../src/host/actions/actionUi';

/** An ActionUi whose every method is a mock: confirmations say yes unless told otherwise. */
export type FakeActionUi = { [K in Exclude<keyof ActionUi, 'withProgress'>]: Mock<ActionUi[K]> } & { withProgress: Mock & ActionUi['withProgress'] };

export function fakeActionUi(): FakeActionUi {
  return {
    confirm: vi.fn(async () => true),
    copy: vi.fn(async () => undefined),
    openExternal: vi.fn(async () => undefined),
    reveal: vi.fn(async () => undefined),
    openFolderInNewWindow: vi.fn(async () => undefined),
    info: vi.fn(() => undefined),
    status: vi.fn(() => undefined),
    ask: vi.fn(async () => undefined),
    // Runs the task at once; its reports go nowhere and nobody cancels.
    withProgress: vi.fn((_title, task) => task(() => undefined, new AbortController().signal)) as Mock & ActionUi['withProgress'],
  };
}
