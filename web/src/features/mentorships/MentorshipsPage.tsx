// /mentorships: requests to me, my requests, current mentorships and past ones.
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import type { Mentorship } from "../../api/types";
import { EmptyState, ErrorState, Skeleton } from "../../components/States";
import { ago } from "../../lib/format";
import { MentorshipActions } from "./MentorshipActions";
import { mentorshipListQuery, type MentorshipState } from "./queries";

const PAST: MentorshipState[] = ["completed", "ended", "declined", "withdrawn", "expired"];
const TABS = {
  incoming: { role: "mentor", states: ["pending"] },
  outgoing: { role: "mentee", states: ["pending"] },
  current: { role: null, states: ["accepted"] },
  past: { role: null, states: PAST },
} as const;
type Tab = keyof typeof TABS;

function MentorshipCard({ mentorship }: { mentorship: Mentorship }) {
  const { t } = useTranslation();
  const other = mentorship.role === "mentor" ? mentorship.mentee : mentorship.mentor;
  return (
    <li className="card mentorship-card" data-testid="mentorship-card">
      <div className="title-row">
        <Link to={`/mentorships/${mentorship.id}`} className="card-title">
          {other.display_name}
        </Link>
        <span className={`status-pill state-${mentorship.state}`}>{t(`mentorship.state.${mentorship.state}`)}</span>
      </div>
      <p className="muted small">
        {t(mentorship.role === "mentor" ? "mentorship.asMentor" : "mentorship.asMentee")} · {ago(mentorship.created_at)}
      </p>
      {mentorship.message && <p className="request-note">{mentorship.message}</p>}
      <MentorshipActions mentorship={mentorship} />
    </li>
  );
}

function List({ tab }: { tab: Tab }) {
  const { t } = useTranslation();
  const { role, states } = TABS[tab];
  // Requests are one side's; current and past ones come from both (no role).
  const list = useQuery(mentorshipListQuery(role ?? undefined, states));
  if (list.isPending) return <Skeleton lines={4} card />;
  if (list.isError) return <ErrorState error={list.error} retry={() => void list.refetch()} />;
  const items = list.data;
  if (items.length === 0) return <EmptyState>{t(`mentorship.empty.${tab}`)}</EmptyState>;
  return (
    <ul className="card-list">
      {items.map((m) => (
        <MentorshipCard key={m.id} mentorship={m} />
      ))}
    </ul>
  );
}

export function MentorshipsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = (params.get("tab") ?? "current") as Tab;
  const current = tab in TABS ? tab : "current";
  return (
    <section className="page narrow">
      <h1>{t("mentorship.title")}</h1>
      <div className="tabs" role="tablist" aria-label={t("mentorship.title")}>
        {(Object.keys(TABS) as Tab[]).map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={current === name}
            className={current === name ? "tab selected" : "tab"}
            onClick={() => {
              setParams({ tab: name });
            }}
          >
            {t(`mentorship.tab.${name}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={t(`mentorship.tab.${current}`)}>
        <List tab={current} />
      </div>
    </section>
  );
}
