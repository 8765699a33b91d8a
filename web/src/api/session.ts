/**
 * The browser's login: the access token lives in memory only; the refresh token is an
 * HttpOnly cookie the page never sees (the auth API's browser mode, `X-Hypee-Client: web`).
 * A reload signs the user back in through `refresh()`. Whether this browser holds a login is
 * remembered in localStorage (a hint, not a secret), so a visitor who never signed in does not
 * ask the server for a refresh it would refuse.
 */

export const BROWSER_MODE = { "X-Hypee-Client": "web" } as const;

type Listener = (signedIn: boolean) => void;

let accessToken: string | null = null;
const SIGNED_IN_HINT = "hypee.signed-in";
let refreshing: Promise<RefreshResult> | null = null;
const listeners = new Set<Listener>();

export function currentToken(): string | null {
  return accessToken;
}

/** Whether this browser signed in and has not signed out since (its cookie may still work). */
export function mayBeSignedIn(): boolean {
  return localStorage.getItem(SIGNED_IN_HINT) !== null;
}

export function setToken(token: string | null): void {
  const changed = (token === null) !== (accessToken === null);
  accessToken = token;
  if (token === null) localStorage.removeItem(SIGNED_IN_HINT);
  else localStorage.setItem(SIGNED_IN_HINT, "1");
  if (changed)
    listeners.forEach((listener) => {
      listener(token !== null);
    });
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const endingListeners = new Set<() => void>();

/** Run `listener` when this page is about to end its login (before the logout request), so
 * what depends on the login (the socket) stops first instead of trying to refresh it. */
export function onSignOut(listener: () => void): () => void {
  endingListeners.add(listener);
  return () => endingListeners.delete(listener);
}

export function signingOut(): void {
  endingListeners.forEach((listener) => {
    listener();
  });
}

/**
 * What a refresh came to: a new access token, the login is over (the server refused it), or
 * the server could not be asked (offline, restarting): then the login stands and the caller
 * tries again later.
 */
export type RefreshResult = "refreshed" | "signed-out" | "unreachable";

/** Get a new access token from the refresh cookie; one request at a time, shared by callers. */
export function refresh(): Promise<RefreshResult> {
  refreshing ??= (async (): Promise<RefreshResult> => {
    try {
      const response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { ...BROWSER_MODE, "Content-Type": "application/json" },
        body: "{}",
        credentials: "same-origin",
      });
      if (response.status >= 500 || response.status === 429) return "unreachable";
      if (!response.ok) {
        setToken(null);
        return "signed-out";
      }
      const body = (await response.json()) as { access: string };
      setToken(body.access);
      return "refreshed";
    } catch {
      return "unreachable";
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
