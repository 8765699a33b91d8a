/**
 * The real-time client: one socket per tab to /ws, the part of the app that must never lose a
 * message (docs/api.md, "WebSocket").
 *
 * - Connects, authenticates with the first frame, and after `ready` sends `resume` with the
 *   last seq and rev of every conversation it holds; applies what comes back (`message`,
 *   `message_updated`, `read`), pages a `gap` over REST, refetches on `stale`.
 * - Reconnects by itself with exponential backoff and jitter; `resync` resumes; a 4401 close
 *   refreshes the access token first; a socket that stops answering pings is replaced.
 * - Messages are written to an outbox with their `client_id` and sent one at a time, in order,
 *   once connected; the one not acked is sent again after a reconnect (the client id makes
 *   that safe); `busy` and `rate_limited` are retried after `retry_after`.
 */
import type { RefreshResult } from "../api/session";
import type { Message } from "../api/types";
import type { ClientFrame, FrameOf, ServerFrame } from "./frames";
import { MessageStore } from "./store";

export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((data: string) => void) | null;
  onclose: ((code: number) => void) | null;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RealtimeOptions {
  url: string;
  connect: (url: string) => SocketLike;
  token: () => string | null;
  /** Get a new access token ("signed-out": the login is over; "unreachable": try later). */
  refresh: () => Promise<RefreshResult>;
  /** Every message after `seq`, over REST (a `gap`). */
  fetchAfter: (conversationId: string, seq: number) => Promise<Message[]>;
  /** The conversation must be fetched anew (a `stale`). */
  refetch: (conversationId: string) => void;
  store?: MessageStore;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  newClientId?: () => string;
}

export type Status = "connecting" | "online" | "offline" | "signed-out";

/** True for the API's 410 `stale` (what the client holds cannot be brought up to date). */
function isStale(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "stale";
}
type Handler = (frame: ServerFrame) => void;

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
export const PING_EVERY_MS = 15_000;
export const SILENCE_LIMIT_MS = 10_000;
const TYPING_SHOWN_MS = 4_000;
export const GAP_RETRY_MS = 2_000;
const CLOSE_UNAUTHORIZED = 4401;

export class RealtimeClient {
  readonly store: MessageStore;
  status: Status = "offline";
  private socket: SocketLike | null = null;
  private attempts = 0;
  private stopped = true;
  private ready = false;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private silenceTimer: unknown = null;
  private retryTimer: unknown = null;
  private gapTimer: unknown = null;
  private watched = new Set<string>();
  private inFlight: string | null = null; // the one message sent and not yet answered
  private handlers = new Set<Handler>();
  private statusListeners = new Set<(status: Status) => void>();
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly newClientId: () => string;

  constructor(private readonly options: RealtimeOptions) {
    this.store = options.store ?? new MessageStore();
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => {
        globalThis.clearTimeout(handle as number);
      },
    };
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.newClientId = options.newClientId ?? (() => crypto.randomUUID());
  }

  // -- lifecycle ---------------------------------------------------------------------------

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, "signed out");
    this.socket = null;
    this.setStatus("offline");
  }

  /** Try at once (the browser came back online, say) instead of waiting for the backoff. */
  reconnectNow(): void {
    if (this.stopped || this.status === "online" || this.status === "connecting") return;
    this.timers.clearTimeout(this.reconnectTimer);
    this.attempts = 0;
    this.connect();
  }

  /**
   * The browser says the network is gone: the socket is as good as dead (nothing it holds
   * can be trusted to arrive), so it is dropped now; what is written meanwhile waits in the
   * outbox, and `reconnectNow` (back online) or the backoff brings the client back.
   */
  wentOffline(): void {
    const socket = this.socket;
    if (this.stopped || !socket) return;
    this.closed(4000);
    socket.close(4000, "offline");
  }

  onFrame(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onStatus(listener: (status: Status) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: Status): void {
    this.status = status;
    this.statusListeners.forEach((listener) => {
      listener(status);
    });
  }

  private connect(): void {
    const token = this.options.token();
    if (!token) {
      void this.refreshThenConnect();
      return;
    }
    this.setStatus("connecting");
    this.ready = false;
    const socket = this.options.connect(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", token }));
    };
    socket.onmessage = (data) => {
      if (socket === this.socket) this.receive(JSON.parse(data) as ServerFrame);
    };
    socket.onclose = (code) => {
      if (socket === this.socket) this.closed(code);
    };
  }

  private closed(code: number): void {
    this.socket = null;
    this.ready = false;
    this.inFlight = null;
    this.clearTimers();
    if (this.stopped) return;
    this.setStatus("offline");
    if (code === CLOSE_UNAUTHORIZED) {
      void this.refreshThenConnect();
      return;
    }
    this.reconnectLater();
  }

  /** Connect again after the backoff: exponential, with jitter. */
  private reconnectLater(): void {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempts);
    this.attempts += 1;
    // Full jitter on half the delay: clients dropped together do not come back together.
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.timers.setTimeout(
      () => {
        this.connect();
      },
      delay / 2 + (this.random() * delay) / 2,
    );
  }

  private async refreshThenConnect(): Promise<void> {
    const result = await this.options.refresh();
    if (this.stopped) return;
    if (result === "refreshed") {
      this.connect();
    } else if (result === "unreachable") {
      this.setStatus("offline");
      this.reconnectLater();
    } else {
      this.stopped = true;
      this.setStatus("signed-out");
    }
  }

  private clearTimers(): void {
    for (const timer of [this.reconnectTimer, this.pingTimer, this.silenceTimer, this.retryTimer, this.gapTimer]) {
      this.timers.clearTimeout(timer);
    }
  }

  /** Ping now and then; a socket silent for too long is dead even if it was not closed. */
  private heard(): void {
    this.timers.clearTimeout(this.silenceTimer);
    this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = this.timers.setTimeout(() => {
      this.sendFrame({ type: "ping" });
      this.silenceTimer = this.timers.setTimeout(() => {
        const socket = this.socket;
        if (socket) {
          this.closed(4000);
          socket.close(4000, "no answer");
        }
      }, SILENCE_LIMIT_MS);
    }, PING_EVERY_MS);
  }

  private sendFrame(frame: ClientFrame): boolean {
    if (!this.socket || !this.ready) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  // -- receiving ---------------------------------------------------------------------------

  private receive(frame: ServerFrame): void {
    this.heard();
    switch (frame.type) {
      case "ready":
        this.ready = true;
        this.attempts = 0;
        this.setStatus("online");
        this.resume();
        for (const questionId of this.watched) this.sendFrame({ type: "watch", question_id: questionId });
        break;
      case "resumed":
        for (const conversationId of this.store.held()) {
          this.store.settle(conversationId, this.store.messages(conversationId).at(-1)?.seq ?? 0);
        }
        this.flush();
        break;
      case "resync":
        this.resume();
        break;
      case "ack":
        this.store.acked(frame.client_id, frame.message);
        if (frame.client_id === this.inFlight) {
          this.inFlight = null;
          this.flush();
        }
        break;
      case "message":
        // A message from someone ends their typing indicator.
        this.store.stopTyping(frame.message.conversation_id, frame.message.sender_id);
        this.store.apply(frame.message);
        break;
      case "message_updated":
        this.store.apply(frame.message);
        break;
      case "read":
        this.store.setReadMark(frame.conversation_id, frame.user_id, frame.seq);
        break;
      case "typing":
        this.store.setTyping(frame.conversation_id, frame.user_id, this.now() + TYPING_SHOWN_MS);
        break;
      case "gap":
        void this.fillGap(frame);
        break;
      case "stale":
        this.store.reset(frame.conversation_id);
        this.options.refetch(frame.conversation_id);
        break;
      case "error":
        this.refused(frame);
        break;
      default:
        break;
    }
    this.handlers.forEach((handler) => {
      handler(frame);
    });
  }

  private resume(): void {
    const cursors: Record<string, number> = {};
    const revs: Record<string, number> = {};
    for (const conversationId of this.store.held()) {
      cursors[conversationId] = this.store.cursor(conversationId);
      revs[conversationId] = this.store.rev(conversationId);
    }
    this.sendFrame({ type: "resume", cursors, revs });
  }

  /** Page the rest of a `gap` over REST; if that fails, resume again a little later (the
   * server answers with the same gap, or with the messages if the socket is what recovered). */
  private async fillGap(frame: FrameOf<"gap">): Promise<void> {
    try {
      const messages = await this.options.fetchAfter(frame.conversation_id, frame.after);
      this.store.applyAll(messages);
    } catch (error) {
      if (isStale(error)) {
        // The server no longer has what this client holds (data lost, a backup restored).
        this.store.reset(frame.conversation_id);
        this.options.refetch(frame.conversation_id);
        return;
      }
      this.timers.clearTimeout(this.gapTimer);
      this.gapTimer = this.timers.setTimeout(() => {
        this.resume();
      }, GAP_RETRY_MS);
    }
  }

  private refused(frame: FrameOf<"error">): void {
    const outgoing = this.store.pending().find((o) => o.clientId === frame.ref);
    if (!outgoing) return;
    if (frame.ref === this.inFlight) this.inFlight = null;
    if (frame.code === "busy" || frame.code === "rate_limited") {
      // Sent again, before anything after it, once the server has room.
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = this.timers.setTimeout(
        () => {
          this.flush();
        },
        (frame.retry_after ?? 1) * 1000,
      );
      return;
    }
    this.store.fail(outgoing.clientId, frame.message, frame.code);
    this.flush();
  }

  // -- sending -----------------------------------------------------------------------------

  /** Queue a message; it is sent now if the socket is up, else once it is. Its client id. */
  send(conversationId: string, body: string, senderId: string, attachments: string[] = []): string {
    const clientId = this.newClientId();
    this.store.addOutgoing({
      clientId,
      conversationId,
      body,
      attachments,
      senderId,
      createdAt: new Date(this.now()).toISOString(),
    });
    this.flush();
    return clientId;
  }

  /** Send a failed message again. */
  retry(clientId: string): void {
    this.store.retry(clientId);
    this.flush();
  }

  /** Send the oldest message not acked yet, unless one is on its way. */
  private flush(): void {
    if (this.inFlight !== null) return;
    const next = this.store.pending().find((o) => !o.failed);
    if (!next) return;
    const sent = this.sendFrame({
      type: "message",
      conversation_id: next.conversationId,
      client_id: next.clientId,
      body: next.body,
      attachments: next.attachments,
    });
    if (sent) this.inFlight = next.clientId;
  }

  typing(conversationId: string): void {
    this.sendFrame({ type: "typing", conversation_id: conversationId });
  }

  watch(questionId: string): void {
    this.watched.add(questionId);
    this.sendFrame({ type: "watch", question_id: questionId });
  }

  unwatch(questionId: string): void {
    this.watched.delete(questionId);
    this.sendFrame({ type: "unwatch", question_id: questionId });
  }
}
