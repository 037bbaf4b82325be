import { describe, expect, it } from 'vitest';
import type { ProgressSnapshot } from '../../../src/core/progress';
import { entryItem, fileItem, formatCount, md, STATUS_ICONS } from '../../../src/host/entryView';
import { makeEntry, makeFile, STATUSES } from './fixtures';

const join = (base: string, rel: string): string => `${base}/${rel}`;

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return { bytesDone: 430_000, bytesTotal: 1_000_000, fraction: 0.43, bytesPerSecond: 12_300_000, etaSeconds: 80, waitingFiles: 0, ...overrides };
}

describe('entry rows', () => {
  it.each(STATUSES)('renders a %s entry with its own icon, a stable id and its capabilities', (status) => {
    const item = entryItem(makeEntry({ status, errorMessage: status === 'error' ? 'boom' : null }));
    expect(item.id).toBe('mistudio.entry/e1');
    expect(item.label).toBe('tiny-gpt2');
    expect(item.icon).toEqual(STATUS_ICONS[status]);
    expect(item.contextValue).toContain(`status:${status}`);
    expect(item.tooltip).toContain('org/tiny\\-gpt2');
    expect(item.description.length).toBeGreaterThan(0);
  });

  it('gives every status a distinct icon', () => {
    expect(new Set(STATUSES.map((s) => STATUS_ICONS[s].id)).size).toBe(STATUSES.length);
    expect(STATUS_ICONS.downloading.id).toMatch(/~spin$/);
  });

  it('shows live progress as "43% · 12.3 MB/s · 1m 20s left"', () => {
    const item = entryItem(makeEntry({ status: 'downloading', bytesDone: 0, bytesTotal: 1_000_000 }), snapshot());
    expect(item.description).toBe('43% · 12.3 MB/s · 1m 20s left · org');
  });

  it('shows bytes instead of a rate before one is measured', () => {
    const item = entryItem(makeEntry({ status: 'downloading', bytesDone: 0, bytesTotal: 1_000_000 }), snapshot({ bytesPerSecond: 0, etaSeconds: undefined }));
    expect(item.description).toBe('43% · 430 kB of 1.0 MB · org');
  });

  it('never shows 100% before the entry is ready', () => {
    const item = entryItem(makeEntry({ status: 'downloading', bytesTotal: 1000 }), snapshot({ bytesDone: 1000, bytesTotal: 1000, fraction: 0.9999, bytesPerSecond: 0, etaSeconds: undefined }));
    expect(item.description).toMatch(/^99%/);
  });

  it('shows a planning download (no size yet) as preparing with a spinner', () => {
    const item = entryItem(makeEntry({ status: 'downloading', bytesDone: 0, bytesTotal: 0, fileCount: 0 }));
    expect(item.description).toBe('preparing… · org');
    expect(item.icon.id).toBe('loading~spin');
    expect(item.collapsible).toBe(false);
  });

  it('describes each resting status', () => {
    expect(entryItem(makeEntry({ status: 'ready' })).description).toBe('1.2 MB · org');
    expect(entryItem(makeEntry({ status: 'queued', bytesTotal: 2_000_000 })).description).toBe('queued · 2.0 MB · org');
    expect(entryItem(makeEntry({ status: 'paused', bytesDone: 500_000, bytesTotal: 2_000_000 })).description).toBe('paused at 25% of 2.0 MB · org');
    expect(entryItem(makeEntry({ status: 'cancelled' })).description).toBe('cancelled · org');
    expect(entryItem(makeEntry({ status: 'missing' })).description).toBe('files missing · org');
    expect(entryItem(makeEntry({ status: 'error', errorMessage: 'org/tiny-gpt2 is gated\nstack' })).description).toBe('failed: org/tiny-gpt2 is gated · org');
  });

  it('shows a non-main revision first, and the repo id when a display name replaces it', () => {
    const item = entryItem(makeEntry({ revision: 'v1.0', displayName: 'Tiny GPT-2' }));
    expect(item.label).toBe('Tiny GPT-2');
    expect(item.description).toBe('@v1.0 · 1.2 MB · org/tiny-gpt2');
  });

  it('shows an un-namespaced repo id whole, without an organisation', () => {
    const item = entryItem(makeEntry({ repoId: 'gpt2', displayName: 'gpt2' }));
    expect(item.label).toBe('gpt2');
    expect(item.description).toBe('1.2 MB');
  });

  it('puts commit, local path, files, parameters, memory and license in the tooltip', () => {
    const tooltip = entryItem(
      makeEntry({
        metadata: {
          license: 'mit',
          pipelineTag: 'text-generation',
          model: {
            modelType: 'gpt2',
            architectures: ['GPT2LMHeadModel'],
            parameters: { total: 124_400_000, byDtype: { BF16: 100_000_000, F32: 24_400_000 } },
            memory: { fp32: 497_600_000, bf16: 248_800_000, int8: 124_400_000, int4: 62_200_000 },
          },
        },
      }),
    ).tooltip;
    expect(tooltip).toContain('commit `aaaaaaaaaaaa`');
    expect(tooltip).toContain('Local path: `/cache/models--org--tiny-gpt2/snapshots/');
    expect(tooltip).toContain('Files: 3 · 1.2 MB');
    expect(tooltip).toContain('Parameters: 124M (BF16 100M, F32 24.4M)');
    expect(tooltip).toContain('249 MB in bf16');
    expect(tooltip).toContain('License: mit');
    expect(tooltip).toContain('GPT2LMHeadModel');
  });

  it('lists dataset configs and splits in the tooltip', () => {
    const tooltip = entryItem(
      makeEntry({ kind: 'dataset', metadata: { dataset: { configs: [{ name: 'default', splits: [{ name: 'train', files: [] }, { name: 'test', files: [] }] }] } } }),
    ).tooltip;
    expect(tooltip).toContain('Dataset');
    expect(tooltip).toContain('Configs: default (train, test)');
  });

  it('escapes Markdown and icon syntax coming from the Hub', () => {
    const tooltip = entryItem(makeEntry({ status: 'error', errorMessage: '[click](http://evil) $(alert) *x*' })).tooltip;
    expect(tooltip).not.toContain('[click](http://evil)');
    expect(tooltip).toContain('\\[click\\]\\(http://evil\\)');
    expect(tooltip).toContain('\\$\\(alert\\)');
    expect(md('a_b')).toBe('a\\_b');
  });
});

describe('file rows', () => {
  it('a verified file shows its size and local path and can be revealed', () => {
    const item = fileItem(makeEntry(), makeFile(), join);
    expect(item.id).toBe('mistudio.file/e1/model.safetensors');
    expect(item.description).toBe('1.0 MB');
    expect(item.localPath).toBe(`${makeEntry().snapshotPath}/model.safetensors`);
    expect(item.icon).toBeUndefined();
    expect(item.contextValue).toContain('canReveal');
  });

  it('a partial file shows how far it got and has no local path', () => {
    const item = fileItem(makeEntry({ status: 'downloading' }), makeFile({ state: 'partial', bytesDone: 250_000 }), join);
    expect(item.description).toBe('25% of 1.0 MB');
    expect(item.localPath).toBeUndefined();
    expect(item.icon?.id).toBe('sync~spin');
    expect(fileItem(makeEntry({ status: 'paused' }), makeFile({ state: 'partial', bytesDone: 1 }), join).icon?.id).toBe('debug-pause');
  });

  it('a pending file shows an empty circle', () => {
    expect(fileItem(makeEntry({ status: 'queued' }), makeFile({ state: 'pending', bytesDone: 0 }), join).icon?.id).toBe('circle-large-outline');
  });
});

describe('formatCount', () => {
  it.each([
    [950, '950'],
    [12_300, '12.3K'],
    [124_400_000, '124M'],
    [7_600_000_000, '7.6B'],
    [2_000_000, '2M'],
  ])('%d → %s', (n, text) => expect(formatCount(n)).toBe(text));
});
