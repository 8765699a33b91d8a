// One mentorship: who, where it stands, its goals and sessions, booking, and its review.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import type { MentorshipDetail } from "../../api/types";
import { FormError } from "../../components/FormError";
import { ErrorState, Skeleton } from "../../components/States";
import { dateTime, sessionTime } from "../../lib/format";
import { MentorshipActions } from "./MentorshipActions";
import { mentorshipQuery, useAddGoal, useCancelSession, useTickGoal } from "./queries";
import { ReviewSection } from "./ReviewSection";
import { SlotPicker } from "./SlotPicker";

function Goals({ mentorship }: { mentorship: MentorshipDetail }) {
  const { t } = useTranslation();
  const add = useAddGoal(mentorship.id);
  const tick = useTickGoal();
  const [text, setText] = useState("");
  const open = mentorship.state === "pending" || mentorship.state === "accepted";
  return (
    <section aria-labelledby="goals-title">
      <h2 id="goals-title" className="section-title">
        {t("mentorship.goals")}
      </h2>
      <ul className="goals">
        {mentorship.goals.map((goal) => (
          <li key={goal.id}>
            <label>
              <input
                type="checkbox"
                checked={goal.done}
                disabled={!open || tick.isPending}
                onChange={(event) => {
                  tick.mutate({ goalId: goal.id, done: event.target.checked });
                }}
              />{" "}
              <span className={goal.done ? "done" : undefined}>{goal.text}</span>
            </label>
            {goal.done && goal.done_at && (
              <span className="muted small">
                {" "}
                {t("mentorship.doneBy", {
                  name:
                    goal.done_by === mentorship.mentor.id
                      ? mentorship.mentor.display_name
                      : mentorship.mentee.display_name,
                  when: dateTime(goal.done_at),
                })}
              </span>
            )}
          </li>
        ))}
      </ul>
      {open && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate(text, {
              onSuccess: () => {
                setText("");
              },
            });
          }}
        >
          <label className="visually-hidden" htmlFor="new-goal">
            {t("mentorship.addGoal")}
          </label>
          <input
            id="new-goal"
            value={text}
            maxLength={200}
            required
            placeholder={t("mentorship.addGoal")}
            onChange={(event) => {
              setText(event.target.value);
            }}
          />
          <button type="submit" className="button button-secondary button-small" disabled={add.isPending}>
            {t("mentorship.add")}
          </button>
        </form>
      )}
      <FormError error={add.error?.message ?? tick.error?.message} />
    </section>
  );
}

function Sessions({ mentorship }: { mentorship: MentorshipDetail }) {
  const { t } = useTranslation();
  const cancel = useCancelSession(mentorship.id);
  if (mentorship.sessions.length === 0) return null;
  const now = new Date();
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title" className="section-title">
        {t("mentorship.sessions")}
      </h2>
      <ul className="sessions">
        {mentorship.sessions.map((session) => (
          <li key={session.id} className={session.state === "cancelled" ? "session cancelled" : "session"}>
            <span>{sessionTime(session.start, session.minutes)}</span>
            {session.state === "cancelled" ? (
              <span className="muted small">{t("mentorship.cancelled")}</span>
            ) : (
              <>
                {session.meeting_url && (
                  <a href={session.meeting_url} target="_blank" rel="noreferrer">
                    {t("mentorship.join")}
                  </a>
                )}
                {new Date(session.changeable_until) > now && (
                  <button
                    type="button"
                    className="link-button"
                    disabled={cancel.isPending}
                    onClick={() => {
                      cancel.mutate(session.id);
                    }}
                  >
                    {t("mentorship.cancelSession")}
                  </button>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
      <FormError error={cancel.error?.message} />
    </section>
  );
}

export function MentorshipPage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const query = useQuery(mentorshipQuery(id));
  if (query.isPending)
    return (
      <section className="page narrow">
        <Skeleton lines={6} />
      </section>
    );
  if (query.isError)
    return (
      <section className="page narrow">
        <ErrorState error={query.error} retry={() => void query.refetch()} />
      </section>
    );
  const mentorship = query.data;
  const other = mentorship.role === "mentor" ? mentorship.mentee : mentorship.mentor;
  const sessionHeld = mentorship.sessions.some((s) => s.state === "booked" && new Date(s.end) <= new Date());
  const canReview = mentorship.state === "completed" || sessionHeld;
  return (
    <article className="page narrow mentorship">
      <p>
        <Link to="/mentorships">← {t("mentorship.all")}</Link>
      </p>
      <header className="title-row">
        <h1>
          {t(mentorship.role === "mentor" ? "mentorship.withMentee" : "mentorship.withMentor", {
            name: other.display_name,
          })}
        </h1>
        <span className={`status-pill state-${mentorship.state}`} data-testid="mentorship-state">
          {t(`mentorship.state.${mentorship.state}`)}
        </span>
      </header>
      {mentorship.message && <blockquote className="request-note">{mentorship.message}</blockquote>}
      {mentorship.reason && (
        <p>
          <strong>{t("mentorship.reason")}</strong> {mentorship.reason}
        </p>
      )}
      {mentorship.state === "pending" && mentorship.expires_at && (
        <p className="muted small">{t("mentorship.expiresAt", { when: dateTime(mentorship.expires_at) })}</p>
      )}
      {mentorship.state === "expired" && mentorship.suggestions.length > 0 && (
        <section aria-labelledby="suggest-title">
          <h2 id="suggest-title" className="section-title">
            {t("mentorship.suggestions")}
          </h2>
          <ul>
            {mentorship.suggestions.map((s) => (
              <li key={s.id}>
                <Link to={`/mentors/${s.id}`}>{s.display_name}</Link> · {s.headline}
              </li>
            ))}
          </ul>
        </section>
      )}
      <MentorshipActions mentorship={mentorship} />
      {mentorship.conversation_id && (
        <p>
          <Link to={`/chat/${mentorship.conversation_id}`}>{t("mentorship.openConversation")}</Link>
        </p>
      )}
      <Goals mentorship={mentorship} />
      <Sessions mentorship={mentorship} />
      {mentorship.state === "accepted" && mentorship.role === "mentee" && (
        <SlotPicker mentorshipId={mentorship.id} mentorId={mentorship.mentor.id} />
      )}
      <ReviewSection
        mentorshipId={mentorship.id}
        role={mentorship.role}
        review={mentorship.review}
        canReview={canReview}
      />
    </article>
  );
}
