import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../src/core/catalog';
import { Emitter } from '../../../src/core/events';
import type { StudioApi } from '../../../src/core/studioTypes';
import { DownloadNotifier, type NotifierUi } from '../../../src/host/downloadNotifier';
import type { ProgressStep } from '../../../src/host/notificationProgress';
import { FakeStudio } from './fakeStudio';

interface ShownProgress {
  title: string;
  steps: ProgressStep[];
  cancel?: () => void;
  settled: boolean;
}

class FakeUi implements NotifierUi {
  readonly shown: ShownProgress[] = [];
  readonly statuses: string[] = [];
  readonly failures: CatalogEntry[] = [];
  readonly logs: string[] = [];

  progress(title: string, task: (report: (s: ProgressStep) => void, onCancel: (l: () => void) => void) => Promise<void>): void {
    const shown: ShownProgress = { title, steps: [], settled: false };
    this.shown.push(shown);
    void task(
      (s) => shown.steps.push(s),
      (l) => (shown.cancel = l),
    ).then(() => (shown.settled = true));
  }
  status(text: string): void {
    this.statuses.push(text);
  }
  downloadFailed(entry: CatalogEntry): void {
    this.failures.push(entry);
  }
  log(message: string): void {
    this.logs.push(message);
  }
}

function setup(): { fake: FakeStudio; ui: FakeUi; notifier: DownloadNotifier; opened: Emitter<StudioApi> } {
  const fake = new FakeStudio();
  const api = fake.asApi();
  const opened = new Emitter<StudioApi>();
  const ui = new FakeUi();
  const notifier = new DownloadNotifier({ onDidChangeEntry: fake.entryEvents.event, onDidProgress: fake.progressEvents.event, onDidOpen: opened.event, current: api }, ui);
  return { fake, ui, notifier, opened };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function progress(fraction: number) {
  return { bytesDone: fraction * 1000, bytesTotal: 1000, fraction, bytesPerSecond: 100, etaSeconds: 5, waitingFiles: 0 };
}

describe('DownloadNotifier', () => {
  it('shows one notification per download, whose increments add up to 100 when it is ready', async () => {
    const { fake, ui } = setup();
    fake.add({ id: 'a', status: 'queued', repoId: 'org/a' });
    fake.set('a', { status: 'downloading' });
    for (const f of [0.1, 0.35, 0.8]) {
      fake.progressEvents.fire({ entryId: 'a', progress: progress(f) });
      await new Promise((r) => setTimeout(r, 260));
    }
    fake.set('a', { status: 'ready', bytesTotal: 1000 });
    await tick();
    expect(ui.shown).toHaveLength(1);
    expect(ui.shown[0]!.title).toBe('Downloading org/a');
    expect(ui.shown[0]!.steps.reduce((sum, s) => sum + s.increment, 0)).toBe(100);
    expect(ui.shown[0]!.steps[0]!.message).toMatch(/^Queued/);
    expect(ui.shown[0]!.settled).toBe(true);
    expect(ui.statuses).toEqual(['$(pass) Downloaded org/a (1.0 kB)']);
  });

  it('Cancel in the notification reaches studio.cancel, closes the notification and shows no error', async () => {
    const { fake, ui } = setup();
    fake.add({ id: 'a', status: 'downloading', repoId: 'org/a' });
    await tick();
    ui.shown[0]!.cancel!();
    await tick();
    expect(fake.calls).toEqual(['cancel a']);
    expect(ui.shown[0]!.settled).toBe(true);
    expect(ui.failures).toEqual([]);
    expect(ui.statuses).toEqual(['$(circle-slash) Cancelled org/a']);
  });

  it('closes the notification even when the cancel itself fails', async () => {
    const { fake, ui } = setup();
    fake.cancelImpl = async () => {
      throw new Error('disk gone');
    };
    fake.add({ id: 'a', status: 'downloading' });
    ui.shown[0]!.cancel!();
    await tick();
    expect(ui.shown[0]!.settled).toBe(true);
    expect(ui.logs.some((l) => l.includes('disk gone'))).toBe(true);
  });

  it('reports a failure once, with the failed entry', async () => {
    const { fake, ui } = setup();
    fake.add({ id: 'a', status: 'downloading' });
    fake.set('a', { status: 'error', errorCode: 'Gated', errorMessage: 'gated' });
    fake.set('a', { status: 'error', errorCode: 'Gated', errorMessage: 'gated' });
    await tick();
    expect(ui.failures.map((e) => e.errorCode)).toEqual(['Gated']);
    expect(ui.shown[0]!.settled).toBe(true);
  });

  it('closes quietly on pause and on delete', async () => {
    const { fake, ui } = setup();
    fake.add({ id: 'a', status: 'downloading', repoId: 'org/a' });
    fake.add({ id: 'b', status: 'downloading', repoId: 'org/b' });
    fake.set('a', { status: 'paused' });
    fake.remove('b');
    await tick();
    expect(ui.shown.every((s) => s.settled)).toBe(true);
    expect(ui.failures).toEqual([]);
    expect(ui.statuses).toEqual(['$(debug-pause) Paused org/a']);
  });

  it('does not track entries that are not running, and tracks a resumed one again', async () => {
    const { fake, ui } = setup();
    fake.add({ id: 'a', status: 'ready' });
    expect(ui.shown).toHaveLength(0);
    fake.set('a', { status: 'queued' });
    fake.set('a', { status: 'downloading' });
    expect(ui.shown).toHaveLength(1);
  });

  it('picks up downloads already running in an engine that just opened (resume at startup)', () => {
    const { fake, ui, opened } = setup();
    fake.entries.set('x', { ...fake.add({ id: 'x', status: 'ready' }), status: 'downloading' });
    opened.fire(fake.asApi());
    expect(ui.shown.map((s) => s.title)).toEqual(['Downloading org/tiny-gpt2']);
  });

  it('names a non-main revision in the title', () => {
    const { fake, ui } = setup();
    fake.add({ id: 'a', status: 'queued', repoId: 'org/sae', revision: 'v1.0' });
    expect(ui.shown[0]!.title).toBe('Downloading org/sae@v1.0');
  });

  it('dispose closes every notification', async () => {
    const { fake, ui, notifier } = setup();
    fake.add({ id: 'a', status: 'downloading' });
    notifier.dispose();
    await tick();
    expect(ui.shown[0]!.settled).toBe(true);
  });
});
