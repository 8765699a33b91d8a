/**
 * The one HTTP client of the app: typed from the OpenAPI document (openapi-fetch), with the
 * access token attached, and one refresh-and-retry when a call answers 401.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { BROWSER_MODE, currentToken, refresh } from "./session";

const retries = new Map<string, Request>();
// Their 401 means "wrong password" or "login over", not "the access token expired".
const NO_RETRY = ["/api/auth/login", "/api/auth/register", "/api/auth/refresh"];

const auth: Middleware = {
  onRequest({ request, id }) {
    // On every call, logout included (the server needs to know whose login ends); register,
    // login and refresh ignore it.
    const token = currentToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    for (const [name, value] of Object.entries(BROWSER_MODE)) request.headers.set(name, value);
    retries.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = retries.get(id);
    retries.delete(id);
    const path = original ? new URL(original.url).pathname : "";
    if (response.status !== 401 || !original || NO_RETRY.includes(path)) return response;
    if ((await refresh()) !== "refreshed") return response;
    const again = new Request(original);
    again.headers.set("Authorization", `Bearer ${currentToken() ?? ""}`);
    return fetch(again);
  },
  onError({ id }) {
    retries.delete(id); // no answer came (offline): nothing to retry
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(auth);

/** An API error as the UI shows it: the server's message, and its code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly fields?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** What a validation error says about each field ({field: [message]}, nested for lists). */
function fieldMessages(fields: unknown): string[] {
  if (typeof fields === "string") return [fields];
  if (fields === null || typeof fields !== "object") return [];
  return Object.values(fields).flatMap(fieldMessages);
}

/** The data of an openapi-fetch result, or the API's error thrown as an ApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    // 204, and 202 (accepted: done after the answer), carry no body.
    if (result.response.ok && result.error === undefined) return undefined as T;
    const body = result.error as
      { error?: { code?: string; message?: string; fields?: Record<string, unknown> } } | undefined;
    const said = body?.error?.message ?? `The server answered ${result.response.status}.`;
    throw new ApiError(
      [said, ...fieldMessages(body?.error?.fields)].join(" "),
      body?.error?.code ?? "unknown",
      result.response.status,
      body?.error?.fields,
    );
  }
  return result.data;
}
