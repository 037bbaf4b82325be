import type { CacheModel } from './cacheModel';
import { h, setAttrs, setText } from './dom';

/**
 * The lines above the Cache tab's list: the cache's totals (the Cache tree's header, announced when a scan ends),
 * the running scan's progress (a bar and a count, quiet: it changes ten times a second), and, while a filter is
 * typed, how many repos match (announced).
 */
export class CacheStatus {
  readonly element: HTMLElement;
  private readonly total: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly progressText: HTMLElement;
  private readonly bar: HTMLDivElement;
  private readonly fill: HTMLDivElement;
  private readonly matches: HTMLElement;

  constructor() {
    this.total = h('span', { className: 'cache-total', attrs: { 'aria-live': 'polite' } });
    this.fill = h('div', { className: 'bar-fill' });
    this.bar = h('div', { className: 'bar', attrs: { role: 'progressbar', 'aria-label': 'Reading the cache', 'aria-valuemin': 0, 'aria-valuemax': 100 } }, [this.fill]);
    this.progressText = h('span', { className: 'cache-progress-text' });
    this.progress = h('span', { className: 'cache-progress', attrs: { hidden: true } }, [this.bar, this.progressText]);
    this.matches = h('span', { className: 'cache-matches', attrs: { 'aria-live': 'polite' } });
    this.element = h('div', { className: 'cache-status' }, [this.total, this.progress, this.matches]);
  }

  paint(model: CacheModel): void {
    const { summary, progress } = model;
    const warnings = summary && summary.warnings > 0 ? ` · ${summary.warnings} warning${summary.warnings === 1 ? '' : 's'} (see the log)` : '';
    setText(this.total, summary ? `${summary.header}${warnings}` : '');
    this.progress.hidden = !progress;
    if (progress) {
      const percent = progress.reposTotal > 0 ? Math.floor((progress.reposDone / progress.reposTotal) * 100) : 0;
      this.fill.style.width = `${percent}%`;
      setAttrs(this.bar, { 'aria-valuenow': percent });
      setText(this.progressText, `Reading the cache: ${progress.reposDone.toLocaleString('en-US')} of ${progress.reposTotal.toLocaleString('en-US')} repos…`);
    }
    const filtered = model.query.filter.trim() !== '';
    setText(this.matches, filtered ? `${model.matchCount} of ${model.repoCount} repos match` : '');
  }
}
