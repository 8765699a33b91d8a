import { useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { PublicUser } from "../../api/types";
import { useAuth } from "../auth/AuthContext";
import { Avatar } from "../../components/Avatar";
import { FilterPanel } from "../../components/FilterPanel";
import { EmptyState, ErrorState, Skeleton } from "../../components/States";
import { CountryOptions, LanguageOptions } from "../../components/CodeOptions";
import { FirstRunHint } from "./FirstRunHint";
import { countryName } from "../../lib/format";
import { useTextParam } from "../../lib/hooks";
import { inlinedFirstPage } from "../../lib/firstPage";
import { usePagedList } from "../../lib/pagedList";
import { directoryKeys } from "./queries";
import { FullBadge, MentorRecordLine } from "../mentorships/MentorRecord";

type Sort = "relevance" | "newest" | "points" | "responsive";

function MentorCard({ mentor }: { mentor: PublicUser }) {
  const { t } = useTranslation();
  const profile = mentor.mentor;
  return (
    <li>
      <Link to={`/mentors/${mentor.id}`} className="mentor-card" data-testid="mentor-card">
        <Avatar name={mentor.display_name} url={mentor.avatar_url} size={56} />
        <div className="mentor-card-body">
          <div className="mentor-card-title">
            <h2 title={mentor.display_name}>{mentor.display_name}</h2>
            {profile?.full ? (
              <FullBadge />
            ) : (
              profile?.available && <span className="status-pill">{t("mentors.availableBadge")}</span>
            )}
          </div>
          {profile && <p className="headline">{profile.headline}</p>}
          <p className="muted small">
            {profile && countryName(profile.country)} · {t("common.points", { count: mentor.points })}
          </p>
          {profile && <MentorRecordLine record={profile} />}
          {profile && (
            <ul className="chips" aria-label={t("mentors.specialties")}>
              {profile.specialties.map((specialty) => (
                <li key={specialty} className="chip">
                  {specialty}
                </li>
              ))}
            </ul>
          )}
        </div>
      </Link>
    </li>
  );
}

/** For visitors not signed in: what Hypee is, and the way in. */
function Welcome() {
  const { t } = useTranslation();
  const { status } = useAuth();
  if (status !== "signed-out") return null;
  return (
    <div className="welcome">
      <p>
        <strong>{t("app.tagline")}</strong>
        {t("mentors.welcome")}
      </p>
      <Link to="/register" className="button">
        {t("nav.register")}
      </Link>
    </div>
  );
}

function SpecialtyInput({ values, onChange }: { values: string[]; onChange: (next: string[]) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState("");
  function add(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key !== "Enter" && event.key !== ",") return;
    event.preventDefault();
    const value = draft.trim();
    if (value && !values.some((v) => v.toLowerCase() === value.toLowerCase())) onChange([...values, value]);
    setDraft("");
  }
  return (
    <div className="field">
      <label htmlFor="specialty">{t("mentors.specialties")}</label>
      <div className="chip-input">
        {values.map((value) => (
          <span key={value} className="chip">
            {value}
            <button
              type="button"
              aria-label={t("mentors.removeSpecialty", { name: value })}
              onClick={() => {
                onChange(values.filter((v) => v !== value));
              }}
            >
              ×
            </button>
          </span>
        ))}
        <input
          id="specialty"
          value={draft}
          placeholder={t("mentors.addSpecialty")}
          onChange={(event) => {
            setDraft(event.target.value);
          }}
          onKeyDown={add}
        />
      </div>
    </div>
  );
}

export function MentorsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const country = params.get("country") ?? "";
  const language = params.get("language") ?? "";
  const specialties = params.getAll("specialty");
  const available = params.get("available") === "true";
  const sort = (params.get("sort") as Sort | null) ?? "relevance";
  const [search, setSearch] = useTextParam("q");

  function update(changes: Record<string, string | string[] | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      next.delete(key);
      if (Array.isArray(value))
        value.forEach((v) => {
          next.append(key, v);
        });
      else if (value) next.set(key, value);
    }
    setParams(next); // each filter is a step the back button undoes (typing is not)
  }

  const query = {
    country: country || undefined,
    language: language || undefined,
    specialty: specialties.length ? specialties : undefined,
    available: available ? true : undefined,
    q: params.get("q") || undefined,
    sort,
  };
  type MentorPage = { results: PublicUser[]; next_cursor?: string | null };
  // No filter: the page the server inlined for a first visit is this list's first page.
  const firstPage = params.toString() === "" ? (inlinedFirstPage() as MentorPage | undefined) : undefined;
  const {
    query: mentors,
    items: results,
    end: sentinel,
  } = usePagedList(
    directoryKeys.mentors(query),
    async (cursor) => unwrap(await api.GET("/api/mentors/", { params: { query: { ...query, limit: 20, cursor } } })),
    firstPage,
  );
  const filtered = country || language || specialties.length || available || params.get("q");
  const activeFilters = [country, language, available].filter(Boolean).length + specialties.length;

  return (
    <section className="page">
      <Welcome />
      <FirstRunHint />
      <h1>{t("mentors.title")}</h1>
      <FilterPanel
        id="mentors"
        searchLabel={t("mentors.search")}
        search={search}
        onSearch={setSearch}
        active={activeFilters}
      >
        <div className="field">
          <label htmlFor="country">{t("mentors.country")}</label>
          <select
            id="country"
            value={country}
            onChange={(event) => {
              update({ country: event.target.value || null });
            }}
          >
            <option value="">{t("mentors.anyCountry")}</option>
            <CountryOptions selected={country} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="language-filter">{t("mentors.language")}</label>
          <select
            id="language-filter"
            value={language}
            onChange={(event) => {
              update({ language: event.target.value || null });
            }}
          >
            <option value="">{t("mentors.anyLanguage")}</option>
            <LanguageOptions selected={language} />
          </select>
        </div>
        <SpecialtyInput
          values={specialties}
          onChange={(next) => {
            update({ specialty: next });
          }}
        />
        <div className="field">
          <label htmlFor="sort">{t("mentors.sort")}</label>
          <select
            id="sort"
            value={sort}
            onChange={(event) => {
              update({ sort: event.target.value });
            }}
          >
            <option value="relevance">{t("mentors.sortRelevance")}</option>
            <option value="newest">{t("mentors.sortNewest")}</option>
            <option value="points">{t("mentors.sortPoints")}</option>
            <option value="responsive">{t("mentors.sortResponsive")}</option>
          </select>
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={available}
            onChange={(event) => {
              update({ available: event.target.checked ? "true" : null });
            }}
          />
          {t("mentors.available")}
        </label>
      </FilterPanel>
      {mentors.isPending ? (
        <div className="card-grid">
          {Array.from({ length: 6 }, (_, n) => (
            <Skeleton key={n} card />
          ))}
        </div>
      ) : mentors.isError ? (
        <ErrorState error={mentors.error} retry={() => void mentors.refetch()} />
      ) : results.length === 0 ? (
        <EmptyState>
          {t("mentors.none")}{" "}
          {filtered && (
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setSearch("");
                setParams(new URLSearchParams());
              }}
            >
              {t("mentors.clear")}
            </button>
          )}
        </EmptyState>
      ) : (
        <ul className="card-grid" data-testid="mentor-list">
          {results.map((mentor) => (
            <MentorCard key={mentor.id} mentor={mentor} />
          ))}
        </ul>
      )}
      <div ref={sentinel} className="sentinel" />
      {mentors.isFetchingNextPage && <Skeleton lines={2} />}
    </section>
  );
}
