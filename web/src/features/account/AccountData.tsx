// Settings: a copy of one's data (the export), and deleting the account.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, unwrap } from "../../api/client";
import { FormError } from "../../components/FormError";
import { ErrorState, Skeleton } from "../../components/States";
import { dateTime } from "../../lib/format";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { useAuth } from "../auth/AuthContext";

const EXPORT = ["export"] as const;

/** The export's state, polled while the job builds it. */
export function DataExport() {
  const { t } = useTranslation();
  const queries = useQueryClient();
  const state = useQuery({
    queryKey: EXPORT,
    queryFn: async () => unwrap(await api.GET("/api/me/export")),
    refetchInterval: (query) => (query.state.data?.status === "pending" ? 2000 : false),
  });
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/me/export")),
    onSuccess: (started) => {
      queries.setQueryData(EXPORT, started);
    },
  });
  if (state.isPending) return <Skeleton lines={2} />;
  if (state.isError) return <ErrorState error={state.error} retry={() => void state.refetch()} />;
  const current = state.data;
  return (
    <div className="form">
      <p className="muted">{t("settings.exportWhat")}</p>
      {current.status === "pending" && <p role="status">{t("settings.exportPending")}</p>}
      {current.status === "failed" && <p className="form-error">{t("settings.exportFailed")}</p>}
      {current.status === "ready" && current.download_url && (
        <p>
          <a className="button button-secondary" href={current.download_url} download="hypee-export.json">
            {t("settings.exportDownload")}
          </a>{" "}
          <span className="muted small">
            {t("settings.exportUntil", { date: current.expires_at ? dateTime(current.expires_at) : "" })}
          </span>
        </p>
      )}
      <FormError error={start.error?.message} />
      <div className="form-actions">
        <button
          type="button"
          className="button"
          disabled={start.isPending || current.status === "pending"}
          onClick={() => {
            start.mutate();
          }}
        >
          {current.status === "none" ? t("settings.exportStart") : t("settings.exportAgain")}
        </button>
      </div>
    </div>
  );
}

/** Deleting the account: says what happens, asks for the password, then signs out. */
export function DeleteAccount() {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (!window.confirm(t("settings.deleteConfirm"))) return;
    setBusy(true);
    setError(null);
    try {
      unwrap(
        await api.DELETE("/api/me", {
          body: { password: fieldText(form, "delete_password"), erase_messages: form.get("erase") === "on" },
        }),
      );
      // Away from this signed-in page first: signing out here would send it to the login page.
      void navigate("/mentors", { replace: true });
      await signOut();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }
  return (
    <form className="form danger-zone" onSubmit={(event) => void submit(event)}>
      <p className="danger-text">{t("settings.deleteWhat")}</p>
      <div className="choices">
        <label>
          <input type="checkbox" name="erase" /> {t("settings.deleteErase")}
        </label>
      </div>
      <label>
        {t("auth.password")}
        <input name="delete_password" type="password" autoComplete="current-password" required />
      </label>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="button button-danger" disabled={busy}>
          {t("settings.deleteAccount")}
        </button>
      </div>
    </form>
  );
}
