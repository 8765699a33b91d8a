import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Message } from "../../api/types";
import { useAuth } from "../auth/AuthContext";
import { useMessageStore, usePresence, useRealtime } from "../../realtime/RealtimeContext";
import { day, dayKey } from "../../lib/format";
import { useOnVisible } from "../../lib/hooks";
import { ErrorState, Skeleton } from "../../components/States";
import { notificationKeys } from "../notifications/queries";
import { Composer } from "./Composer";
import { BlockButton } from "../safety/BlockButton";
import { useBlockedIds } from "../safety/queries";
import { ConversationHeader } from "./ConversationHeader";
import { chatKeys, conversationQuery } from "./queries";
import { conversationName } from "./Inbox";
import { MessageItem, OutgoingItem } from "./MessageItem";
import { useMessageScroll } from "./useMessageScroll";

const PAGE = 50;

/** History pages, newest first, poured into the message store (which live frames also fill). */
function useHistory(conversationId: string) {
  const { client } = useRealtime();
  const history = useInfiniteQuery({
    queryKey: chatKeys.history(conversationId),
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/conversations/{conversation_id}/messages/", {
          params: { path: { conversation_id: conversationId }, query: { limit: PAGE, before: pageParam } },
        }),
      ),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (page) => (page.next_cursor && page.results[0] ? page.results[0].seq : undefined),
    staleTime: Infinity, // the socket keeps it current
  });
  useEffect(() => {
    const pages = history.data?.pages ?? [];
    pages.forEach((page, index) => {
      const newest = page.results.at(-1)?.seq ?? 0;
      // The first page ends at the newest message: everything up to it is now known.
      client.store.applyAll(page.results, index === 0 ? { conversationId, seq: newest } : undefined);
    });
  }, [history.data, client, conversationId]);
  return history;
}

export function ConversationView({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const { user } = useAuth();
  const { client } = useRealtime();
  const store = useMessageStore();
  const queries = useQueryClient();
  const conversation = useQuery(conversationQuery(conversationId));
  const history = useHistory(conversationId);
  const messages = store.messages(conversationId);
  const pending = store.pending(conversationId);
  const marks = { ...(conversation.data?.read_marks ?? {}), ...store.readMarks(conversationId) };
  const [now, setNow] = useState(Date.now());
  const [current, setCurrent] = useState<number | null>(null); // the message Tab stops at
  const typing = store.typing(conversationId, now).filter((id) => id !== user?.id);
  useEffect(() => {
    if (typing.length === 0) return;
    const timer = setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, [typing.length]);

  const people = useMemo(
    () => new Map((conversation.data?.participants ?? []).map((p) => [p.id, p])),
    [conversation.data],
  );
  const other =
    conversation.data?.kind === "direct" ? conversation.data.participants.find((p) => p.id !== user?.id) : undefined;
  const online = usePresence(other?.id);
  const blocked = useBlockedIds();

  const firstSeq = messages[0]?.seq;
  const { list, onScroll, holdPlace } = useMessageScroll([messages.length, pending.length, firstSeq, typing.length]);
  const older = useOnVisible<HTMLLIElement>(() => {
    holdPlace();
    void history.fetchNextPage();
  }, history.hasNextPage && !history.isFetchingNextPage);

  // Reading: the marker follows the newest message while the page is in view.
  const newest = messages.at(-1)?.seq ?? 0;
  const myMark = user ? (marks[user.id] ?? 0) : 0;
  useEffect(() => {
    if (!user || newest <= myMark || document.visibilityState !== "visible") return;
    store.setReadMark(conversationId, user.id, newest);
    void api
      .POST("/api/conversations/{conversation_id}/read", {
        params: { path: { conversation_id: conversationId } },
        body: { seq: newest },
      })
      // Reading to the end reads the conversation's notifications: the bell and the inbox.
      .then(() => queries.invalidateQueries({ queryKey: notificationKeys.all }))
      .then(() => queries.invalidateQueries({ queryKey: chatKeys.inbox }))
      .catch(() => undefined); // offline: the marker moves again with the next message read
  }, [newest, myMark, user, conversationId, store, queries]);

  async function edit(message: Message, body: string) {
    const changed = unwrap(
      await api.PATCH("/api/conversations/{conversation_id}/messages/{seq}/", {
        params: { path: { conversation_id: conversationId, seq: String(message.seq) } },
        body: { body },
      }),
    );
    store.apply(changed);
  }

  async function remove(message: Message) {
    unwrap(
      await api.DELETE("/api/conversations/{conversation_id}/messages/{seq}/", {
        params: { path: { conversation_id: conversationId, seq: String(message.seq) } },
      }),
    );
  }

  if (conversation.isError) return <ErrorState error={conversation.error} retry={() => void conversation.refetch()} />;
  const name = conversation.data ? conversationName(conversation.data, user?.id) : "";
  const othersMark = Math.max(
    0,
    ...Object.entries(marks)
      .filter(([id]) => id !== user?.id)
      .map(([, seq]) => seq),
  );
  const lastMine = [...messages].reverse().find((m) => m.sender_id === user?.id && m.kind === "user");
  const lastSpoken = [...messages].reverse().find((m) => m.kind === "user")?.seq;

  return (
    <section className="conversation" aria-label={name}>
      <ConversationHeader
        name={name}
        avatarUrl={other?.avatar_url}
        online={other ? online : undefined}
        conversation={conversation.data}
        other={other}
      />
      <ol className="messages" ref={list} onScroll={onScroll}>
        <li ref={older} className="sentinel" aria-hidden="true" />
        {history.isPending ? (
          <li>
            <Skeleton lines={4} />
          </li>
        ) : history.isError ? (
          <li>
            <ErrorState error={history.error} retry={() => void history.refetch()} />
          </li>
        ) : !history.hasNextPage ? (
          <li className="system-message">{t("chat.start")}</li>
        ) : (
          history.isFetchingNextPage && <li className="system-message">{t("chat.olderLoading")}</li>
        )}
        {messages.map((message, index) => {
          const previous = messages[index - 1];
          const newDay = !previous || dayKey(previous.created_at) !== dayKey(message.created_at);
          return (
            <Fragment key={message.seq}>
              {newDay && (
                <li className="day-separator">
                  <span>{day(message.created_at, t("chat.today"), t("chat.yesterday"))}</span>
                </li>
              )}
              <MessageItem
                message={message}
                current={(current ?? lastSpoken) === message.seq}
                onCurrent={() => {
                  setCurrent(message.seq);
                }}
                mine={message.sender_id === user?.id}
                folded={message.from_blocked === true || blocked.has(message.sender_id)}
                author={conversation.data?.kind === "group" ? people.get(message.sender_id)?.display_name : undefined}
                seen={message === lastMine && othersMark >= message.seq}
                onEdit={(body) => edit(message, body)}
                onDelete={() => remove(message)}
              />
            </Fragment>
          );
        })}
        {pending.map((outgoing) => (
          <OutgoingItem
            key={outgoing.clientId}
            outgoing={outgoing}
            onRetry={() => {
              client.retry(outgoing.clientId);
            }}
            onDiscard={() => {
              store.discard(outgoing.clientId);
            }}
          />
        ))}
      </ol>
      <p className="typing" aria-live="polite">
        {typing.length > 0 && t("chat.typing", { name: people.get(typing[0] ?? "")?.display_name ?? "…" })}
      </p>
      {other && blocked.has(other.id) ? (
        <div className="blocked-notice" role="status">
          <span>{t("chat.youBlocked", { name: other.display_name })}</span>
          <BlockButton userId={other.id} name={other.display_name} className="button button-small button-secondary" />
        </div>
      ) : (
        <Composer
          conversationId={conversationId}
          onSend={(body, attachments) => user && client.send(conversationId, body, user.id, attachments)}
          onTyping={() => {
            client.typing(conversationId);
          }}
        />
      )}
    </section>
  );
}
