import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { FormError } from "../../components/FormError";
import { Link, Navigate, useSearchParams } from "react-router";
import { useAuth } from "./AuthContext";
import { useAction } from "../../lib/hooks";
import { fieldText, type FormSubmit } from "../../lib/forms";

function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/mentors";
}

/** A form that calls the API: busy while it runs, the API's message when it fails. */
function useSubmit(action: (form: FormData) => Promise<void>) {
  const { run, error, busy } = useAction();
  function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(() => action(form));
  }
  return { submit, error, busy };
}

interface AuthCardProps {
  title: string;
  submitLabel: string;
  form: ReturnType<typeof useSubmit>;
  /** Under the form: the way to the other page. */
  other: ReactNode;
  children: ReactNode;
}

/** The sign-in and sign-up card: its fields, the API's error, the button, the other way. */
function AuthCard({ title, submitLabel, form, other, children }: AuthCardProps) {
  return (
    <section className="auth-card">
      <h1>{title}</h1>
      <form onSubmit={form.submit} className="form">
        {children}
        <FormError error={form.error} />
        <button type="submit" className="button" disabled={form.busy}>
          {submitLabel}
        </button>
      </form>
      <p className="muted">{other}</p>
    </section>
  );
}

function EmailField() {
  const { t } = useTranslation();
  return (
    <label>
      {t("auth.email")}
      <input name="email" type="email" autoComplete="email" required />
    </label>
  );
}

/** The password: the current one to sign in, a new one (with its rule) to sign up. */
function PasswordField({ isNew }: { isNew: boolean }) {
  const { t } = useTranslation();
  return (
    <label>
      {t("auth.password")}
      <input
        name="password"
        type="password"
        autoComplete={isNew ? "new-password" : "current-password"}
        minLength={isNew ? 8 : undefined}
        required
        aria-describedby={isNew ? "password-hint" : undefined}
      />
      {isNew && (
        <small id="password-hint" className="muted">
          {t("auth.passwordHint")}
        </small>
      )}
    </label>
  );
}

export function LoginPage() {
  const { t } = useTranslation();
  const { status, signIn } = useAuth();
  const next = useNext();
  // Once signed in, the page leaves for `next` (the redirect below).
  const form = useSubmit((data) => signIn(fieldText(data, "email"), fieldText(data, "password")));
  if (status === "signed-in") return <Navigate to={next} replace />;

  return (
    <AuthCard
      title={t("auth.welcome")}
      submitLabel={t("auth.signIn")}
      form={form}
      other={
        <>
          {t("auth.noAccount")} <Link to={`/register?next=${encodeURIComponent(next)}`}>{t("nav.register")}</Link>
        </>
      }
    >
      <EmailField />
      <PasswordField isNew={false} />
      <Link to="/forgot-password" className="small-link">
        {t("account.forgotLink")}
      </Link>
    </AuthCard>
  );
}

export function RegisterPage() {
  const { t } = useTranslation();
  const { status, register } = useAuth();
  const next = useNext();
  // Once signed in this page leaves: a new mentor to /me to fill in the profile.
  const [destination, setDestination] = useState(next);
  const form = useSubmit(async (data) => {
    const role = data.get("role") === "mentor" ? "mentor" : "mentee";
    setDestination(role === "mentor" ? "/me" : next);
    await register({
      email: fieldText(data, "email"),
      password: fieldText(data, "password"),
      display_name: fieldText(data, "display_name"),
      role,
    });
  });
  if (status === "signed-in") return <Navigate to={destination} replace />;

  return (
    <AuthCard
      title={t("auth.join")}
      submitLabel={t("auth.signUp")}
      form={form}
      other={
        <>
          {t("auth.haveAccount")} <Link to={`/login?next=${encodeURIComponent(next)}`}>{t("nav.login")}</Link>
        </>
      }
    >
      <label>
        {t("auth.displayName")}
        <input name="display_name" autoComplete="name" required maxLength={80} />
      </label>
      <EmailField />
      <PasswordField isNew />
      <fieldset className="choices">
        <legend>{t("auth.role")}</legend>
        <label>
          <input type="radio" name="role" value="mentee" defaultChecked /> {t("auth.roleMentee")}
        </label>
        <label>
          <input type="radio" name="role" value="mentor" /> {t("auth.roleMentor")}
        </label>
      </fieldset>
    </AuthCard>
  );
}

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <section className="page narrow center">
      <h1>{t("common.notFoundTitle")}</h1>
      <p className="muted">{t("common.notFoundText")}</p>
      <Link to="/mentors" className="button">
        {t("common.home")}
      </Link>
    </section>
  );
}
