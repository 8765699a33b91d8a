/**
 * The browser's login: the access token lives in memory only; the refresh token is an
 * HttpOnly cookie the page never sees (the auth API's browser mode, `X-Hypee-Client: web`).
 * A reload signs the user back in through `refresh()`.
 */

export const BROWSER_MODE = { "X-Hypee-Client": "web" } as const;

type Listener = (signedIn: boolean) => void;

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

export function currentToken(): string | null {
  return accessToken;
}

export function setToken(token: string | null): void {
  const changed = (token === null) !== (accessToken === null);
  accessToken = token;
  if (changed) listeners.forEach((listener) => listener(token !== null));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Get a new access token from the refresh cookie; one request at a time, shared by callers. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { ...BROWSER_MODE, "Content-Type": "application/json" },
        body: "{}",
        credentials: "same-origin",
      });
      if (!response.ok) {
        setToken(null);
        return false;
      }
      const body = (await response.json()) as { access: string };
      setToken(body.access);
      return true;
    } catch {
      return false; // offline: keep the token we have, the caller retries later
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
