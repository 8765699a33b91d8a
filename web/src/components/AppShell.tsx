import { useTranslation } from "react-i18next";
import { NavLink, Outlet, ScrollRestoration, useNavigate } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { chooseLanguage, LANGUAGES, type Language } from "../i18n";
import { useConnection } from "../realtime/RealtimeContext";
import { Avatar } from "./Avatar";
import { NotificationBell } from "./NotificationBell";

/** The header, the page, and a banner while the real-time link is down. */
export function AppShell() {
  const { t, i18n } = useTranslation();
  const { status, user, signOut } = useAuth();
  const connection = useConnection();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="app-header">
        <NavLink to="/mentors" className="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>{t("app.name")}</span>
        </NavLink>
        <nav className="main-nav" aria-label="Main">
          <NavLink to="/mentors">{t("nav.mentors")}</NavLink>
          {status === "signed-in" && <NavLink to="/chat">{t("nav.chat")}</NavLink>}
          <NavLink to="/questions">{t("nav.questions")}</NavLink>
        </nav>
        <div className="header-tools">
          <label className="visually-hidden" htmlFor="language">
            {t("nav.language")}
          </label>
          <select
            id="language"
            className="language"
            value={i18n.language}
            onChange={(event) => chooseLanguage(event.target.value as Language)}
          >
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code}>
                {code.toUpperCase()} · {name}
              </option>
            ))}
          </select>
          {status === "signed-in" && user ? (
            <>
              <NotificationBell />
              <NavLink to="/me" className="me-link" aria-label={t("nav.me")}>
                <Avatar name={user.display_name} url={user.avatar_url} size={32} />
              </NavLink>
              <button
                type="button"
                className="link-button"
                onClick={async () => {
                  await signOut();
                  navigate("/login");
                }}
              >
                {t("nav.logout")}
              </button>
            </>
          ) : status === "signed-out" ? (
            <NavLink to="/login" className="button button-small">
              {t("nav.login")}
            </NavLink>
          ) : null}
        </div>
      </header>
      {status === "signed-in" && connection === "offline" && (
        <div className="offline-banner" role="status">
          {t("common.offline")}
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <ScrollRestoration getKey={(location) => location.pathname + location.search} />
    </>
  );
}
