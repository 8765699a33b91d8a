// Settings: the people the user blocked and the conversations they muted, each undoable.
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { Avatar } from "../../components/Avatar";
import { FormError } from "../../components/FormError";
import { ErrorState, Skeleton } from "../../components/States";
import { useAuth } from "../auth/AuthContext";
import { conversationName } from "../chat/Inbox";
import { useBlocks, useMutedConversations, useSetBlocked, useSetMuted } from "../safety/queries";

export function BlockedPeople() {
  const { t } = useTranslation();
  const blocks = useBlocks();
  const setBlocked = useSetBlocked();
  if (blocks.isPending) return <Skeleton lines={2} />;
  if (blocks.isError) return <ErrorState error={blocks.error} retry={() => void blocks.refetch()} />;
  if (blocks.data.length === 0) return <p className="muted">{t("settings.noBlocks")}</p>;
  return (
    <>
      <ul className="settings-list">
        {blocks.data.map(({ user }) => (
          <li key={user.id}>
            <Avatar name={user.display_name} url={user.avatar_url} size={28} />
            <span>{user.display_name}</span>
            <button
              type="button"
              className="button button-small button-secondary"
              disabled={setBlocked.isPending}
              onClick={() => {
                setBlocked.mutate({ userId: user.id, blocked: false });
              }}
            >
              {t("block.unblock", { name: user.display_name })}
            </button>
          </li>
        ))}
      </ul>
      <FormError error={setBlocked.error?.message} />
    </>
  );
}

export function MutedConversations() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const muted = useMutedConversations();
  const setMuted = useSetMuted();
  if (muted.isPending) return <Skeleton lines={2} />;
  if (muted.isError) return <ErrorState error={muted.error} retry={() => void muted.refetch()} />;
  if (muted.data.length === 0) return <p className="muted">{t("settings.noMuted")}</p>;
  return (
    <>
      <ul className="settings-list">
        {muted.data.map((conversation) => (
          <li key={conversation.id}>
            <Link to={`/chat/${conversation.id}`}>{conversationName(conversation, user?.id)}</Link>
            <button
              type="button"
              className="button button-small button-secondary"
              disabled={setMuted.isPending}
              onClick={() => {
                setMuted.mutate({ conversationId: conversation.id, muted: false });
              }}
            >
              {t("chat.unmute")}
            </button>
          </li>
        ))}
      </ul>
      <FormError error={setMuted.error?.message} />
    </>
  );
}
