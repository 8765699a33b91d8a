import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { endFirstRun, isFirstRun } from "../../lib/firstRun";

/** After registering: where to start (the profile, a mentor, a question), until dismissed. */
export function FirstRunHint() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const [shown, setShown] = useState(() => user !== null && isFirstRun(user.id));
  if (!shown || !user) return null;
  function dismiss() {
    endFirstRun();
    setShown(false);
  }
  return (
    <aside className="first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">{t("firstRun.title", { name: user.display_name })}</h2>
      <ol>
        <li>
          <Link to="/me">{t("firstRun.profile")}</Link>
        </li>
        <li>{t("firstRun.mentor")}</li>
        <li>
          <Link to="/questions/new">{t("firstRun.question")}</Link>
        </li>
      </ol>
      <button type="button" className="button button-small button-secondary" onClick={dismiss}>
        {t("firstRun.dismiss")}
      </button>
    </aside>
  );
}
