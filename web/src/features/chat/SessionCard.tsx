// A booked, moved or cancelled mentoring session, as its card in the conversation: the time
// in this viewer's time zone, and the mentor's meeting link.
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { sessionTime } from "../../lib/format";
import type { SessionEvent } from "./systemEvents";

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

/** An accepted mentorship's announcement, with the way to book its first session. */
export function MentorshipStarted({ body, mentorshipId }: { body: string; mentorshipId: string }) {
  const { t } = useTranslation();
  return (
    <>
      {body} · <Link to={`/mentorships/${mentorshipId}`}>{t("mentorship.bookFromChat")}</Link>
    </>
  );
}
