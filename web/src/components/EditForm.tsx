import { useState } from "react";
import { useTranslation } from "react-i18next";

interface Props {
  initial: string;
  label: string; // what the box is called for a screen reader
  className: string;
  rows?: number;
  /** Save the text; resolves to whether it worked (the form closes then). */
  onSave: (text: string) => Promise<boolean>;
  onCancel: () => void;
  children?: React.ReactNode; // under the buttons: why the last save failed
}

/** Editing a text in place (a message, a post): the box, Save and Cancel. */
export function EditForm({ initial, label, className, rows, onSave, onCancel, children }: Props) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(initial);
  return (
    <form
      className={className}
      onSubmit={(event) => {
        event.preventDefault();
        void onSave(draft).then((saved) => {
          if (saved) onCancel();
        });
      }}
    >
      <textarea
        value={draft}
        rows={rows}
        aria-label={label}
        onChange={(event) => {
          setDraft(event.target.value);
        }}
        ref={focusOnce}
      />
      <div className="row">
        <button type="submit" className="button button-small">
          {t("common.save")}
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          {t("common.cancel")}
        </button>
      </div>
      {children}
    </form>
  );
}

/** The box takes the focus when it opens (a ref callback: once, when it mounts). */
function focusOnce(box: HTMLTextAreaElement | null): void {
  box?.focus();
}
