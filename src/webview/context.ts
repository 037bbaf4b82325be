import type { RepoKind } from '../core/repo';
import type { EntryAction, EntryRow, Snapshot } from '../shared/protocol';
import type { HostClient } from './client';
import type { Tab } from './state';

/** What the views share: the host connection and the app's navigation, messages and actions. */
export interface AppContext {
  readonly client: HostClient;
  /** The last snapshot from the host (undefined until the handshake finished). */
  snapshot(): Snapshot | undefined;
  /** A short message in the status region; errors are announced assertively. */
  notify(message: string, kind?: 'info' | 'error'): void;
  runAction(entry: EntryRow, action: EntryAction): Promise<void>;
  showDetail(entryId: string): void;
  showPlan(kind: RepoKind, repoId: string, revision?: string): void;
  showTab(tab: Tab): void;
  /** Leaves a detail or plan page. */
  back(): void;
  /** The view state changed; persist it so a reload restores it. */
  saveState(): void;
}

/** Something shown in the main area. */
export interface View {
  readonly element: HTMLElement;
  /** Became visible (focus its first control when `focus` is true). */
  shown(focus: boolean): void;
  dispose(): void;
}
