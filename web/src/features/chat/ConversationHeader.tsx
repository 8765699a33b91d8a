import { useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Conversation, PublicUser } from "../../api/types";
import { Avatar } from "../../components/Avatar";
import { FormError } from "../../components/FormError";
import { Icon } from "../../components/Icon";
import { BlockButton } from "../safety/BlockButton";
import { ReportButton } from "../safety/ReportDialog";
import { useSetMuted } from "../safety/queries";

interface Props {
  name: string;
  avatarUrl?: string | null;
  /** Whether the other person is online (a direct conversation), or undefined (no line). */
  online?: boolean;
  conversation?: Conversation;
  /** The other person of a direct conversation. */
  other?: PublicUser;
}

/** The conversation's menu: mute, and for a direct one, block and report the other person. */
function ConversationMenu({ conversation, other }: { conversation: Conversation; other?: PublicUser }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const setMuted = useSetMuted();
  const close = () => {
    setOpen(false);
  };
  const closeOnEscape = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === "Escape") close();
  };
  return (
    // Escape closes the menu from any of its buttons.
    // eslint-disable-next-line jsx-a11y/no-static-element-interactions
    <div className="conversation-menu" onKeyDown={closeOnEscape}>
      <button
        type="button"
        className="icon-button"
        aria-expanded={open}
        aria-label={t("chat.conversationActions")}
        onClick={() => {
          setOpen((now) => !now);
        }}
      >
        ⋯
      </button>
      {open && (
        <div className="menu-panel">
          <button
            type="button"
            className="link-button"
            disabled={setMuted.isPending}
            onClick={() => {
              setMuted.mutate({ conversationId: conversation.id, muted: !conversation.muted }, { onSuccess: close });
            }}
          >
            {conversation.muted ? t("chat.unmute") : t("chat.mute")}
          </button>
          {other && (
            <>
              <BlockButton userId={other.id} name={other.display_name} onDone={close} />
              <ReportButton target={{ kind: "user", id: other.id }} label={t("report.user")} />
            </>
          )}
          <FormError error={setMuted.error?.message} />
        </div>
      )}
    </div>
  );
}

/** The top of a conversation: back to the inbox (phones), who it is with, presence, and the
 * conversation's menu. */
export function ConversationHeader({ name, avatarUrl, online, conversation, other }: Props) {
  const { t } = useTranslation();
  return (
    <header className="conversation-header">
      <Link to="/chat" className="back-link" aria-label={t("common.back")}>
        <Icon name="back" />
      </Link>
      <Avatar name={name || "…"} url={avatarUrl} size={36} online={online} />
      <div className="conversation-title">
        <h1>{name}</h1>
        {online !== undefined && <span className="muted small">{online ? t("chat.online") : t("chat.offline")}</span>}
        {conversation?.muted && <span className="muted small"> · {t("chat.muted")}</span>}
      </div>
      {conversation && <ConversationMenu conversation={conversation} other={other} />}
    </header>
  );
}
