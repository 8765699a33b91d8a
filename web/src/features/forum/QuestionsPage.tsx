import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../auth/AuthContext";
import { FilterPanel } from "../../components/FilterPanel";
import { EmptyState, ErrorState, Skeleton } from "../../components/States";
import { ago } from "../../lib/format";
import { useTextParam } from "../../lib/hooks";
import { usePagedList } from "../../lib/pagedList";
import { forumKeys } from "./queries";

type Status = "open" | "answered" | "accepted";
type Sort = "newest" | "votes" | "active";

export function QuestionsPage() {
  const { t } = useTranslation();
  const { status: auth } = useAuth();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useTextParam("q");
  const [tagDraft, setTagDraft] = useTextParam("tag");
  const status = (params.get("status") as Status | null) ?? undefined;
  const sort = (params.get("sort") as Sort | null) ?? "newest";
  const tag = params.get("tag") ?? "";

  function update(key: string, value: string | null, replace = false) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace });
  }
  const query = { q: params.get("q") || undefined, tag: tag || undefined, status, sort };
  const {
    query: questions,
    items: results,
    end: sentinel,
  } = usePagedList(forumKeys.questions(query), async (cursor) =>
    unwrap(await api.GET("/api/questions/", { params: { query: { ...query, limit: 20, cursor } } })),
  );

  return (
    <section className="page">
      <div className="title-row">
        <h1>{t("questions.title")}</h1>
        {auth === "signed-in" && (
          <Link to="/questions/new" className="button">
            {t("questions.ask")}
          </Link>
        )}
      </div>
      <FilterPanel
        id="questions"
        searchLabel={t("questions.search")}
        search={search}
        onSearch={setSearch}
        active={[tag, status].filter(Boolean).length}
      >
        <div className="field">
          <label htmlFor="question-tag">{t("questions.tag")}</label>
          <input
            id="question-tag"
            value={tagDraft}
            onChange={(event) => {
              setTagDraft(event.target.value.trim().toLowerCase());
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="question-status">{t("questions.status")}</label>
          <select
            id="question-status"
            value={status ?? ""}
            onChange={(event) => {
              update("status", event.target.value || null);
            }}
          >
            <option value="">{t("questions.any")}</option>
            <option value="open">{t("questions.open")}</option>
            <option value="answered">{t("questions.answered")}</option>
            <option value="accepted">{t("questions.accepted")}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="question-sort">{t("questions.sort")}</label>
          <select
            id="question-sort"
            value={sort}
            onChange={(event) => {
              update("sort", event.target.value);
            }}
          >
            <option value="newest">{t("questions.newest")}</option>
            <option value="votes">{t("questions.votes")}</option>
            <option value="active">{t("questions.active")}</option>
          </select>
        </div>
      </FilterPanel>
      {questions.isPending ? (
        <Skeleton lines={6} />
      ) : questions.isError ? (
        <ErrorState error={questions.error} retry={() => void questions.refetch()} />
      ) : results.length === 0 ? (
        <EmptyState>{t("questions.none")}</EmptyState>
      ) : (
        <ul className="question-list">
          {results.map((question) => (
            <li key={question.id} className="question-row" data-testid="question-row">
              <div className="question-stats">
                <span>{t("questions.votesCount", { count: question.score })}</span>
                <span className={question.accepted_answer_id ? "answers accepted" : "answers"}>
                  {t("questions.answers", { count: question.answer_count })}
                </span>
              </div>
              <div>
                <Link to={`/questions/${question.id}`} className="question-title">
                  {question.title}
                </Link>
                <ul className="chips">
                  {question.tags.map((name) => (
                    <li key={name}>
                      <button
                        type="button"
                        className="chip chip-button"
                        onClick={() => {
                          update("tag", name);
                        }}
                      >
                        {name}
                      </button>
                    </li>
                  ))}
                </ul>
                <p className="muted small">
                  {[
                    question.author?.display_name,
                    t("common.points", { count: question.author?.points ?? 0 }),
                    t("questions.asked", { when: ago(question.created_at) }),
                  ].join(" · ")}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
      <div ref={sentinel} className="sentinel" />
      {questions.isFetchingNextPage && <Skeleton lines={2} />}
    </section>
  );
}
