import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { Answer, PublicUser, QuestionDetail } from "../../api/types";
import { useAuth } from "../auth/AuthContext";
import { ReportButton } from "../safety/ReportDialog";
import type { ReportTarget } from "../safety/queries";
import { Avatar } from "../../components/Avatar";
import { EditForm } from "../../components/EditForm";
import { ErrorState, Skeleton } from "../../components/States";
import { ago } from "../../lib/format";
import { useAction } from "../../lib/hooks";
import { useRealtime } from "../../realtime/RealtimeContext";
import { notificationKeys } from "../notifications/queries";
import { forumKeys, questionQuery } from "./queries";
import { fieldText, type FormSubmit } from "../../lib/forms";

type Post = { kind: "question" | "answer"; id: string };

function Byline({ author, when }: { author: PublicUser | null | undefined; when: string }) {
  const { t } = useTranslation();
  if (!author) return null;
  return (
    <p className="byline">
      <Avatar name={author.display_name} url={author.avatar_url} size={24} />
      <span>{author.display_name}</span>
      <span className="points" data-testid={`points-${author.id}`}>
        {t("common.points", { count: author.points })}
      </span>
      <span className="muted">· {ago(when)}</span>
    </p>
  );
}

function Votes({
  post,
  score,
  mine,
  disabled,
  onVote,
}: {
  post: Post;
  score: number;
  mine: number;
  disabled: boolean;
  onVote: (value: -1 | 0 | 1) => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="votes" data-testid={`votes-${post.id}`}>
      <button
        type="button"
        className={mine === 1 ? "vote voted" : "vote"}
        aria-pressed={mine === 1}
        aria-label={t("questions.upvote")}
        disabled={disabled}
        onClick={() => {
          onVote(mine === 1 ? 0 : 1);
        }}
      >
        ▲
      </button>
      <span className="score" data-testid="score">
        {score}
      </span>
      <button
        type="button"
        className={mine === -1 ? "vote voted" : "vote"}
        aria-pressed={mine === -1}
        aria-label={t("questions.downvote")}
        disabled={disabled}
        onClick={() => {
          onVote(mine === -1 ? 0 : -1);
        }}
      >
        ▼
      </button>
    </div>
  );
}

interface EditableProps {
  body: string;
  /** Removed by a moderator: the text is withheld. */
  hidden: boolean;
  canEdit: boolean;
  /** What a signed-in reader who is not the author may report. */
  report?: ReportTarget;
  onSave: (body: string) => Promise<void>;
  onDelete: () => Promise<void>;
  children?: React.ReactNode; // under the body: the byline
}

/** A post's text, with edit and delete for its author (report for other readers) under
 * whatever comes with it. */
function EditableBody({ body, hidden, canEdit, report, onSave, onDelete, children }: EditableProps) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const action = useAction(); // an edit or a deletion, and why it failed
  const failed = action.error && <ErrorState error={action.error} />;
  if (editing) {
    return (
      <EditForm
        className="form"
        initial={body}
        label={t("common.edit")}
        rows={6}
        onSave={(text) => action.run(() => onSave(text))}
        onCancel={() => {
          setEditing(false);
        }}
      >
        {failed}
      </EditForm>
    );
  }
  if (hidden) {
    return (
      <>
        <p className="post-body removed">
          <em>{t("questions.removed")}</em>
        </p>
        {children}
      </>
    );
  }
  return (
    <>
      <p className="post-body">{body}</p>
      {children}
      {!canEdit && report && (
        <div className="row post-actions">
          <ReportButton target={report} label={t(`report.${report.kind}`)} />
        </div>
      )}
      {canEdit && (
        <div className="row post-actions">
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setEditing(true);
            }}
          >
            {t("common.edit")}
          </button>
          <button
            type="button"
            className="link-button"
            onClick={() => window.confirm(t("questions.confirmDelete")) && void action.run(onDelete)}
          >
            {t("common.delete")}
          </button>
        </div>
      )}
      {failed}
    </>
  );
}

type Votable = { score: number; my_vote: number };

/** The question or one of its answers, changed by `update`. */
function patchPost(held: QuestionDetail, post: Post, update: (p: Votable) => Partial<Votable>): QuestionDetail {
  if (post.kind === "question") return { ...held, ...update(held) };
  return { ...held, answers: held.answers.map((a) => (a.id === post.id ? { ...a, ...update(a) } : a)) };
}

/** Keep `my_vote` (the server's live views say 0 to everyone) when a live view replaces ours. */
function merged(live: Answer, held: Answer | undefined): Answer {
  return { ...live, my_vote: held?.my_vote ?? 0 };
}

export function QuestionPage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const { user, status } = useAuth();
  const { client } = useRealtime();
  const queries = useQueryClient();
  const navigate = useNavigate();
  // Whose view it is: `my_vote` depends on the reader, so the answer waits until we know
  // whether someone is signed in (a reload restores the login first) and is kept per reader.
  const options = questionQuery(id, user?.id ?? null, status !== "loading");
  const key = options.queryKey;
  const question = useQuery(options);

  // The question on screen reads its notifications (a new answer, an acceptance), those there
  // when it opens and those that arrive while it is shown.
  const shown = question.isSuccess;
  useEffect(() => {
    if (status !== "signed-in" || !shown) return;
    const read = () =>
      void api
        .POST("/api/notifications/read", { body: { question_id: id } })
        .then(() => queries.invalidateQueries({ queryKey: notificationKeys.all }))
        .catch(() => undefined); // offline: the bell stays as it is
    read();
    return client.onFrame((frame) => {
      const about = frame.type === "notification" ? (frame.notification.data as { question_id?: string }) : null;
      if (about?.question_id === id) read();
    });
  }, [status, shown, id, queries, client]);
  const change = (update: (held: QuestionDetail) => QuestionDetail) =>
    queries.setQueryData<QuestionDetail>(key, (held) => (held ? update(held) : held));

  // Live: others' votes, answers, acceptance and edits.
  const reader = user?.id ?? null;
  useEffect(() => {
    if (status !== "signed-in") return;
    const change = (update: (held: QuestionDetail) => QuestionDetail) =>
      queries.setQueryData<QuestionDetail>(forumKeys.question(id, reader), (held) => (held ? update(held) : held));
    client.watch(id);
    const stop = client.onFrame((frame) => {
      if (frame.type === "question_updated" && frame.question.id === id) {
        change((held) => ({ ...held, ...frame.question, my_vote: held.my_vote, answers: held.answers }));
      } else if ((frame.type === "answer" || frame.type === "answer_updated") && frame.answer.question_id === id) {
        change((held) => {
          const mine = held.answers.find((a) => a.id === frame.answer.id);
          const answers = mine
            ? held.answers.map((a) => (a.id === frame.answer.id ? merged(frame.answer, a) : a))
            : [...held.answers, merged(frame.answer, undefined)];
          return { ...held, answers };
        });
      } else if (frame.type === "answer_deleted" && frame.question_id === id) {
        change((held) => ({ ...held, answers: held.answers.filter((a) => a.id !== frame.answer_id) }));
      } else if (frame.type === "question_deleted" && frame.question_id === id) {
        void navigate("/questions");
      }
    });
    return () => {
      stop();
      client.unwatch(id);
    };
  }, [id, status, client, navigate, queries, reader]);

  const vote = useMutation({
    mutationFn: async ({ post, value }: { post: Post; value: -1 | 0 | 1 }) =>
      post.kind === "question"
        ? unwrap(
            await api.POST("/api/questions/{post_id}/vote", {
              params: { path: { post_id: post.id } },
              body: { value },
            }),
          )
        : unwrap(
            await api.POST("/api/answers/{post_id}/vote", { params: { path: { post_id: post.id } }, body: { value } }),
          ),
    // The vote shows at once; the server's answer then sets the exact score (others vote too).
    onMutate: ({ post, value }) =>
      change((held) => patchPost(held, post, (p) => ({ my_vote: value, score: p.score - p.my_vote + value }))),
    onSuccess: (result, { post }) => change((held) => patchPost(held, post, () => result)),
    onError: () => void queries.invalidateQueries({ queryKey: key }),
  });
  const accept = useMutation({
    mutationFn: async ({ answer, accepted }: { answer: Answer; accepted: boolean }) =>
      unwrap(
        accepted
          ? await api.POST("/api/answers/{answer_id}/accept", { params: { path: { answer_id: answer.id } } })
          : await api.DELETE("/api/answers/{answer_id}/accept", { params: { path: { answer_id: answer.id } } }),
      ),
    onSuccess: () => void queries.invalidateQueries({ queryKey: key }),
  });
  const reply = useMutation({
    mutationFn: async (body: string) => unwrap(await api.POST("/api/answers/", { body: { question_id: id, body } })),
    onSuccess: (answer) =>
      change((held) =>
        held.answers.some((a) => a.id === answer.id) ? held : { ...held, answers: [...held.answers, answer] },
      ),
  });

  if (question.isPending)
    return (
      <section className="page narrow">
        <Skeleton lines={8} />
      </section>
    );
  if (question.isError)
    return (
      <section className="page narrow">
        <ErrorState error={question.error} retry={() => void question.refetch()} />
      </section>
    );
  const detail = question.data;
  const asker = user?.id === detail.author?.id;
  const answers = [...detail.answers].sort(
    (a, b) => Number(b.accepted) - Number(a.accepted) || b.score - a.score || a.created_at.localeCompare(b.created_at),
  );

  function submitAnswer(event: FormSubmit) {
    event.preventDefault();
    const form = event.currentTarget;
    const body = fieldText(new FormData(form), "body").trim();
    if (body)
      reply.mutate(body, {
        onSuccess: () => {
          form.reset();
        },
      });
  }

  return (
    <article className="page narrow question">
      <header className="post">
        <Votes
          post={{ kind: "question", id: detail.id }}
          score={detail.score}
          mine={detail.my_vote}
          disabled={status !== "signed-in" || asker}
          onVote={(value) => {
            vote.mutate({ post: { kind: "question", id: detail.id }, value });
          }}
        />
        <div className="post-main">
          <h1>{detail.hidden ? t("questions.removedTitle") : detail.title}</h1>
          <ul className="chips">
            {detail.tags.map((tag) => (
              <li key={tag}>
                <Link className="chip" to={`/questions?tag=${encodeURIComponent(tag)}`}>
                  {tag}
                </Link>
              </li>
            ))}
          </ul>
          <EditableBody
            body={detail.body}
            hidden={detail.hidden}
            canEdit={asker}
            report={status === "signed-in" ? { kind: "question", id: detail.id } : undefined}
            onSave={async (body) => {
              unwrap(
                await api.PATCH("/api/questions/{question_id}/", {
                  params: { path: { question_id: id } },
                  body: { body },
                }),
              );
              await queries.invalidateQueries({ queryKey: key });
            }}
            onDelete={async () => {
              unwrap(await api.DELETE("/api/questions/{question_id}/", { params: { path: { question_id: id } } }));
              void navigate("/questions");
            }}
          >
            <Byline author={detail.author} when={detail.created_at} />
          </EditableBody>
        </div>
      </header>
      {(vote.isError || accept.isError) && <ErrorState error={vote.error ?? accept.error} />}
      <h2 className="section-title">{t("questions.answers", { count: answers.length })}</h2>
      {answers.length === 0 && <p className="muted">{t("questions.noAnswers")}</p>}
      <ol className="answers">
        {answers.map((answer) => (
          <li key={answer.id} className={answer.accepted ? "post accepted" : "post"} data-testid="answer">
            <Votes
              post={{ kind: "answer", id: answer.id }}
              score={answer.score}
              mine={answer.my_vote}
              disabled={status !== "signed-in" || user?.id === answer.author?.id}
              onVote={(value) => {
                vote.mutate({ post: { kind: "answer", id: answer.id }, value });
              }}
            />
            <div className="post-main">
              {answer.accepted && (
                <span className="status-pill" data-testid="accepted-badge">
                  ✓ {t("questions.acceptedBadge")}
                </span>
              )}
              <EditableBody
                body={answer.body}
                hidden={answer.hidden}
                canEdit={user?.id === answer.author?.id}
                report={status === "signed-in" ? { kind: "answer", id: answer.id } : undefined}
                onSave={async (body) => {
                  const changed = unwrap(
                    await api.PATCH("/api/answers/{answer_id}/", {
                      params: { path: { answer_id: answer.id } },
                      body: { body },
                    }),
                  );
                  change((held) => ({ ...held, answers: held.answers.map((a) => (a.id === answer.id ? changed : a)) }));
                }}
                onDelete={async () => {
                  unwrap(await api.DELETE("/api/answers/{answer_id}/", { params: { path: { answer_id: answer.id } } }));
                  change((held) => ({ ...held, answers: held.answers.filter((a) => a.id !== answer.id) }));
                }}
              >
                <Byline author={answer.author} when={answer.created_at} />
              </EditableBody>
              {asker && (
                <button
                  type="button"
                  className="button button-small button-secondary"
                  onClick={() => {
                    accept.mutate({ answer, accepted: !answer.accepted });
                  }}
                >
                  {answer.accepted ? t("questions.unaccept") : t("questions.accept")}
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
      {status === "signed-in" ? (
        <form className="form answer-form" onSubmit={submitAnswer}>
          <label>
            {t("questions.yourAnswer")}
            <textarea name="body" rows={5} required maxLength={20000} />
          </label>
          {reply.isError && <ErrorState error={reply.error} />}
          <button type="submit" className="button" disabled={reply.isPending}>
            {t("questions.postAnswer")}
          </button>
        </form>
      ) : (
        <p>
          <Link to={`/login?next=/questions/${id}`}>{t("questions.signInToAnswer")}</Link>
        </p>
      )}
    </article>
  );
}
