import { h, setAttrs } from './dom';

export interface VirtualListOptions {
  readonly rowHeight: number;
  /** The list's accessible name. */
  readonly label: string;
  /** Rows rendered beyond each edge of the viewport, so fast scrolling does not show blank space. */
  readonly overscan?: number;
  readonly className?: string;
  readonly createRow: () => HTMLElement;
  readonly renderRow: (row: HTMLElement, index: number) => void;
  /** The rows on screen changed (inclusive range); -1, -1 when the list is empty. */
  readonly onRangeChange?: (first: number, last: number) => void;
  /** Enter on a row, or a click on it outside its buttons. */
  readonly onActivate?: (index: number) => void;
  /** Other keys pressed on a row; return true when handled. */
  readonly onKey?: (index: number, event: KeyboardEvent) => boolean;
}

// When the list has no measurable height yet (hidden, or a DOM without layout), render as if it were this tall.
const FALLBACK_HEIGHT = 600;

/**
 * A list that renders only the rows on screen (plus a little overscan) and recycles their elements, so it stays fast
 * with any number of rows. It is a roving-tabindex list: one row is in the tab order, arrow keys, Page Up / Down,
 * Home and End move between rows, Enter activates, and Tab reaches the buttons inside the focused row.
 */
export class VirtualList {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private count = 0;
  private measuredHeight: number | undefined;
  private readonly shown = new Map<number, HTMLElement>();
  private readonly pool: HTMLElement[] = [];
  private active = 0;
  private lastRange = '';
  private readonly overscan: number;
  private resizeObserver: ResizeObserver | undefined;

  constructor(private readonly options: VirtualListOptions) {
    this.overscan = options.overscan ?? 6;
    this.spacer = h('div', { className: 'vlist-spacer', attrs: { role: 'presentation' } });
    this.element = h('div', {
      className: `vlist${options.className ? ` ${options.className}` : ''}`,
      attrs: { role: 'list', 'aria-label': options.label, tabindex: '-1' },
      on: {
        scroll: () => this.update(),
        keydown: (e) => this.onKeyDown(e),
        click: (e) => this.onClick(e),
      },
    }, [this.spacer]);
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => this.update());
      this.resizeObserver.observe(this.element);
    }
  }

  get rowCount(): number {
    return this.count;
  }

  get activeIndex(): number {
    return this.active;
  }

  setCount(count: number): void {
    this.count = Math.max(0, count);
    this.spacer.style.height = `${this.count * this.options.rowHeight}px`;
    if (this.active >= this.count) this.active = Math.max(0, this.count - 1);
    this.update(true);
  }

  /** Re-renders the rows on screen (their data changed). */
  refresh(): void {
    this.update(true);
  }

  /** Overrides the measured viewport height (tests, or a layout the list cannot measure). */
  layout(height?: number): void {
    this.measuredHeight = height;
    this.update();
  }

  /** The rows on screen, inclusive; [-1, -1] when empty. */
  visibleRange(): [number, number] {
    if (this.count === 0) return [-1, -1];
    const height = this.viewportHeight();
    const first = Math.min(this.count - 1, Math.max(0, Math.floor(this.element.scrollTop / this.options.rowHeight)));
    const last = Math.min(this.count - 1, Math.max(first, Math.ceil((this.element.scrollTop + height) / this.options.rowHeight) - 1));
    return [first, last];
  }

  scrollToIndex(index: number): void {
    const rowTop = index * this.options.rowHeight;
    const height = this.viewportHeight();
    if (rowTop < this.element.scrollTop) this.element.scrollTop = rowTop;
    else if (rowTop + this.options.rowHeight > this.element.scrollTop + height) this.element.scrollTop = rowTop + this.options.rowHeight - height;
    this.update();
  }

  /** Moves the roving focus to a row, scrolling it into view. */
  focusIndex(index: number): void {
    if (this.count === 0) return;
    this.active = Math.min(this.count - 1, Math.max(0, index));
    this.scrollToIndex(this.active);
    this.update(true);
    this.shown.get(this.active)?.focus();
  }

  /** The element showing a row, if it is rendered. */
  rowElement(index: number): HTMLElement | undefined {
    return this.shown.get(index);
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
  }

  private viewportHeight(): number {
    return this.measuredHeight ?? (this.element.clientHeight || FALLBACK_HEIGHT);
  }

  private update(rerender = false): void {
    const [first, last] = this.visibleRange();
    const from = first < 0 ? 0 : Math.max(0, first - this.overscan);
    const to = last < 0 ? -1 : Math.min(this.count - 1, last + this.overscan);
    const focused = typeof document !== 'undefined' ? document.activeElement : null;

    for (const [index, row] of this.shown) {
      // The focused row stays even when scrolled away, so the keyboard user's place is not lost.
      const keep = index >= from && index <= to && index < this.count;
      if (!keep && !(index === this.active && index < this.count && row.contains(focused))) {
        this.shown.delete(index);
        row.remove();
        this.pool.push(row);
      }
    }
    for (let index = from; index <= to; index++) {
      let row = this.shown.get(index);
      const fresh = row === undefined;
      if (!row) {
        row = this.pool.pop() ?? this.options.createRow();
        this.shown.set(index, row);
        this.element.appendChild(row);
      }
      if (fresh || rerender) this.paint(row, index);
    }
    if (rerender) {
      const activeRow = this.shown.get(this.active);
      if (activeRow && (this.active < from || this.active > to)) this.paint(activeRow, this.active);
    }

    const range = `${first}:${last}`;
    if (range !== this.lastRange) {
      this.lastRange = range;
      this.options.onRangeChange?.(first, last);
    }
  }

  private paint(row: HTMLElement, index: number): void {
    row.style.transform = `translateY(${index * this.options.rowHeight}px)`;
    row.style.height = `${this.options.rowHeight}px`;
    setAttrs(row, {
      role: 'listitem',
      'data-index': index,
      tabindex: index === this.active ? '0' : '-1',
      'aria-setsize': this.count,
      'aria-posinset': index + 1,
    });
    this.options.renderRow(row, index);
  }

  private rowIndexOf(target: EventTarget | null): number | undefined {
    if (!(target instanceof Element)) return undefined;
    const row = target.closest('[data-index]');
    if (!row || !this.element.contains(row)) return undefined;
    const index = Number(row.getAttribute('data-index'));
    return Number.isInteger(index) ? index : undefined;
  }

  private onClick(event: MouseEvent): void {
    const index = this.rowIndexOf(event.target);
    if (index === undefined) return;
    const target = event.target as Element;
    if (target.closest('button, a, input, select, textarea')) return;
    this.active = index;
    this.update(true);
    this.options.onActivate?.(index);
  }

  private onKeyDown(event: KeyboardEvent): void {
    const index = this.rowIndexOf(event.target);
    if (index === undefined) return;
    const onRow = event.target === this.shown.get(index);
    const page = Math.max(1, Math.floor(this.viewportHeight() / this.options.rowHeight) - 1);
    let next: number | undefined;
    switch (event.key) {
      case 'ArrowDown':
        next = index + 1;
        break;
      case 'ArrowUp':
        next = index - 1;
        break;
      case 'PageDown':
        next = index + page;
        break;
      case 'PageUp':
        next = index - page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = this.count - 1;
        break;
      case 'Enter':
        if (!onRow) return;
        event.preventDefault();
        this.options.onActivate?.(index);
        return;
      default:
        if (onRow && this.options.onKey?.(index, event)) event.preventDefault();
        return;
    }
    event.preventDefault();
    this.focusIndex(next);
  }
}
