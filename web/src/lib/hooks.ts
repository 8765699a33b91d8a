import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => {
      setSettled(value);
    }, ms);
    return () => {
      clearTimeout(timer);
    };
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
    return () => {
      observer.disconnect();
    };
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
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a settled draft moves the URL
  }, [settled]);
  useEffect(() => {
    setDraft(inUrl);
  }, [inUrl]);
  return [draft, setDraft];
}

/**
 * Something the user asked for that calls the API: `busy` while it runs, the API's message in
 * `error` when it fails (cleared by the next try). `run` resolves to whether it worked and
 * never rejects, so handlers can call it without leaving an unhandled rejection.
 */
export function useAction() {
  // TanStack's mutation (the app's one way to change things on the server), for actions whose
  // outcome is shown where they were started: `run` never throws, it answers whether it worked.
  const mutation = useMutation<unknown, Error, () => Promise<unknown>>({ mutationFn: (action) => action() });
  async function run(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await mutation.mutateAsync(action);
      return true;
    } catch {
      return false; // mutation.error says why
    }
  }
  return { run, error: mutation.error?.message ?? null, busy: mutation.isPending };
}
