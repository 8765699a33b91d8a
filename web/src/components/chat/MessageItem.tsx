import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Message } from "../../api/types";
import type { Outgoing } from "../../realtime/store";
import { time } from "../../lib/format";
import { useAction } from "../../lib/hooks";
import { Attachments } from "./Attachments";

interface Props {
  message: Message;
  mine: boolean;
  author?: string;
  seen: boolean;
  onEdit: (body: string) => Promise<void>;
  onDelete: () => Promise<void>;
}

/** One message: yours on the right, with edit and delete; "Seen" under your last one read. */
export function MessageItem({ message, mine, author, seen, onEdit, onDelete }: Props) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.body);
  const action = useAction(); // an edit or a deletion, and why it failed
  if (message.kind === "system") {
    return (
      <li className="system-message" data-seq={message.seq}>
        {message.body}
      </li>
    );
  }
  const classes = ["message", mine ? "mine" : "theirs", message.deleted ? "deleted" : ""].join(" ");
  return (
    <li className={classes} data-seq={message.seq} data-testid="message">
      {!mine && author && <span className="author">{author}</span>}
      <div className={!message.body && !message.deleted && !editing ? "bubble media-only" : "bubble"}>
        {message.deleted ? (
          <em>{t("chat.deleted")}</em>
        ) : editing ? (
          <form
            className="edit-form"
            onSubmit={async (event) => {
              event.preventDefault();
              if (await action.run(() => onEdit(draft))) setEditing(false);
            }}
          >
            <label className="visually-hidden" htmlFor={`edit-${message.id}`}>
              {t("chat.editPrompt")}
            </label>
            <textarea id={`edit-${message.id}`} value={draft} onChange={(event) => setDraft(event.target.value)} autoFocus />
            <div className="row">
              <button type="submit" className="button button-small">{t("common.save")}</button>
              <button type="button" className="link-button" onClick={() => setEditing(false)}>{t("common.cancel")}</button>
            </div>
          </form>
        ) : (
          <>
            {message.body && <p className="body">{message.body}</p>}
            <Attachments items={message.attachments} />
          </>
        )}
      </div>
      <span className="meta">
        <time dateTime={message.created_at}>{time(message.created_at)}</time>
        {message.edited_at && !message.deleted && <span className="edited">· {t("chat.edited")}</span>}
        {mine && seen && <span className="seen">· {t("chat.seen")}</span>}
        {mine && !message.deleted && !editing && (
          <span className="message-actions" role="group" aria-label={t("chat.messageActions")}>
            <button type="button" className="link-button" onClick={() => { setDraft(message.body); setEditing(true); }}>
              {t("common.edit")}
            </button>
            <button
              type="button"
              className="link-button"
              onClick={() => {
                if (window.confirm(t("chat.confirmDelete"))) void action.run(onDelete);
              }}
            >
              {t("common.delete")}
            </button>
          </span>
        )}
      </span>
      {action.error && (
        <span className="failed small" role="alert">
          {action.error}
        </span>
      )}
    </li>
  );
}

/** A message still on its way (or refused). */
export function OutgoingItem({ outgoing, onRetry, onDiscard }: { outgoing: Outgoing; onRetry: () => void; onDiscard: () => void }) {
  const { t } = useTranslation();
  return (
    <li className="message mine pending" data-testid="message">
      <div className="bubble">
        <p className="body">{outgoing.body}</p>
      </div>
      <span className="meta">
        {outgoing.failed ? (
          <>
            <span className="failed">{t("chat.failed", { reason: outgoing.failed })}</span>{" "}
            <button type="button" className="link-button" onClick={onRetry}>{t("chat.retrySend")}</button>{" "}
            <button type="button" className="link-button" onClick={onDiscard}>{t("chat.discard")}</button>
          </>
        ) : (
          t("chat.sending")
        )}
      </span>
    </li>
  );
}
