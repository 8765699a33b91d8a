import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { mentorQuery } from "./queries";
import { useAuth } from "../auth/AuthContext";
import { BlockButton } from "../safety/BlockButton";
import { ReportButton } from "../safety/ReportDialog";
import { Avatar } from "../../components/Avatar";
import { ErrorState, Skeleton } from "../../components/States";
import { countryName, languageName } from "../../lib/format";
import { FullBadge, MentorRecordLine } from "../mentorships/MentorRecord";
import { MentorReviews } from "../mentorships/MentorReviews";
import { RequestMentorshipButton } from "../mentorships/RequestMentorshipDialog";

export function MentorProfilePage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const { status, user } = useAuth();
  const mentor = useQuery(mentorQuery(id));

  if (mentor.isPending)
    return (
      <section className="page narrow">
        <Skeleton lines={6} />
      </section>
    );
  if (mentor.isError)
    return (
      <section className="page narrow">
        <ErrorState error={mentor.error} retry={() => void mentor.refetch()} />
      </section>
    );
  const person = mentor.data;
  const profile = person.mentor;
  const mine = user?.id === person.id;

  return (
    <article className="page narrow profile">
      <header className="profile-header">
        <Avatar name={person.display_name} url={person.avatar_url} size={96} />
        <div>
          <h1>{person.display_name}</h1>
          {profile && <p className="headline">{profile.headline}</p>}
          <p className="muted">
            {profile && countryName(profile.country)} · {t("common.points", { count: person.points })}
            {profile && <> · {t("mentors.years", { count: profile.years_experience })}</>}
          </p>
          {profile &&
            (profile.full ? (
              <FullBadge />
            ) : (
              <span className={profile.available ? "status-pill" : "status-pill status-off"}>
                {profile.available ? t("mentors.availableBadge") : t("mentors.unavailableBadge")}
              </span>
            ))}
          {profile && <MentorRecordLine record={profile} />}
        </div>
      </header>
      {profile && (
        <>
          <p className="bio">{profile.bio || person.bio}</p>
          <h2 className="section-title">{t("mentors.specialties")}</h2>
          <ul className="chips">
            {profile.specialties.map((s) => (
              <li key={s} className="chip">
                {s}
              </li>
            ))}
          </ul>
          <p className="muted">
            {t("mentors.speaks")} {profile.languages.map(languageName).join(", ")}
          </p>
        </>
      )}
      {profile && profile.full && !mine && <p className="muted">{t("mentorship.fullHint")}</p>}
      <div className="actions">
        {mine ? (
          <>
            <span className="muted">{t("mentors.yourProfile")}</span>
            <Link to="/me" className="button button-secondary">
              {t("mentors.editProfile")}
            </Link>
          </>
        ) : status === "signed-in" ? (
          <>
            {profile && (
              <RequestMentorshipButton
                mentorId={person.id}
                mentorName={person.display_name}
                full={profile.full || !profile.available}
              />
            )}
            <Link to={`/chat/to/${person.id}`} className={profile ? "button button-secondary" : "button"}>
              {t("mentors.sendMessage")}
            </Link>
            <span className="profile-safety">
              <BlockButton userId={person.id} name={person.display_name} />
              <ReportButton target={{ kind: "user", id: person.id }} label={t("report.user")} />
            </span>
          </>
        ) : (
          <Link to={`/login?next=/chat/to/${person.id}`} className="button">
            {t("mentors.sendMessage")}
          </Link>
        )}
      </div>
      {profile && <MentorReviews mentorId={person.id} />}
    </article>
  );
}
