import { vi, type Mock } from 'vitest';
import type { ActionUi } from '../../../src/host/actions/actionUi';

/** An ActionUi whose every method is a mock: confirmations say yes unless told otherwise. */
export type FakeActionUi = { [K in keyof ActionUi]: Mock<ActionUi[K]> };

export function fakeActionUi(): FakeActionUi {
  return {
    confirm: vi.fn(async () => true),
    copy: vi.fn(async () => undefined),
    openExternal: vi.fn(async () => undefined),
    reveal: vi.fn(async () => undefined),
    openFolderInNewWindow: vi.fn(async () => undefined),
    info: vi.fn(() => undefined),
    status: vi.fn(() => undefined),
  };
}
