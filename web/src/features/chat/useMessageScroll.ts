import { useEffect, useLayoutEffect, useRef, type DependencyList } from "react";

const NEAR_BOTTOM_PX = 80;

/**
 * Where a conversation's list stays as it changes: at the bottom if the reader was there
 * (new messages, an image arriving), else on the message the reader was looking at (older
 * pages loading above it, images above it growing). The browser's own scroll anchoring is
 * off for the list (styles.css), so this is the only thing that moves it.
 *
 * Returns the ref for the scrolling list, its onScroll handler, and `holdPlace`, to call just
 * before something is added above (an older page).
 */
export function useMessageScroll(changes: DependencyList) {
  const list = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);
  // The topmost message in view, and how far below the list's top edge it was.
  const anchor = useRef<{ seq: string; offset: number } | null>(null);

  function remember(element: HTMLOListElement) {
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_BOTTOM_PX;
    const top = element.getBoundingClientRect().top;
    for (const item of element.querySelectorAll<HTMLElement>("[data-seq]")) {
      const offset = item.getBoundingClientRect().top - top;
      if (offset >= 0) {
        anchor.current = { seq: item.dataset.seq ?? "", offset };
        return;
      }
    }
  }

  function restore(element: HTMLOListElement) {
    if (atBottom.current) {
      element.scrollTop = element.scrollHeight;
      return;
    }
    const held = anchor.current;
    const item = held && element.querySelector<HTMLElement>(`[data-seq="${held.seq}"]`);
    if (!held || !item) return;
    element.scrollTop += item.getBoundingClientRect().top - element.getBoundingClientRect().top - held.offset;
  }

  useLayoutEffect(() => {
    if (list.current) restore(list.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what can move it
  }, changes);

  useEffect(() => {
    const element = list.current;
    if (!element) return;
    const loaded = () => {
      restore(element);
    };
    element.addEventListener("load", loaded, true); // load does not bubble; capture sees it
    return () => {
      element.removeEventListener("load", loaded, true);
    };
  }, []);

  const remembered = () => {
    if (list.current) remember(list.current);
  };
  return { list, onScroll: remembered, holdPlace: remembered };
}
