import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { Avatar } from "../../components/Avatar";
import { Icon } from "../../components/Icon";

interface Props {
  name: string;
  avatarUrl?: string | null;
  /** Whether the other person is online (a direct conversation), or undefined (no line). */
  online?: boolean;
}

/** The top of a conversation: back to the inbox (phones), who it is with, and presence. */
export function ConversationHeader({ name, avatarUrl, online }: Props) {
  const { t } = useTranslation();
  return (
    <header className="conversation-header">
      <Link to="/chat" className="back-link" aria-label={t("common.back")}>
        <Icon name="back" />
      </Link>
      <Avatar name={name || "…"} url={avatarUrl} size={36} online={online} />
      <div>
        <h1>{name}</h1>
        {online !== undefined && <span className="muted small">{online ? t("chat.online") : t("chat.offline")}</span>}
      </div>
    </header>
  );
}
