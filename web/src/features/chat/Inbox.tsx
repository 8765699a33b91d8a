import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";
import { api, unwrap } from "../../api/client";
import type { Conversation } from "../../api/types";
import { useAuth } from "../auth/AuthContext";
import { usePresence } from "../../realtime/RealtimeContext";
import { ago } from "../../lib/format";
import { usePagedList } from "../../lib/pagedList";
import { Avatar } from "../../components/Avatar";
import { EmptyState, ErrorState, Skeleton } from "../../components/States";
import { chatKeys } from "./queries";

/** What a conversation is called for the viewer: its title, or the other person's name. */
export function conversationName(conversation: Conversation, meId: string | undefined): string {
  if (conversation.title) return conversation.title;
  const others = conversation.participants.filter((p) => p.id !== meId);
  return others.map((p) => p.display_name).join(", ") || "—";
}

function InboxRow({ conversation }: { conversation: Conversation }) {
  const { t } = useTranslation();
  const { user } = useAuth();
  const other = conversation.kind === "direct" ? conversation.participants.find((p) => p.id !== user?.id) : undefined;
  const online = usePresence(other?.id);
  const name = conversationName(conversation, user?.id);
  const last = conversation.last_message;
  const attached = last?.attachments[0]?.content_type.startsWith("image/") ? t("chat.photo") : t("chat.file");
  const preview = last
    ? last.hidden
      ? t("chat.removed")
      : last.deleted
        ? t("chat.deleted")
        : last.body || attached
    : "";
  return (
    <li>
      <NavLink to={`/chat/${conversation.id}`} className="inbox-row" data-testid="inbox-row">
        <Avatar name={name} url={other?.avatar_url} size={44} online={other ? online : undefined} />
        <span className="inbox-text">
          <span className="inbox-name">{name}</span>
          <span className="inbox-preview">
            {last && last.sender_id === user?.id && `${t("chat.you")}: `}
            {preview}
          </span>
        </span>
        <span className="inbox-side">
          <time className="muted small" dateTime={conversation.updated_at}>
            {ago(conversation.updated_at)}
          </time>
          {conversation.unread_count > 0 && (
            <span className="badge" data-testid="unread-badge">
              {conversation.unread_count}
            </span>
          )}
        </span>
      </NavLink>
    </li>
  );
}

/** The caller's conversations, newest activity first; refetched as frames come in. */
export function Inbox() {
  const { t } = useTranslation();
  const {
    query: inbox,
    items: conversations,
    end: sentinel,
  } = usePagedList<Conversation, HTMLLIElement>(chatKeys.inbox, async (cursor) =>
    unwrap(await api.GET("/api/conversations/", { params: { query: { limit: 30, cursor } } })),
  );
  if (inbox.isPending) return <Skeleton lines={5} />;
  if (inbox.isError) return <ErrorState error={inbox.error} retry={() => void inbox.refetch()} />;
  if (conversations.length === 0) return <EmptyState>{t("chat.empty")}</EmptyState>;
  return (
    <ul className="inbox" aria-label={t("chat.title")}>
      {conversations.map((conversation) => (
        <InboxRow key={conversation.id} conversation={conversation} />
      ))}
      <li ref={sentinel} className="sentinel" aria-hidden="true" />
    </ul>
  );
}
