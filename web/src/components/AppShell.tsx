import { useTranslation } from "react-i18next";
import { NavLink, Outlet, ScrollRestoration, useLocation } from "react-router";
import { useAuth } from "../features/auth/AuthContext";
import { chooseLanguage, LANGUAGES, type Language } from "../i18n";
import { useConnection } from "../realtime/RealtimeContext";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { NotificationBell } from "../features/notifications/NotificationBell";
import { SignOutButton } from "../features/auth/SignOutButton";
import { VerifyEmailBanner } from "../features/account/VerifyEmailBanner";

/** The sections: in the header on wide screens, a tab bar at the bottom on phones. */
function MainNav() {
  const { t } = useTranslation();
  const { status, user } = useAuth();
  return (
    <nav className="main-nav" aria-label={t("nav.main")}>
      <NavLink to="/mentors">
        <Icon name="mentors" />
        <span>{t("nav.mentors")}</span>
      </NavLink>
      {status === "signed-in" && (
        <NavLink to="/chat">
          <Icon name="chat" />
          <span>{t("nav.chat")}</span>
        </NavLink>
      )}
      {status === "signed-in" && (
        <NavLink to="/mentorships">
          <Icon name="mentorships" />
          <span>{t("nav.mentorships")}</span>
        </NavLink>
      )}
      <NavLink to="/questions">
        <Icon name="questions" />
        <span>{t("nav.questions")}</span>
      </NavLink>
      {status === "signed-in" && user && user.roles.length > 0 && (
        <NavLink to="/moderation">
          <Icon name="shield" />
          <span>{t("nav.moderation")}</span>
        </NavLink>
      )}
    </nav>
  );
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <>
      <label className="visually-hidden" htmlFor="language">
        {t("nav.language")}
      </label>
      <select
        id="language"
        className="language"
        value={i18n.language}
        onChange={(event) => {
          chooseLanguage(event.target.value as Language);
        }}
      >
        {Object.entries(LANGUAGES).map(([code, name]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
    </>
  );
}

/** The header, the page, and a banner while the real-time link is down. */
export function AppShell() {
  const { t } = useTranslation();
  const { status, user } = useAuth();
  const connection = useConnection();
  // An open conversation takes the whole phone screen (it has its own way back).
  const inConversation = /^\/chat\/./.test(useLocation().pathname);
  return (
    <div className={inConversation ? "shell in-conversation" : "shell"}>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="app-header">
        <NavLink to="/mentors" className="brand">
          {/* The icon's own drawing (public/favicon.svg), inline: no second fetch of the file. */}
          <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true">
            <rect width="64" height="64" rx="14" fill="#4f46e5" />
            <path d="M20 16v32M44 16v32M20 32h24" stroke="#fff" strokeWidth="7" strokeLinecap="round" />
          </svg>
          <span>{t("app.name")}</span>
        </NavLink>
        <MainNav />
        <div className="header-tools">
          <LanguageSwitch />
          {status === "signed-in" && user ? (
            <>
              <NotificationBell />
              <NavLink to="/me" className="me-link" aria-label={t("nav.me")}>
                <Avatar name={user.display_name} url={user.avatar_url} size={32} />
              </NavLink>
              <SignOutButton className="link-button sign-out" />
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
      <VerifyEmailBanner />
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <ScrollRestoration getKey={(location) => location.pathname + location.search} />
    </div>
  );
}
