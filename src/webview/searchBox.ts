import { h, icon } from './dom';
import type { VirtualList } from './virtualList';

export interface SearchInputProps {
  /** The accessible name, e.g. "Search the catalog". */
  readonly label: string;
  readonly placeholder: string;
  readonly value: string;
  /** Called on every keystroke with the text as typed. */
  readonly onInput: (text: string) => void;
  readonly onKeyDown?: (event: KeyboardEvent) => void;
}

/** The text field of a view's search or filter box. */
export function searchInput(props: SearchInputProps): HTMLInputElement {
  const input = h('input', {
    className: 'search',
    attrs: { type: 'search', placeholder: props.placeholder, 'aria-label': props.label, spellcheck: 'false' },
    on: {
      input: () => props.onInput(input.value),
      ...(props.onKeyDown ? { keydown: props.onKeyDown } : {}),
    },
  });
  input.value = props.value;
  return input;
}

/** The field with its magnifier, as the toolbar shows it. */
export function searchBox(input: HTMLInputElement): HTMLDivElement {
  return h('div', { className: 'search-box' }, [icon('search', 'search-icon'), input]);
}

/** Down from the field goes to the list below it, to the row that was last focused there. */
export function arrowDownInto(list: VirtualList): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key !== 'ArrowDown' || list.rowCount === 0) return;
    event.preventDefault();
    list.focusIndex(list.activeIndex);
  };
}
