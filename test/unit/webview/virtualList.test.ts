// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualList } from '../../../src/webview/virtualList';

const ROW = 20;

function makeList(count: number, height = 200) {
  const painted: number[] = [];
  const activated: number[] = [];
  const ranges: [number, number][] = [];
  const list = new VirtualList({
    rowHeight: ROW,
    label: 'Things',
    overscan: 2,
    createRow: () => document.createElement('div'),
    renderRow: (row, index) => {
      painted.push(index);
      row.textContent = `row ${index}`;
    },
    onRangeChange: (first, last) => ranges.push([first, last]),
    onActivate: (index) => activated.push(index),
  });
  document.body.appendChild(list.element);
  list.layout(height);
  list.setCount(count);
  return { list, painted, activated, ranges };
}

function rendered(list: VirtualList): number[] {
  return [...list.element.querySelectorAll('[data-index]')].map((r) => Number(r.getAttribute('data-index'))).sort((a, b) => a - b);
}

afterEach(() => document.body.replaceChildren());

describe('VirtualList', () => {
  it('renders only the rows in view plus the overscan, whatever the count', () => {
    const { list } = makeList(1_000_000);
    expect(rendered(list)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(list.element.querySelector('.vlist-spacer')?.getAttribute('style')).toContain(`${1_000_000 * ROW}px`);
    expect(list.visibleRange()).toEqual([0, 9]);
  });

  it('follows the scroll position and recycles row elements', () => {
    const { list, ranges } = makeList(1000);
    const before = new Set(list.element.querySelectorAll('[data-index]'));
    list.element.scrollTop = 500 * ROW;
    list.element.dispatchEvent(new Event('scroll'));
    expect(rendered(list)).toEqual([498, 499, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511]);
    expect(ranges.at(-1)).toEqual([500, 509]);
    const after = new Set(list.element.querySelectorAll('[data-index]'));
    // The twelve elements from the top were reused for the new rows; only two more were created.
    expect([...after].filter((el) => before.has(el)).length).toBe(12);
    expect(after.size).toBe(14);
    const row500 = list.rowElement(500);
    expect(row500?.textContent).toBe('row 500');
    expect(row500?.style.transform).toBe(`translateY(${500 * ROW}px)`);
  });

  it('labels rows for assistive technology with their place in the whole list', () => {
    const { list } = makeList(42);
    const first = list.rowElement(0);
    expect(list.element.getAttribute('role')).toBe('list');
    expect(list.element.getAttribute('aria-label')).toBe('Things');
    expect(first?.getAttribute('role')).toBe('listitem');
    expect(first?.getAttribute('aria-setsize')).toBe('42');
    expect(first?.getAttribute('aria-posinset')).toBe('1');
    expect(first?.getAttribute('tabindex')).toBe('0');
    expect(list.rowElement(1)?.getAttribute('tabindex')).toBe('-1');
  });

  it('moves the roving focus with arrows, Page Up / Down, Home and End, and activates with Enter', () => {
    const { list, activated } = makeList(100);
    list.focusIndex(0);
    const press = (key: string) => document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    press('ArrowDown');
    expect(document.activeElement?.getAttribute('data-index')).toBe('1');
    press('PageDown');
    expect(document.activeElement?.getAttribute('data-index')).toBe('10');
    press('End');
    expect(document.activeElement?.getAttribute('data-index')).toBe('99');
    expect(list.element.scrollTop).toBe(100 * ROW - 200);
    press('ArrowDown');
    expect(document.activeElement?.getAttribute('data-index')).toBe('99');
    press('PageUp');
    expect(document.activeElement?.getAttribute('data-index')).toBe('90');
    press('Home');
    expect(document.activeElement?.getAttribute('data-index')).toBe('0');
    expect(list.element.scrollTop).toBe(0);
    press('Enter');
    expect(activated).toEqual([0]);
    expect(list.element.querySelectorAll('[tabindex="0"]')).toHaveLength(1);
  });

  it('keeps the focused row when it scrolls out of view, so keyboard users keep their place', () => {
    const { list } = makeList(1000);
    list.focusIndex(3);
    const focused = document.activeElement;
    list.element.scrollTop = 600 * ROW;
    list.element.dispatchEvent(new Event('scroll'));
    expect(document.activeElement).toBe(focused);
    expect(rendered(list)).toContain(3);
  });

  it('activates a row on click but not on a click on its buttons', () => {
    const activated: number[] = [];
    const list = new VirtualList({
      rowHeight: ROW,
      label: 'x',
      createRow: () => {
        const row = document.createElement('div');
        row.appendChild(document.createElement('button'));
        return row;
      },
      renderRow: () => undefined,
      onActivate: (i) => activated.push(i),
    });
    document.body.appendChild(list.element);
    list.setCount(5);
    (list.rowElement(2)?.querySelector('button') as HTMLButtonElement).click();
    expect(activated).toEqual([]);
    (list.rowElement(2) as HTMLElement).click();
    expect(activated).toEqual([2]);
  });

  it('shrinks cleanly when rows go away', () => {
    const { list } = makeList(100);
    list.focusIndex(50);
    list.setCount(3);
    expect(rendered(list)).toEqual([0, 1, 2]);
    expect(list.activeIndex).toBe(2);
    list.setCount(0);
    expect(rendered(list)).toEqual([]);
    expect(list.visibleRange()).toEqual([-1, -1]);
  });
});
