// The foot of a dialog's form: what went wrong, the submit button, and Cancel (closes it).
import type { RefObject } from "react";
import { useTranslation } from "react-i18next";
import { FormError } from "./FormError";

interface Props {
  dialog: RefObject<HTMLDialogElement | null>;
  submitLabel: string;
  pending: boolean;
  error?: string;
}

export function DialogActions({ dialog, submitLabel, pending, error }: Props) {
  const { t } = useTranslation();
  return (
    <>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="button" disabled={pending}>
          {submitLabel}
        </button>
        <button type="button" className="button button-secondary" onClick={() => dialog.current?.close()}>
          {t("common.cancel")}
        </button>
      </div>
    </>
  );
}
