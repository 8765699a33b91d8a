import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../api/types";
import { BACKOFF_BASE_MS, GAP_RETRY_MS, RealtimeClient, type SocketLike } from "./client";

class FakeSocket implements SocketLike {
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((data: string) => void) | null = null;
  onclose: ((code: number) => void) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.closedWith = code;
  }
  /** The server's side. */
  open(): void {
    this.onopen?.();
  }
  frame(frame: Record<string, unknown>): void {
    this.onmessage?.(JSON.stringify(frame));
  }
  drop(code = 1006): void {
    this.onclose?.(code);
  }
  ofType(type: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame.type === type);
  }
}

function message(seq: number, rev = seq, body = `m${seq}`, conversation = "c1"): Message {
  return {
    id: `id${seq}`,
    conversation_id: conversation,
    seq,
    rev,
    kind: "user",
    event: null,
    sender_id: "bob",
    body,
    attachments: [],
    client_id: `x${seq}`,
    created_at: "2026-11-28T10:00:00Z",
    edited_at: null,
    deleted: false,
    hidden: false,
  };
}

interface Harness {
  client: RealtimeClient;
  sockets: FakeSocket[];
  latest: () => FakeSocket;
  fetchAfter: ReturnType<typeof vi.fn>;
  refetch: ReturnType<typeof vi.fn>;
  refresh: ReturnType<typeof vi.fn>;
  token: { value: string | null };
}

function harness(): Harness {
  const sockets: FakeSocket[] = [];
  const token = { value: "access-1" as string | null };
  const fetchAfter = vi.fn(async () => [] as Message[]);
  const refetch = vi.fn();
  const refresh = vi.fn(async () => {
    token.value = "access-2";
    return "refreshed" as const;
  });
  let ids = 0;
  const client = new RealtimeClient({
    url: "ws://test/ws",
    connect: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    token: () => token.value,
    refresh,
    fetchAfter,
    refetch,
    random: () => 0.5,
    newClientId: () => `client-${++ids}`,
  });
  return { client, sockets, latest: () => sockets.at(-1)!, fetchAfter, refetch, refresh, token };
}

async function online(h: Harness): Promise<FakeSocket> {
  const socket = h.latest();
  socket.open();
  socket.frame({ type: "ready", user: { id: "me" } });
  socket.frame({ type: "resumed" });
  await Promise.resolve();
  return socket;
}

describe("RealtimeClient", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it("authenticates with the first frame, then resumes from what it holds", async () => {
    const h = harness();
    h.client.store.applyAll([message(1), message(2), message(3, 7)]);
    h.client.start();
    const socket = h.latest();
    socket.open();
    expect(socket.sent[0]).toEqual({ type: "auth", token: "access-1" });
    socket.frame({ type: "ready", user: { id: "me" } });
    expect(socket.ofType("resume")).toEqual([{ type: "resume", cursors: { c1: 3 }, revs: { c1: 7 } }]);
    expect(h.client.status).toBe("online");
  });

  it("reconnects with exponential backoff and jitter, and resumes each time", async () => {
    const h = harness();
    h.client.start();
    await online(h);
    for (const [attempt, wait] of [
      [1, BACKOFF_BASE_MS],
      [2, 2 * BACKOFF_BASE_MS],
      [3, 4 * BACKOFF_BASE_MS],
    ] as const) {
      h.latest().drop();
      expect(h.client.status).toBe("offline");
      // random() is 0.5: half the delay, plus a quarter of it.
      vi.advanceTimersByTime(wait * 0.75 - 1);
      expect(h.sockets).toHaveLength(attempt);
      vi.advanceTimersByTime(1);
      expect(h.sockets).toHaveLength(attempt + 1);
    }
    await online(h);
    h.latest().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS * 0.75);
    expect(h.sockets).toHaveLength(5); // the backoff starts over once connected
    h.latest().open();
    expect(h.latest().sent[0]).toEqual({ type: "auth", token: "access-1" });
  });

  it("keeps each message once, in seq order, the latest rev winning", async () => {
    const h = harness();
    h.client.start();
    const socket = await online(h);
    socket.frame({ type: "message", message: message(2) });
    socket.frame({ type: "message", message: message(1) });
    socket.frame({ type: "message", message: message(2) });
    socket.frame({ type: "message_updated", message: message(1, 5, "edited") });
    socket.frame({ type: "message", message: message(1, 1, "stale copy") });
    const held = h.client.store.messages("c1");
    expect(held.map((m) => [m.seq, m.body])).toEqual([
      [1, "edited"],
      [2, "m2"],
    ]);
    expect(h.client.store.rev("c1")).toBe(5);
  });

  it("sends what was written offline in order once connected, one at a time", async () => {
    const h = harness();
    h.client.send("c1", "first", "me");
    h.client.send("c1", "second", "me");
    expect(h.client.store.pending("c1").map((o) => o.body)).toEqual(["first", "second"]);
    h.client.start();
    const socket = await online(h);
    expect(socket.ofType("message").map((f) => f.body)).toEqual(["first"]);
    socket.frame({ type: "ack", client_id: "client-1", message: message(1, 1, "first") });
    expect(socket.ofType("message").map((f) => f.body)).toEqual(["first", "second"]);
    // The socket dies before the second ack: it is sent again, with the same client id.
    socket.drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    const again = await online(h);
    expect(again.ofType("message")).toEqual([
      { type: "message", conversation_id: "c1", client_id: "client-2", body: "second", attachments: [] },
    ]);
    again.frame({ type: "ack", client_id: "client-2", message: message(2, 2, "second") });
    expect(h.client.store.pending()).toEqual([]);
    expect(h.client.store.messages("c1").map((m) => m.body)).toEqual(["first", "second"]);
  });

  it("retries a busy send after retry_after, and gives up on a refused one", async () => {
    const h = harness();
    h.client.start();
    const socket = await online(h);
    h.client.send("c1", "hello", "me");
    socket.frame({ type: "error", code: "busy", message: "busy", ref: "client-1", retry_after: 2 });
    vi.advanceTimersByTime(1999);
    expect(socket.ofType("message")).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(socket.ofType("message")).toHaveLength(2);
    socket.frame({ type: "error", code: "not_found", message: "No such conversation.", ref: "client-1" });
    expect(h.client.store.pending()[0]?.failed).toBe("No such conversation.");
  });

  it("refreshes the token on 4401 and connects again at once", async () => {
    const h = harness();
    h.client.start();
    await online(h);
    h.latest().drop(4401);
    await vi.waitFor(() => {
      expect(h.sockets).toHaveLength(2);
    });
    expect(h.refresh).toHaveBeenCalledOnce();
    h.latest().open();
    expect(h.latest().sent[0]).toEqual({ type: "auth", token: "access-2" });
  });

  it("is signed out when the refresh fails", async () => {
    const h = harness();
    h.refresh.mockImplementation(async () => "signed-out" as const);
    h.client.start();
    await online(h);
    h.latest().drop(4401);
    await vi.waitFor(() => {
      expect(h.client.status).toBe("signed-out");
    });
    vi.advanceTimersByTime(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it("pages a gap over REST and refetches a stale conversation", async () => {
    const h = harness();
    h.fetchAfter.mockImplementation(async () => [message(501), message(502)]);
    h.client.start();
    const socket = await online(h);
    socket.frame({ type: "gap", conversation_id: "c1", after: 500 });
    await vi.waitFor(() => {
      expect(h.client.store.messages("c1")).toHaveLength(2);
    });
    expect(h.fetchAfter).toHaveBeenCalledWith("c1", 500);
    socket.frame({ type: "stale", conversation_id: "c1" });
    expect(h.refetch).toHaveBeenCalledWith("c1");
    expect(h.client.store.messages("c1")).toEqual([]);
  });

  it("resumes on resync, and applies read marks", async () => {
    const h = harness();
    h.client.store.applyAll([message(1), message(2)]);
    h.client.start();
    const socket = await online(h);
    socket.frame({ type: "read", conversation_id: "c1", user_id: "bob", seq: 2 });
    expect(h.client.store.readMarks("c1")).toEqual({ bob: 2 });
    socket.frame({ type: "resync" });
    expect(socket.ofType("resume")).toHaveLength(2);
  });

  it("resumes after the first hole, not past it", () => {
    const h = harness();
    h.client.store.applyAll([message(1), message(2), message(4)]);
    expect(h.client.store.cursor("c1")).toBe(2);
    h.client.store.settle("c1", 4); // the server told everything up to 4: 3 was skipped
    expect(h.client.store.cursor("c1")).toBe(4);
  });

  it("replaces a socket that stops answering", async () => {
    const h = harness();
    h.client.start();
    const socket = await online(h);
    vi.advanceTimersByTime(15_000);
    expect(socket.ofType("ping")).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(socket.closedWith).toBe(4000);
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(h.sockets).toHaveLength(2);
  });

  it("drops its socket when the browser goes offline, and comes back at once when online", async () => {
    const h = harness();
    h.client.start();
    const socket = await online(h);
    h.client.wentOffline();
    expect(socket.closedWith).toBe(4000);
    expect(h.client.status).toBe("offline");
    socket.frame({ type: "message", message: message(9) }); // late frames of the dead socket
    expect(h.client.store.messages("c1")).toEqual([]);
    h.client.send("c1", "written offline", "me");
    expect(socket.ofType("message")).toEqual([]);
    h.client.reconnectNow(); // the browser's "online" event, before any backoff ran out
    expect(h.sockets).toHaveLength(2);
    const again = await online(h);
    expect(again.ofType("resume")).toHaveLength(1);
    expect(again.ofType("message").map((f) => f.body)).toEqual(["written offline"]);
  });

  it("keeps the login and tries later when the refresh cannot reach the server", async () => {
    const h = harness();
    h.refresh.mockImplementation(async () => "unreachable" as const);
    h.client.start();
    await online(h);
    h.latest().drop(4401);
    await vi.waitFor(() => {
      expect(h.refresh).toHaveBeenCalledOnce();
    });
    expect(h.client.status).toBe("offline");
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(h.sockets).toHaveLength(2); // a new attempt, with the token it holds
    h.latest().open();
    expect(h.latest().sent[0]).toEqual({ type: "auth", token: "access-1" });
  });

  it("ends someone's typing indicator when their message arrives", async () => {
    const h = harness();
    h.client.start();
    const socket = await online(h);
    socket.frame({ type: "typing", conversation_id: "c1", user_id: "bob" });
    expect(h.client.store.typing("c1", Date.now())).toEqual(["bob"]);
    socket.frame({ type: "message", message: { ...message(1), sender_id: "bob" } });
    expect(h.client.store.typing("c1", Date.now())).toEqual([]);
  });

  it("drops and refetches a conversation whose gap the server calls stale", async () => {
    const h = harness();
    h.client.store.applyAll([message(1), message(2)]);
    h.fetchAfter.mockImplementationOnce(async () => {
      throw Object.assign(new Error("gone"), { code: "stale", status: 410 });
    });
    h.client.start();
    const socket = await online(h);
    socket.frame({ type: "gap", conversation_id: "c1", after: 2 });
    await vi.waitFor(() => {
      expect(h.refetch).toHaveBeenCalledWith("c1");
    });
    expect(h.client.store.messages("c1")).toEqual([]);
    vi.advanceTimersByTime(GAP_RETRY_MS);
    expect(socket.ofType("resume")).toHaveLength(1);
  });

  it("resumes again later when paging a gap fails", async () => {
    const h = harness();
    h.fetchAfter.mockImplementationOnce(async () => {
      throw new Error("no connection");
    });
    h.client.start();
    const socket = await online(h);
    socket.frame({ type: "gap", conversation_id: "c1", after: 500 });
    await vi.waitFor(() => {
      expect(h.fetchAfter).toHaveBeenCalledOnce();
    });
    expect(socket.ofType("resume")).toHaveLength(1);
    vi.advanceTimersByTime(GAP_RETRY_MS);
    expect(socket.ofType("resume")).toHaveLength(2);
  });
});
