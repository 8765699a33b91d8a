import { useTranslation } from "react-i18next";
import { useParams } from "react-router";
import { ConversationView } from "./ConversationView";
import { Inbox } from "./Inbox";
import { NewConversationView } from "./NewConversationView";

/** The inbox beside the open conversation (one at a time on a phone). */
export function ChatPage() {
  const { t } = useTranslation();
  const { id, userId } = useParams();
  const open = id ?? userId;
  return (
    <div className={open ? "chat-layout has-conversation" : "chat-layout"}>
      <aside className="chat-inbox">
        <h1 className="chat-title">{t("chat.title")}</h1>
        <Inbox />
      </aside>
      <div className="chat-main">
        {id ? (
          <ConversationView key={id} conversationId={id} />
        ) : userId ? (
          <NewConversationView key={userId} userId={userId} />
        ) : (
          <p className="empty">{t("chat.pick")}</p>
        )}
      </div>
    </div>
  );
}
