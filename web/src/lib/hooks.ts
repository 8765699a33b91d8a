import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** A ref for an element that calls `onVisible` when it scrolls into view (infinite lists). */
export function useOnVisible<T extends Element>(onVisible: () => void, enabled: boolean) {
  const ref = useRef<T | null>(null);
  const callback = useRef(onVisible);
  callback.current = onVisible;
  useEffect(() => {
    const element = ref.current;
    if (!element || !enabled) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) callback.current();
      },
      { rootMargin: "400px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [enabled]);
  return ref;
}

/**
 * A text filter kept in the URL's `key`: the box shows what is typed at once, the URL (and so
 * the query) follows once typing pauses, replacing its history entry so typing does not fill
 * the back button; going back or forward brings the box in line with the URL.
 */
export function useTextParam(key: string, ms = 300): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const inUrl = params.get(key) ?? "";
  const [draft, setDraft] = useState(inUrl);
  const settled = useDebounced(draft, ms);
  useEffect(() => {
    if (settled === inUrl) return;
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (settled) next.set(key, settled);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  }, [settled]); // only a settled draft moves the URL
  useEffect(() => setDraft(inUrl), [inUrl]);
  return [draft, setDraft];
}

/**
 * Something the user asked for that calls the API: `busy` while it runs, the API's message in
 * `error` when it fails (cleared by the next try). `run` resolves to whether it worked and
 * never rejects, so handlers can call it without leaving an unhandled rejection.
 */
export function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (failure) {
      setError((failure as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { run, error, busy };
}
