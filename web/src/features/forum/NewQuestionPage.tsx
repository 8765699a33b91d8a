import { useMutation } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, unwrap } from "../../api/client";
import type { NewQuestion } from "../../api/types";
import { ErrorState } from "../../components/States";
import { fieldText, type FormSubmit } from "../../lib/forms";

export function NewQuestionPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const ask = useMutation({
    mutationFn: async (body: NewQuestion) => unwrap(await api.POST("/api/questions/", { body })),
    onSuccess: (question) => navigate(`/questions/${question.id}`),
  });
  function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    ask.mutate({
      title: fieldText(form, "title"),
      body: fieldText(form, "body"),
      tags: fieldText(form, "tags")
        .split(",")
        .map((tag) => tag.trim().toLowerCase())
        .filter(Boolean),
    });
  }
  return (
    <section className="page narrow">
      <h1>{t("questions.ask")}</h1>
      <form className="form" onSubmit={submit}>
        <label>
          {t("questions.titleLabel")}
          <input name="title" required minLength={10} maxLength={200} aria-describedby="title-hint" />
          <small id="title-hint" className="muted">
            {t("questions.titleHint")}
          </small>
        </label>
        <label>
          {t("questions.bodyLabel")}
          <textarea name="body" required rows={8} maxLength={20000} />
        </label>
        <label>
          {t("questions.tagsLabel")}
          <input name="tags" aria-describedby="tags-hint" />
          <small id="tags-hint" className="muted">
            {t("questions.tagsHint")}
          </small>
        </label>
        {ask.isError && <ErrorState error={ask.error} />}
        <button type="submit" className="button" disabled={ask.isPending}>
          {t("questions.post")}
        </button>
      </form>
    </section>
  );
}
