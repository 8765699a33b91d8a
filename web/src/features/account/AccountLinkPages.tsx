// The pages the links of account emails open, and the forgotten-password form.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { FormError } from "../../components/FormError";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../auth/AuthContext";
import { useAction } from "../../lib/hooks";
import { fieldText, type FormSubmit } from "../../lib/forms";

function useToken(): string {
  const [params] = useSearchParams();
  return params.get("token") ?? "";
}

/** A small centred card: a title, what happened, and what to do next. */
function AccountCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="auth-card">
      <h1>{title}</h1>
      {children}
    </section>
  );
}

export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const { run, error, busy } = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);
  function submit(event: FormSubmit) {
    event.preventDefault();
    const email = fieldText(new FormData(event.currentTarget), "email");
    void run(async () => {
      unwrap(await api.POST("/api/auth/password/forgot", { body: { email } }));
      setSentTo(email);
    });
  }
  if (sentTo !== null) {
    return (
      <AccountCard title={t("account.forgotTitle")}>
        <p role="status">{t("account.forgotSent", { email: sentTo })}</p>
        <Link to="/login">{t("account.backToSignIn")}</Link>
      </AccountCard>
    );
  }
  return (
    <AccountCard title={t("account.forgotTitle")}>
      <p className="muted">{t("account.forgotText")}</p>
      <form onSubmit={submit} className="form">
        <label>
          {t("auth.email")}
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <FormError error={error} />
        <button type="submit" className="button" disabled={busy}>
          {t("account.sendLink")}
        </button>
      </form>
      <p className="muted">
        <Link to="/login">{t("account.backToSignIn")}</Link>
      </p>
    </AccountCard>
  );
}

export function ResetPasswordPage() {
  const { t } = useTranslation();
  const token = useToken();
  const { run, error, busy } = useAction();
  const [done, setDone] = useState(false);
  function submit(event: FormSubmit) {
    event.preventDefault();
    const password = fieldText(new FormData(event.currentTarget), "password");
    void run(async () => {
      unwrap(await api.POST("/api/auth/password/reset", { body: { token, password } }));
      setDone(true);
    });
  }
  if (done) {
    return (
      <AccountCard title={t("account.resetTitle")}>
        <p role="status">{t("account.resetDone")}</p>
        <Link to="/login" className="button">
          {t("nav.login")}
        </Link>
      </AccountCard>
    );
  }
  return (
    <AccountCard title={t("account.resetTitle")}>
      <form onSubmit={submit} className="form">
        <label>
          {t("account.newPassword")}
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            aria-describedby="reset-hint"
          />
          <small id="reset-hint" className="muted">
            {t("auth.passwordHint")}
          </small>
        </label>
        <FormError error={token ? error : t("account.linkMissing")} />
        <button type="submit" className="button" disabled={busy || !token}>
          {t("account.setPassword")}
        </button>
      </form>
      <p className="muted">
        <Link to="/forgot-password">{t("account.newLink")}</Link>
      </p>
    </AccountCard>
  );
}

export function VerifyEmailPage() {
  const { t } = useTranslation();
  const token = useToken();
  const { status, setUser } = useAuth();
  const { run, error } = useAction();
  const [verified, setVerified] = useState(false);
  const started = useRef(false); // the link works once: one call, even when effects run twice
  useEffect(() => {
    if (started.current || !token || status === "loading") return;
    started.current = true;
    void run(async () => {
      unwrap(await api.POST("/api/auth/verify-email", { body: { token } }));
      setVerified(true);
      if (status === "signed-in") setUser(unwrap(await api.GET("/api/me")));
    });
  }, [token, status, run, setUser]);
  return (
    <AccountCard title={t("account.verifyTitle")}>
      {verified ? (
        <p role="status">{t("account.verifyDone")}</p>
      ) : (
        <FormError error={token ? error : t("account.linkMissing")} />
      )}
      {!verified && !error && token && <p className="muted">{t("common.loading")}</p>}
      <Link to={status === "signed-in" ? "/mentors" : "/login"} className="button">
        {status === "signed-in" ? t("common.home") : t("nav.login")}
      </Link>
    </AccountCard>
  );
}

export function UnsubscribePage() {
  const { t } = useTranslation();
  const token = useToken();
  const { run, error, busy } = useAction();
  const [topic, setTopic] = useState<string | null>(null);
  function unsubscribe() {
    void run(async () => {
      const answer = unwrap(await api.POST("/api/unsubscribe/{token}", { params: { path: { token } } }));
      setTopic(answer.topic);
    });
  }
  return (
    <AccountCard title={t("account.unsubscribeTitle")}>
      {topic ? (
        <p role="status">{t(`account.unsubscribed.${topic as "messages" | "forum" | "mentorship" | "digest"}`)}</p>
      ) : (
        <>
          <p className="muted">{t("account.unsubscribeText")}</p>
          <FormError error={token ? error : t("account.linkMissing")} />
          <button type="button" className="button" onClick={unsubscribe} disabled={busy || !token}>
            {t("account.unsubscribe")}
          </button>
        </>
      )}
      <p className="muted">
        <Link to="/settings">{t("account.allSettings")}</Link>
      </p>
    </AccountCard>
  );
}
