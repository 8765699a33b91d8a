// /settings: how the user is reached while away (email, push, digest, quiet hours, time zone,
// language of emails), their password and email address, blocks and mutes, their data export, and
// deleting the account.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { FormError } from "../../components/FormError";
import { api, unwrap } from "../../api/client";
import type { NotificationSettings } from "../../api/types";
import { useAuth } from "../auth/AuthContext";
import { ErrorState, Skeleton } from "../../components/States";
import { useAction } from "../../lib/hooks";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { DataExport, DeleteAccount } from "./AccountData";
import { BlockedPeople, MutedConversations } from "./SafetySettings";
import { pushState, turnPushOff, turnPushOn, type PushState } from "./push";
import { timeZones, useNotificationSettings, useSaveNotificationSettings } from "./queries";

const KINDS = ["messages", "forum", "mentorship"] as const;

/** One end of the quiet hours: a local time, asked for only while quiet hours are on. */
function QuietTime({ name, label, value, on }: { name: string; label: string; value: string; on: boolean }) {
  return (
    <label>
      {label}
      <input type="time" name={name} defaultValue={value} disabled={!on} required={on} />
    </label>
  );
}

function NotificationsForm({ settings }: { settings: NotificationSettings }) {
  const { t } = useTranslation();
  const save = useSaveNotificationSettings();
  const [quiet, setQuiet] = useState(settings.quiet_hours !== null);
  function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const channel = (name: string) => ({
      messages: form.get(`${name}-messages`) === "on",
      forum: form.get(`${name}-forum`) === "on",
      mentorship: form.get(`${name}-mentorship`) === "on",
    });
    save.mutate({
      email: channel("email"),
      push: channel("push"),
      digest: fieldText(form, "digest") as NotificationSettings["digest"],
      quiet_hours: quiet ? { start: fieldText(form, "quiet-start"), end: fieldText(form, "quiet-end") } : null,
      time_zone: fieldText(form, "time_zone"),
      language: fieldText(form, "email-language") as NotificationSettings["language"],
    });
  }
  return (
    <form
      className="form settings-form"
      onSubmit={submit}
      onChange={() => {
        save.reset();
      }}
    >
      {(["email", "push"] as const).map((channel) => (
        <fieldset key={channel} className="choices">
          <legend>{t(`settings.${channel}`)}</legend>
          {KINDS.map((kind) => (
            <label key={kind}>
              <input type="checkbox" name={`${channel}-${kind}`} defaultChecked={settings[channel][kind]} />{" "}
              {t(`settings.kind.${kind}`)}
            </label>
          ))}
        </fieldset>
      ))}
      <label>
        {t("settings.digest")}
        <select name="digest" defaultValue={settings.digest}>
          <option value="daily">{t("settings.digestDaily")}</option>
          <option value="weekly">{t("settings.digestWeekly")}</option>
          <option value="off">{t("settings.digestOff")}</option>
        </select>
      </label>
      <fieldset className="choices">
        <legend>{t("settings.quietHours")}</legend>
        <label>
          <input
            type="checkbox"
            checked={quiet}
            onChange={(event) => {
              setQuiet(event.target.checked);
            }}
          />{" "}
          {t("settings.quietOn")}
        </label>
        <div className="time-range">
          <QuietTime
            name="quiet-start"
            label={t("settings.quietStart")}
            value={settings.quiet_hours?.start ?? "22:00"}
            on={quiet}
          />
          <QuietTime
            name="quiet-end"
            label={t("settings.quietEnd")}
            value={settings.quiet_hours?.end ?? "07:00"}
            on={quiet}
          />
        </div>
        <small className="muted">{t("settings.quietHint")}</small>
      </fieldset>
      <label>
        {t("settings.timeZone")}
        <select name="time_zone" defaultValue={settings.time_zone}>
          {timeZones(settings.time_zone).map((zone) => (
            <option key={zone} value={zone}>
              {zone.replace(/_/g, " ")}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("settings.emailLanguage")}
        <select name="email-language" defaultValue={settings.language}>
          <option value="en">English</option>
          <option value="fr">Français</option>
        </select>
      </label>
      <FormError error={save.error?.message} />
      <div className="form-actions">
        <button type="submit" className="button" disabled={save.isPending}>
          {t("common.save")}
        </button>
        {save.isSuccess && (
          <span role="status" className="muted">
            {t("common.saved")}
          </span>
        )}
      </div>
    </form>
  );
}

function PushSwitch() {
  const { t } = useTranslation();
  const [state, setState] = useState<PushState | null>(null);
  const { run, error, busy } = useAction();
  useEffect(() => {
    void pushState().then(setState);
  }, []);
  if (state === null) return null;
  return (
    <div className="push-switch">
      <p className="muted">{t(`settings.pushState.${state}`)}</p>
      {(state === "off" || state === "on") && (
        <button
          type="button"
          className="button button-secondary"
          disabled={busy}
          onClick={() => {
            void run(async () => {
              setState(state === "on" ? await turnPushOff() : await turnPushOn());
            });
          }}
        >
          {state === "on" ? t("settings.pushTurnOff") : t("settings.pushTurnOn")}
        </button>
      )}
      <FormError error={error} />
    </div>
  );
}

function PasswordForm() {
  const { t } = useTranslation();
  const { run, error, busy } = useAction();
  const [done, setDone] = useState(false);
  function submit(event: FormSubmit) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    void run(async () => {
      unwrap(
        await api.POST("/api/me/password", {
          body: { current_password: fieldText(form, "current_password"), password: fieldText(form, "password") },
        }),
      );
      element.reset();
      setDone(true);
    });
  }
  return (
    <form className="form" onSubmit={submit}>
      <label>
        {t("settings.currentPassword")}
        <input name="current_password" type="password" autoComplete="current-password" required />
      </label>
      <label>
        {t("account.newPassword")}
        <input name="password" type="password" autoComplete="new-password" minLength={8} required />
      </label>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="button" disabled={busy}>
          {t("settings.changePassword")}
        </button>
        {done && (
          <span role="status" className="muted">
            {t("settings.passwordChanged")}
          </span>
        )}
      </div>
    </form>
  );
}

function EmailForm() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const { run, error, busy } = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);
  function submit(event: FormSubmit) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const email = fieldText(form, "email");
    void run(async () => {
      unwrap(await api.POST("/api/me/email", { body: { email, password: fieldText(form, "email_password") } }));
      element.reset();
      setSentTo(email);
    });
  }
  if (!user) return null;
  return (
    <form className="form" onSubmit={submit}>
      <p>
        {user.email}{" "}
        <span className={user.email_verified ? "status-pill status-ok" : "status-pill status-warning"}>
          {user.email_verified ? t("settings.verified") : t("settings.unverified")}
        </span>
      </p>
      <label>
        {t("settings.newEmail")}
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        {t("auth.password")}
        <input name="email_password" type="password" autoComplete="current-password" required />
      </label>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="button" disabled={busy}>
          {t("settings.changeEmail")}
        </button>
        {sentTo && (
          <span role="status" className="muted">
            {t("settings.emailLinkSent", { email: sentTo })}
          </span>
        )}
      </div>
    </form>
  );
}

export function SettingsPage() {
  const { t } = useTranslation();
  const settings = useNotificationSettings();
  return (
    <section className="page narrow">
      <h1>{t("settings.title")}</h1>
      <h2>{t("settings.notifications")}</h2>
      <PushSwitch />
      {settings.isPending ? (
        <Skeleton lines={6} />
      ) : settings.isError ? (
        <ErrorState error={settings.error} retry={() => void settings.refetch()} />
      ) : (
        <NotificationsForm settings={settings.data} />
      )}
      <h2>{t("settings.password")}</h2>
      <PasswordForm />
      <h2>{t("settings.emailAddress")}</h2>
      <EmailForm />
      <h2>{t("settings.blocked")}</h2>
      <BlockedPeople />
      <h2>{t("settings.muted")}</h2>
      <MutedConversations />
      <h2 id="export">{t("settings.export")}</h2>
      <DataExport />
      <h2>{t("settings.deleteTitle")}</h2>
      <DeleteAccount />
    </section>
  );
}
