import { useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Message } from "../../api/types";
import type { Outgoing } from "../../realtime/store";
import { time } from "../../lib/format";
import { useAction } from "../../lib/hooks";
import { EditForm } from "../../components/EditForm";
import { ReportButton } from "../safety/ReportDialog";
import { Attachments } from "./Attachments";
import { MentorshipStarted, SessionCard } from "./SessionCard";
import { acceptedMentorship, sessionCard } from "./systemEvents";

interface Props {
  message: Message;
  mine: boolean;
  /** From someone the reader blocked: folded until they ask to see it. */
  folded?: boolean;
  author?: string;
  seen: boolean;
  /** The one message the Tab key stops at (a roving tab stop: arrows move it). */
  current: boolean;
  onCurrent: () => void;
  onEdit: (body: string) => Promise<void>;
  onDelete: () => Promise<void>;
}

/** Up and Down (Home, End) move between the messages of a list; the list is one Tab stop. */
export function moveBetweenMessages(event: KeyboardEvent<HTMLElement>): void {
  if (event.target !== event.currentTarget) return; // keys typed in an edit box stay there
  const all = [...(event.currentTarget.parentElement?.querySelectorAll<HTMLElement>("[data-message]") ?? [])];
  const at = all.indexOf(event.currentTarget);
  const to = { ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: all.length - 1 }[event.key];
  if (to === undefined || !all[to]) return;
  event.preventDefault();
  all[to].focus();
}

/** One message: yours on the right, with edit and delete behind one actions button (others':
 * report); "Seen" under your last one read. Removed ones say so; those from someone you
 * blocked are folded. */
export function MessageItem({
  message,
  mine,
  folded = false,
  author,
  seen,
  current,
  onCurrent,
  onEdit,
  onDelete,
}: Props) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const [menu, setMenu] = useState(false);
  const [unfolded, setUnfolded] = useState(false);
  const action = useAction(); // an edit or a deletion, and why it failed
  if (message.kind === "system") {
    const card = sessionCard(message.event);
    const started = acceptedMentorship(message.event);
    return (
      <li className="system-message" data-seq={message.seq}>
        {card ? (
          <SessionCard event={card} />
        ) : started ? (
          <MentorshipStarted body={message.body} mentorshipId={started} />
        ) : (
          message.body
        )}
      </li>
    );
  }
  const gone = message.deleted || message.hidden;
  const classes = ["message", mine ? "mine" : "theirs", gone ? "deleted" : ""].join(" ");
  const stop = current ? 0 : -1;
  const closeOnEscape = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === "Escape") setMenu(false);
  };
  return (
    // The list's roving tab stop (a feed of messages): the focused one is the stop, and arrows
    // move it; a message is not a control, so jsx-a11y cannot tell this pattern from a misuse.
    // eslint-disable-next-line jsx-a11y/no-noninteractive-element-interactions
    <li
      className={classes}
      data-seq={message.seq}
      data-testid="message"
      data-message
      tabIndex={stop}
      onFocus={onCurrent}
      onKeyDown={moveBetweenMessages}
    >
      {!mine && author && <span className="author">{author}</span>}
      <div className={!message.body && !gone && !editing ? "bubble media-only" : "bubble"}>
        {message.hidden ? (
          <em>{t("chat.removed")}</em>
        ) : message.deleted ? (
          <em>{t("chat.deleted")}</em>
        ) : folded && !unfolded ? (
          <button
            type="button"
            className="link-button folded"
            tabIndex={stop}
            onClick={() => {
              setUnfolded(true);
            }}
          >
            {t("chat.fromBlocked")}
          </button>
        ) : editing ? (
          <EditForm
            className="edit-form"
            initial={message.body}
            label={t("chat.editPrompt")}
            onSave={(text) => action.run(() => onEdit(text))}
            onCancel={() => {
              setEditing(false);
            }}
          />
        ) : (
          <>
            {message.body && <p className="body">{message.body}</p>}
            <Attachments items={message.attachments} />
          </>
        )}
      </div>
      <span className="meta">
        <time dateTime={message.created_at}>{time(message.created_at)}</time>
        {message.edited_at && !gone && <span className="edited">· {t("chat.edited")}</span>}
        {mine && seen && <span className="seen">· {t("chat.seen")}</span>}
        {!gone && !editing && (!folded || unfolded) && (
          <span className={menu ? "message-actions open" : "message-actions"}>
            <button
              onKeyDown={closeOnEscape}
              type="button"
              className="link-button actions-toggle"
              tabIndex={stop}
              aria-expanded={menu}
              aria-label={t("chat.messageActions")}
              onClick={() => {
                setMenu((open) => !open);
              }}
            >
              ⋯
            </button>
            {menu && !mine && <ReportButton target={{ kind: "message", id: message.id }} label={t("report.message")} />}
            {menu && mine && (
              <>
                <button
                  onKeyDown={closeOnEscape}
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setMenu(false);
                    setEditing(true);
                  }}
                >
                  {t("common.edit")}
                </button>
                <button
                  onKeyDown={closeOnEscape}
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setMenu(false);
                    if (window.confirm(t("chat.confirmDelete"))) void action.run(onDelete);
                  }}
                >
                  {t("common.delete")}
                </button>
              </>
            )}
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
export function OutgoingItem({
  outgoing,
  onRetry,
  onDiscard,
}: {
  outgoing: Outgoing;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  const { t } = useTranslation();
  return (
    <li className="message mine pending" data-testid="message">
      <div className="bubble">
        <p className="body">{outgoing.body}</p>
      </div>
      <span className="meta">
        {outgoing.failed ? (
          <>
            <span className="failed" role="alert">
              {t("chat.failed", {
                reason: outgoing.failedCode === "blocked" ? t("chat.refusedBlocked") : outgoing.failed,
              })}
            </span>{" "}
            <button type="button" className="link-button" onClick={onRetry}>
              {t("chat.retrySend")}
            </button>{" "}
            <button type="button" className="link-button" onClick={onDiscard}>
              {t("chat.discard")}
            </button>
          </>
        ) : (
          t("chat.sending")
        )}
      </span>
    </li>
  );
}
