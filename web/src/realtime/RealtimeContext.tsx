/**
 * The tab's real-time client, started while someone is signed in, and what its frames change
 * in the rest of the app: queries refetched (inbox, notifications, questions), presence.
 */
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import { api, unwrap } from "../api/client";
import { currentToken, onSignOut, refresh } from "../api/session";
import type { Message } from "../api/types";
import { useAuth } from "../features/auth/AuthContext";
import { chatKeys } from "../features/chat/queries";
import { mentorshipKeys } from "../features/mentorships/queries";
import { notificationKeys } from "../features/notifications/queries";
import { RealtimeClient, type SocketLike, type Status } from "./client";
import type { ServerFrame } from "./frames";
import { Versioned } from "./versioned";

/** Who is online, as `presence` frames say. */
class Presence extends Versioned {
  private online = new Set<string>();
  set(userId: string, online: boolean): void {
    if (online === this.online.has(userId)) return;
    if (online) this.online.add(userId);
    else this.online.delete(userId);
    this.changed();
  }
  has(userId: string): boolean {
    return this.online.has(userId);
  }
}

function browserSocket(url: string): SocketLike {
  const socket = new WebSocket(url);
  const wrapper: SocketLike = {
    send: (data) => {
      socket.send(data);
    },
    close: (code, reason) => {
      socket.close(code, reason);
    },
    onopen: null,
    onmessage: null,
    onclose: null,
  };
  socket.onopen = () => wrapper.onopen?.();
  socket.onmessage = (event) => wrapper.onmessage?.(String(event.data));
  socket.onclose = (event) => wrapper.onclose?.(event.code);
  return wrapper;
}

async function messagesAfter(conversationId: string, seq: number): Promise<Message[]> {
  const found: Message[] = [];
  let cursor: string | undefined;
  let after: number | undefined = seq;
  for (;;) {
    const page = unwrap(
      await api.GET("/api/conversations/{conversation_id}/messages/", {
        params: { path: { conversation_id: conversationId }, query: { after, cursor, limit: 100 } },
      }),
    );
    found.push(...page.results);
    if (!page.next_cursor) return found;
    cursor = page.next_cursor;
    after = undefined;
  }
}

interface Realtime {
  client: RealtimeClient;
  presence: Presence;
}

const RealtimeContext = createContext<Realtime | null>(null);

export function RealtimeProvider({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const queries = useQueryClient();
  const realtime = useMemo<Realtime>(() => {
    const protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const client = new RealtimeClient({
      url: `${protocol}//${location.host}/ws`,
      connect: browserSocket,
      token: currentToken,
      refresh,
      fetchAfter: messagesAfter,
      refetch: (conversationId) => void queries.resetQueries({ queryKey: chatKeys.history(conversationId) }),
    });
    return { client, presence: new Presence() };
  }, [queries]);

  useEffect(() => {
    if (status !== "signed-in") return;
    const { client, presence } = realtime;
    const stopFrames = client.onFrame((frame: ServerFrame) => {
      switch (frame.type) {
        case "message":
        case "message_updated": // an edit, a deletion or a removal changes the preview
        case "ack":
        case "conversation":
        case "read":
          void queries.invalidateQueries({ queryKey: chatKeys.inbox });
          break;
        case "notification":
          void queries.invalidateQueries({ queryKey: notificationKeys.all });
          if (frame.notification.kind === "mentorship" || frame.notification.kind === "session")
            void queries.invalidateQueries({ queryKey: mentorshipKeys.all });
          break;
        case "presence":
          presence.set(frame.user_id, frame.online);
          break;
        case "resync":
          void queries.invalidateQueries();
          break;
        default:
          break;
      }
    });
    const comeBack = () => {
      client.reconnectNow();
    };
    const goAway = () => {
      client.wentOffline();
    };
    // The connection's state, for styles and for the browser tests to wait on.
    const stopStatus = client.onStatus((now) => (document.documentElement.dataset.realtime = now));
    window.addEventListener("online", comeBack);
    window.addEventListener("offline", goAway);
    const stopOnSignOut = onSignOut(() => {
      client.stop();
    });
    client.start();
    return () => {
      stopFrames();
      stopStatus();
      stopOnSignOut();
      window.removeEventListener("online", comeBack);
      window.removeEventListener("offline", goAway);
      client.stop();
      delete document.documentElement.dataset.realtime;
    };
  }, [status, realtime, queries]);

  return <RealtimeContext.Provider value={realtime}>{children}</RealtimeContext.Provider>;
}

export function useRealtime(): Realtime {
  const realtime = useContext(RealtimeContext);
  if (!realtime) throw new Error("useRealtime outside RealtimeProvider");
  return realtime;
}

/** Re-render when the client's store changes; returns the store. */
export function useMessageStore() {
  const { client } = useRealtime();
  useSyncExternalStore(client.store.subscribe, client.store.getVersion);
  return client.store;
}

export function usePresence(userId: string | undefined): boolean {
  const { presence } = useRealtime();
  useSyncExternalStore(presence.subscribe, presence.getVersion);
  return userId ? presence.has(userId) : false;
}

export function useConnection(): Status {
  const { client } = useRealtime();
  const [status, setStatus] = useState<Status>(client.status);
  useEffect(() => client.onStatus(setStatus), [client]);
  return status;
}
