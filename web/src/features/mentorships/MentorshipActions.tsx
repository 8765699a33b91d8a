// The moves the caller may make on a mentorship, as its state and their side allow.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Mentorship } from "../../api/types";
import { FormError } from "../../components/FormError";
import { useTransition, type Transition } from "./queries";

function movesFor(mentorship: Mentorship): Transition[] {
  if (mentorship.state === "pending") return mentorship.role === "mentor" ? ["accept", "decline"] : ["withdraw"];
  if (mentorship.state === "accepted") return ["complete", "end"];
  return [];
}

export function MentorshipActions({ mentorship }: { mentorship: Mentorship }) {
  const { t } = useTranslation();
  const transition = useTransition(mentorship.id);
  const [asking, setAsking] = useState<Transition | null>(null); // a decline or an end: why?
  const [reason, setReason] = useState("");
  const moves = movesFor(mentorship);
  if (moves.length === 0) return null;
  const run = (action: Transition, why?: string) => {
    transition.mutate(
      { action, reason: why },
      {
        onSuccess: () => {
          setAsking(null);
        },
      },
    );
  };
  return (
    <div className="mentorship-actions">
      {asking ? (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            run(asking, reason.trim());
          }}
        >
          <label>
            {t("mentorship.reasonLabel")}
            <textarea
              value={reason}
              rows={2}
              maxLength={1000}
              onChange={(event) => {
                setReason(event.target.value);
              }}
            />
          </label>
          <div className="form-actions">
            <button type="submit" className="button" disabled={transition.isPending}>
              {t(`mentorship.action.${asking}`)}
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setAsking(null);
              }}
            >
              {t("common.cancel")}
            </button>
          </div>
        </form>
      ) : (
        <div className="form-actions">
          {moves.map((action) => (
            <button
              key={action}
              type="button"
              className={
                action === "accept" || action === "complete"
                  ? "button button-small"
                  : "button button-secondary button-small"
              }
              disabled={transition.isPending}
              onClick={() => {
                if (action === "decline" || action === "end") setAsking(action);
                else run(action);
              }}
            >
              {t(`mentorship.action.${action}`)}
            </button>
          ))}
        </div>
      )}
      <FormError error={transition.error?.message} />
    </div>
  );
}
