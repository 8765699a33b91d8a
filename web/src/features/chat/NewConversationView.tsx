import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useNavigate } from "react-router";
import { api, unwrap } from "../../api/client";
import { ErrorState, Skeleton } from "../../components/States";
import { personQuery } from "../directory/queries";
import { Composer } from "./Composer";
import { ConversationHeader } from "./ConversationHeader";
import { chatKeys, directWithQuery } from "./queries";

/**
 * Writing to someone for the first time. Nothing is created until the first message is sent:
 * then the conversation and that message are made together (`POST /api/conversations/` with
 * `message`), so the other person never sees an empty conversation. When the two already have
 * one, this goes straight to it.
 */
export function NewConversationView({ userId }: { userId: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const existing = useQuery(directWithQuery(userId));
  const person = useQuery(personQuery(userId));

  if (existing.data) return <Navigate to={`/chat/${existing.data.id}`} replace />;
  if (existing.isError || person.isError) {
    const failed = existing.isError ? existing : person;
    return <ErrorState error={failed.error} retry={() => void failed.refetch()} />;
  }
  if (existing.isPending || person.isPending) return <Skeleton lines={4} />;
  const name = person.data.display_name;

  async function start(body: string) {
    setSending(true);
    setError(null);
    try {
      const conversation = unwrap(
        await api.POST("/api/conversations/", {
          body: { participant_ids: [userId], message: { client_id: crypto.randomUUID(), body } },
        }),
      );
      await queries.invalidateQueries({ queryKey: chatKeys.inbox });
      void navigate(`/chat/${conversation.id}`, { replace: true });
    } catch (caught) {
      setError(caught);
      setSending(false);
    }
  }

  return (
    <section className="conversation" aria-label={name}>
      <ConversationHeader name={name} avatarUrl={person.data.avatar_url} />
      <ol className="messages">
        <li className="system-message">{t("chat.firstMessage", { name })}</li>
      </ol>
      {error !== null && <ErrorState error={error} />}
      <Composer
        conversationId={`to-${userId}`}
        onSend={(body) => void start(body)}
        onTyping={() => undefined}
        attachments={false}
        disabled={sending}
      />
    </section>
  );
}
