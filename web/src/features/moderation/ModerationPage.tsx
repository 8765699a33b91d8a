// /moderation (moderators): the queue of reported content, one case with its evidence and the
// actions, and the audit log.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useSearchParams } from "react-router";
import { Avatar } from "../../components/Avatar";
import { FormError } from "../../components/FormError";
import { ErrorState, Skeleton } from "../../components/States";
import { ago, dateTime } from "../../lib/format";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { useAuth } from "../auth/AuthContext";
import {
  useAudit,
  useCase,
  useModerationAction,
  useQueue,
  type Case,
  type CaseDetail,
  type ModerationAction,
  type QueueStatus,
} from "./queries";

type Snapshot = Record<string, unknown>;

function text(snapshot: Snapshot | null | undefined, key: string): string {
  const value = snapshot?.[key];
  return typeof value === "string" ? value : "";
}

/** What a case is about, in one line: the message, the question's title, the person's name. */
function summary(item: Case): string {
  const snapshot = item.snapshot;
  return text(snapshot, "title") || text(snapshot, "body") || text(snapshot, "display_name") || "—";
}

function Reasons({ reasons }: { reasons: Record<string, number> }) {
  const { t } = useTranslation();
  return (
    <span className="reasons">
      {Object.entries(reasons).map(([reason, count]) => (
        <span key={reason} className="status-pill status-warning">
          {t(`report.reason.${reason}`)} × {count}
        </span>
      ))}
    </span>
  );
}

function Queue({
  status,
  selected,
  onSelect,
}: {
  status: QueueStatus;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const { t } = useTranslation();
  const queue = useQueue(status);
  if (queue.isPending) return <Skeleton lines={4} />;
  if (queue.isError) return <ErrorState error={queue.error} retry={() => void queue.refetch()} />;
  const cases = queue.data.pages.flatMap((page) => page.results);
  if (cases.length === 0)
    return <p className="muted">{status === "open" ? t("moderation.empty") : t("common.empty")}</p>;
  return (
    <>
      <ul className="case-list">
        {cases.map((item) => (
          <li key={item.id}>
            <button
              type="button"
              className={item.id === selected ? "case-row selected" : "case-row"}
              aria-current={item.id === selected}
              onClick={() => {
                onSelect(item.id);
              }}
            >
              <span className="case-kind">{t(`moderation.kind.${item.target.kind}`)}</span>
              <span className="case-summary">{summary(item)}</span>
              <span className="muted small">
                {t("moderation.reporters", { count: item.count })} · {ago(item.opened_at)}
                {item.auto_hidden && ` · ${t("moderation.autoHidden")}`}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {queue.hasNextPage && (
        <button type="button" className="button button-secondary" onClick={() => void queue.fetchNextPage()}>
          {t("common.loadMore")}
        </button>
      )}
    </>
  );
}

/** The reported content as the first report found it, with a message's neighbours. */
function Evidence({ detail }: { detail: CaseDetail }) {
  const { t } = useTranslation();
  const snapshot = detail.snapshot;
  if (detail.target.kind === "message") {
    const around = detail.context as Snapshot[];
    const reportedSeq = snapshot.seq as number;
    const before = around.filter((m) => (m.seq as number) < reportedSeq);
    const after = around.filter((m) => (m.seq as number) > reportedSeq);
    const line = (m: Snapshot, reported: boolean) => (
      <li key={String(m.seq)} className={reported ? "evidence-line reported" : "evidence-line"}>
        <strong>{text(m, "sender_name")}</strong> {text(m, "body") || <em>{t("chat.deleted")}</em>}
      </li>
    );
    return (
      <ol className="evidence" aria-label={t("moderation.snapshot")}>
        {before.map((m) => line(m, false))}
        {line(snapshot, true)}
        {after.map((m) => line(m, false))}
      </ol>
    );
  }
  return (
    <blockquote className="evidence">
      {text(snapshot, "title") && <strong>{text(snapshot, "title")}</strong>}
      {text(snapshot, "display_name") && <strong>{text(snapshot, "display_name")}</strong>}
      {text(snapshot, "headline") && <p>{text(snapshot, "headline")}</p>}
      <p>{text(snapshot, "body") || text(snapshot, "bio") || text(snapshot, "mentor_bio")}</p>
    </blockquote>
  );
}

const SUSPENSIONS = { day: 1, week: 7, month: 30, forever: 0 } as const;

function Actions({ detail }: { detail: CaseDetail }) {
  const { t } = useTranslation();
  const act = useModerationAction();
  const [done, setDone] = useState<string | null>(null);
  const content = detail.target.kind !== "user";
  const hidden = detail.current?.hidden === true;
  function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const submitter = (event.nativeEvent.submitter as HTMLButtonElement | null)?.value ?? "";
    const action = submitter as ModerationAction["action"];
    const body: ModerationAction = { action, target: detail.target, reason: fieldText(form, "reason") };
    if (action === "suspend") {
      const days = SUSPENSIONS[fieldText(form, "length") as keyof typeof SUSPENSIONS];
      if (days) body.until = new Date(Date.now() + days * 86_400_000).toISOString();
    }
    act.mutate(body, {
      onSuccess: () => {
        setDone(t(`moderation.done.${action}`));
      },
    });
  }
  return (
    <form
      className="form moderation-actions"
      onSubmit={submit}
      onChange={() => {
        setDone(null);
      }}
    >
      <label>
        {t("moderation.reason")}
        <textarea name="reason" rows={2} maxLength={500} required />
      </label>
      <div className="row wrap">
        {content && !hidden && (
          <button type="submit" name="action" value="hide" className="button">
            {t("moderation.hide")}
          </button>
        )}
        {content && hidden && (
          <button type="submit" name="action" value="restore" className="button button-secondary">
            {t("moderation.restore")}
          </button>
        )}
        {detail.status === "open" && (
          <button type="submit" name="action" value="dismiss" className="button button-secondary">
            {t("moderation.dismiss")}
          </button>
        )}
      </div>
      <div className="row wrap">
        <label>
          {t("moderation.suspendFor")}
          <select name="length" defaultValue="week">
            {Object.keys(SUSPENSIONS).map((length) => (
              <option key={length} value={length}>
                {t(`moderation.length.${length}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" name="action" value="suspend" className="button button-danger">
          {t("moderation.suspend", { name: detail.author?.display_name ?? "" })}
        </button>
        <button type="submit" name="action" value="lift_suspension" className="button button-secondary">
          {t("moderation.lift")}
        </button>
      </div>
      <FormError error={act.error?.message} />
      {done && (
        <p role="status" className="muted">
          {done}
        </p>
      )}
    </form>
  );
}

function CaseView({ id }: { id: string }) {
  const { t } = useTranslation();
  const found = useCase(id);
  if (found.isPending) return <Skeleton lines={6} />;
  if (found.isError) return <ErrorState error={found.error} retry={() => void found.refetch()} />;
  const detail = found.data;
  return (
    <article className="case-detail" aria-label={t("moderation.case")}>
      <header>
        <h2>
          {t(`moderation.kind.${detail.target.kind}`)}
          {detail.author && (
            <>
              {" · "}
              <Avatar name={detail.author.display_name} url={detail.author.avatar_url} size={24} />{" "}
              {detail.author.display_name}
            </>
          )}
        </h2>
        <p className="muted small">
          {t(`moderation.status.${detail.status}`)} · {t("moderation.reporters", { count: detail.count })} ·{" "}
          {dateTime(detail.opened_at)}
        </p>
        <Reasons reasons={detail.reasons} />
      </header>
      <h3>{t("moderation.snapshot")}</h3>
      <Evidence detail={detail} />
      <h3>{t("moderation.now")}</h3>
      <p className="muted">
        {detail.current === null
          ? t("moderation.gone")
          : detail.current.hidden === true
            ? t("moderation.hiddenNow")
            : detail.current.deleted === true
              ? t("moderation.deletedNow")
              : text(detail.current, "body") === text(detail.snapshot, "body")
                ? t("moderation.unchanged")
                : t("moderation.changedNow", { body: text(detail.current, "body") })}
      </p>
      <h3>{t("moderation.reports")}</h3>
      <ul className="report-list">
        {detail.reports.map((report) => (
          <li key={report.id}>
            <strong>{report.reporter?.display_name ?? "—"}</strong> · {t(`report.reason.${report.reason}`)} ·{" "}
            <span className="muted small">{ago(report.created_at)}</span>
            {report.details && <p>{report.details}</p>}
          </li>
        ))}
      </ul>
      <h3>{t("moderation.actions")}</h3>
      <Actions detail={detail} />
    </article>
  );
}

function AuditLog() {
  const { t } = useTranslation();
  const audit = useAudit();
  if (audit.isPending) return <Skeleton lines={6} />;
  if (audit.isError) return <ErrorState error={audit.error} retry={() => void audit.refetch()} />;
  const entries = audit.data.pages.flatMap((page) => page.results);
  if (entries.length === 0) return <p className="muted">{t("common.empty")}</p>;
  return (
    <>
      <table className="audit-log">
        <thead>
          <tr>
            <th scope="col">{t("moderation.when")}</th>
            <th scope="col">{t("moderation.who")}</th>
            <th scope="col">{t("moderation.what")}</th>
            <th scope="col">{t("moderation.reason")}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{dateTime(entry.at)}</td>
              <td>{entry.actor?.display_name ?? t("moderation.automatic")}</td>
              <td>
                {t(`moderation.audit.${entry.action}`)} · {t(`moderation.kind.${entry.target.kind}`)}
                {entry.until && ` · ${t("moderation.until", { date: dateTime(entry.until) })}`}
              </td>
              <td>{entry.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {audit.hasNextPage && (
        <button type="button" className="button button-secondary" onClick={() => void audit.fetchNextPage()}>
          {t("common.loadMore")}
        </button>
      )}
    </>
  );
}

const VIEWS = ["open", "closed", "audit"] as const;

export function ModerationPage() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const [params, setParams] = useSearchParams();
  const view = (VIEWS as readonly string[]).includes(params.get("view") ?? "")
    ? (params.get("view") as (typeof VIEWS)[number])
    : "open";
  const selected = params.get("case");
  if (user && user.roles.length === 0) return <Navigate to="/mentors" replace />;
  const go = (next: Record<string, string>) => {
    setParams(next);
  };
  return (
    <section className="page moderation">
      <h1>{t("moderation.title")}</h1>
      <nav className="tabs" aria-label={t("moderation.views")}>
        {VIEWS.map((name) => (
          <button
            key={name}
            type="button"
            className={name === view ? "tab selected" : "tab"}
            aria-current={name === view ? "page" : undefined}
            onClick={() => {
              go({ view: name });
            }}
          >
            {t(`moderation.view.${name}`)}
          </button>
        ))}
      </nav>
      {view === "audit" ? (
        <AuditLog />
      ) : (
        <div className={selected ? "moderation-split has-case" : "moderation-split"}>
          <Queue
            status={view}
            selected={selected}
            onSelect={(id) => {
              go({ view, case: id });
            }}
          />
          {selected ? <CaseView key={selected} id={selected} /> : <p className="muted">{t("moderation.pick")}</p>}
        </div>
      )}
    </section>
  );
}
