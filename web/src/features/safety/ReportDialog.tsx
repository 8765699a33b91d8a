// Reporting a message, a question, an answer or a person: a short dialog.
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { DialogActions } from "../../components/DialogActions";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { useReport, type NewReport, type ReportTarget } from "./queries";

const REASONS = ["spam", "harassment", "inappropriate", "other"] as const;

interface Props {
  target: ReportTarget;
  /** The button's text (e.g. "Report this message"). */
  label: string;
  className?: string;
}

/** A "Report" button and its modal dialog (the browser's <dialog>: focus stays inside, Escape
 * closes it). */
export function ReportButton({ target, label, className = "link-button" }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const report = useReport();
  const [done, setDone] = useState(false);
  function open() {
    report.reset();
    setDone(false);
    dialog.current?.showModal();
  }
  function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: NewReport = {
      target,
      reason: fieldText(form, "reason") as NewReport["reason"],
      details: fieldText(form, "details"),
    };
    report.mutate(body, {
      onSuccess: () => {
        setDone(true);
      },
    });
  }
  const title = t(`report.title.${target.kind}`);
  return (
    <>
      <button type="button" className={className} onClick={open}>
        {label}
      </button>
      <dialog ref={dialog} className="dialog" aria-label={title}>
        {done ? (
          <div className="form">
            <h2>{t("report.thanksTitle")}</h2>
            <p role="status">{t("report.thanks")}</p>
            <div className="form-actions">
              <button type="button" className="button" onClick={() => dialog.current?.close()}>
                {t("report.close")}
              </button>
            </div>
          </div>
        ) : (
          <form className="form" onSubmit={submit}>
            <h2>{title}</h2>
            <fieldset className="choices">
              <legend>{t("report.why")}</legend>
              {REASONS.map((reason, index) => (
                <label key={reason}>
                  <input type="radio" name="reason" value={reason} required defaultChecked={index === 0} />{" "}
                  {t(`report.reason.${reason}`)}
                </label>
              ))}
            </fieldset>
            <label>
              {t("report.details")}
              <textarea name="details" rows={3} maxLength={1000} />
            </label>
            <p className="muted small">{t("report.hint")}</p>
            <DialogActions
              dialog={dialog}
              submitLabel={t("report.send")}
              pending={report.isPending}
              error={report.error?.message}
            />
          </form>
        )}
      </dialog>
    </>
  );
}
