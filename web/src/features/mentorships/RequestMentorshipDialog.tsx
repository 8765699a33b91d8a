// "Request mentorship" on a mentor's profile: a dialog for the goals and a note.
import { useRef } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { DialogActions } from "../../components/DialogActions";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { useRequestMentorship } from "./queries";

interface Props {
  mentorId: string;
  mentorName: string;
  full: boolean;
}

/** The button, and its modal dialog (Escape closes it). */
export function RequestMentorshipButton({ mentorId, mentorName, full }: Props) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const dialog = useRef<HTMLDialogElement>(null);
  const request = useRequestMentorship();
  function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const goals = fieldText(form, "goals")
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    request.mutate(
      { mentor_id: mentorId, goals, message: fieldText(form, "message") },
      {
        onSuccess: (created) => {
          dialog.current?.close();
          void navigate(`/mentorships/${created.id}`);
        },
      },
    );
  }
  const title = t("mentorship.requestTitle", { name: mentorName });
  return (
    <>
      <button
        type="button"
        className="button"
        disabled={full}
        onClick={() => {
          request.reset();
          dialog.current?.showModal();
        }}
      >
        {t("mentorship.request")}
      </button>
      <dialog ref={dialog} className="dialog" aria-label={title}>
        <form className="form" onSubmit={submit}>
          <h2>{title}</h2>
          <label>
            {t("mentorship.goalsField")}
            <textarea name="goals" rows={4} required placeholder={t("mentorship.goalsHint")} />
          </label>
          <label>
            {t("mentorship.note")}
            <textarea name="message" rows={3} maxLength={2000} />
          </label>
          <DialogActions
            dialog={dialog}
            submitLabel={t("mentorship.send")}
            pending={request.isPending}
            error={request.error?.message}
          />
        </form>
      </dialog>
    </>
  );
}
