// The service worker's handlers (public/sw.js), run against a fake worker global.
import { describe, expect, it, vi } from "vitest";
import source from "../public/sw.js?raw";

type Listener = (event: FakeEvent) => void;
interface FakeEvent {
  waitUntil: (promise: Promise<unknown>) => void;
  respondWith: (answer: Promise<unknown>) => void;
  [key: string]: unknown;
}
interface FakeWindow {
  url: string;
  focus: ReturnType<typeof vi.fn>;
  navigate: ReturnType<typeof vi.fn>;
}

const ORIGIN = "https://hypee.test";

function worker(windows: FakeWindow[] = [], online = true) {
  const listeners = new Map<string, Listener>();
  const kept = new Map<string, string>();
  const cache = {
    add: vi.fn(async () => undefined),
    put: vi.fn(async (key: string | { url: string }, answer: { body: string }) => {
      kept.set(typeof key === "string" ? key : key.url, answer.body);
    }),
  };
  const self = {
    location: { origin: ORIGIN },
    addEventListener: (type: string, listener: Listener) => listeners.set(type, listener),
    registration: { showNotification: vi.fn(async () => undefined) },
    clients: {
      matchAll: vi.fn(async () => windows),
      openWindow: vi.fn(async () => null),
      claim: vi.fn(async () => undefined),
    },
    caches: {
      open: vi.fn(async () => cache),
      keys: vi.fn(async () => []),
      delete: vi.fn(async () => true),
      match: vi.fn(async (key: string | { url: string }) => {
        const body = kept.get(typeof key === "string" ? key : key.url);
        return body === undefined ? undefined : { ok: true, body };
      }),
    },
    fetch: vi.fn(async (request: { url: string }) => {
      if (!online) throw new TypeError("offline");
      return { ok: true, body: `fresh ${request.url}`, clone: () => ({ body: `fresh ${request.url}` }) };
    }),
    skipWaiting: vi.fn(async () => undefined),
  };
  // The worker's own source, run as the browser runs it, with `self` the fake above.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function("self", source) as (worker: unknown) => void;
  run(self);
  async function dispatch(type: string, fields: Record<string, unknown>) {
    const pending: Promise<unknown>[] = [];
    const event: FakeEvent = {
      ...fields,
      waitUntil: (promise) => pending.push(promise),
      respondWith: (answer) => pending.push(answer),
    };
    const listener = listeners.get(type);
    if (!listener) throw new Error(`no ${type} listener`);
    listener(event);
    return Promise.all(pending);
  }
  return { self, dispatch, kept };
}

function pushEvent(payload: unknown) {
  return {
    data: {
      json: () => (typeof payload === "string" ? JSON.parse(payload) : payload) as unknown,
      text: () => String(payload),
    },
  };
}

function window(url: string): FakeWindow {
  return { url: ORIGIN + url, focus: vi.fn(async () => undefined), navigate: vi.fn(async () => undefined) };
}

describe("the service worker", () => {
  it("shows a push as a notification tagged by conversation", async () => {
    const { self, dispatch } = worker();
    await dispatch("push", pushEvent({ title: "Alice", body: "are you free?", tag: "conversation-1", url: "/chat/1" }));
    expect(self.registration.showNotification).toHaveBeenCalledWith("Alice", {
      body: "are you free?",
      tag: "conversation-1",
      renotify: true,
      icon: "/icon-192.png",
      badge: "/icon-192.png",
      data: { url: "/chat/1" },
    });
  });

  it("shows something sensible for a push it cannot read, and never a foreign link", async () => {
    const { self, dispatch } = worker();
    await dispatch("push", pushEvent("not json {"));
    await dispatch("push", pushEvent({ title: "x", url: "https://elsewhere.example/" }));
    const calls = self.registration.showNotification.mock.calls as unknown as [string, { data: { url: string } }][];
    expect(calls[0]![0]).toBe("Hypee");
    expect(calls[1]![1].data.url).toBe("/notifications");
  });

  it("focuses the window already on the page a notification leads to", async () => {
    const there = window("/chat/1");
    const { self, dispatch } = worker([window("/mentors"), there]);
    const close = vi.fn();
    await dispatch("notificationclick", { notification: { close, data: { url: "/chat/1" } } });
    expect(close).toHaveBeenCalled();
    expect(there.focus).toHaveBeenCalled();
    expect(self.clients.openWindow).not.toHaveBeenCalled();
  });

  it("takes another window of the app there, or opens one", async () => {
    const other = window("/mentors");
    const first = worker([other]);
    await first.dispatch("notificationclick", { notification: { close: vi.fn(), data: { url: "/chat/2" } } });
    expect(other.navigate).toHaveBeenCalledWith(`${ORIGIN}/chat/2`);
    const none = worker([]);
    await none.dispatch("notificationclick", { notification: { close: vi.fn(), data: { url: "/chat/2" } } });
    expect(none.self.clients.openWindow).toHaveBeenCalledWith(`${ORIGIN}/chat/2`);
  });

  it("leaves the API alone and opens the kept shell when the network fails", async () => {
    const api = worker();
    const pending = await api.dispatch("fetch", {
      request: { method: "GET", url: `${ORIGIN}/api/me`, mode: "cors" },
    });
    expect(pending).toEqual([]);
    const online = worker();
    await online.dispatch("fetch", { request: { method: "GET", url: `${ORIGIN}/chat/1`, mode: "navigate" } });
    expect(online.kept.get("/mentors")).toBe(`fresh ${ORIGIN}/chat/1`);
    const offline = worker([], false);
    offline.kept.set("/mentors", "the shell");
    const [answer] = await offline.dispatch("fetch", {
      request: { method: "GET", url: `${ORIGIN}/chat/1`, mode: "navigate" },
    });
    expect(answer).toEqual({ ok: true, body: "the shell" });
  });
});
