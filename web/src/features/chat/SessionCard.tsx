// A booked, moved or cancelled mentoring session, as its card in the conversation: the time
// in this viewer's time zone, and the mentor's meeting link.
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { sessionTime } from "../../lib/format";

export interface SessionEvent {
  type: "session_booked" | "session_rescheduled" | "session_cancelled";
  session_id: string;
  mentorship_id: string;
  start: string;
  minutes: number;
  meeting_url: string | null;
}

/** The session a system message's `event` describes, if it is about one. */
export function sessionCard(event: unknown): SessionEvent | null {
  if (event === null || typeof event !== "object") return null;
  const type = (event as { type?: unknown }).type;
  return type === "session_booked" || type === "session_rescheduled" || type === "session_cancelled"
    ? (event as SessionEvent)
    : null;
}

export function SessionCard({ event }: { event: SessionEvent }) {
  const { t } = useTranslation();
  const cancelled = event.type === "session_cancelled";
  return (
    <div className={cancelled ? "session-card cancelled" : "session-card"} data-testid="session-card">
      <strong>{t(`mentorship.card.${event.type}`)}</strong>
      <span className={cancelled ? "struck" : undefined}>{sessionTime(event.start, event.minutes)}</span>
      <span className="session-card-links">
        {!cancelled && event.meeting_url && (
          <a href={event.meeting_url} target="_blank" rel="noreferrer">
            {t("mentorship.join")}
          </a>
        )}
        <Link to={`/mentorships/${event.mentorship_id}`}>{t("mentorship.open")}</Link>
      </span>
    </div>
  );
}
