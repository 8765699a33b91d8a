// Shown while the signed-in account's address is not verified, with a way to get a new link.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { FormError } from "../../components/FormError";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../auth/AuthContext";
import { useAction } from "../../lib/hooks";

export function VerifyEmailBanner() {
  const { t } = useTranslation();
  const { status, user } = useAuth();
  const { run, error, busy } = useAction();
  const [sent, setSent] = useState(false);
  if (status !== "signed-in" || !user || user.email_verified) return null;
  return (
    <div className="verify-banner" role="region" aria-label={t("account.verifyBannerLabel")}>
      <p>{t("account.verifyBanner", { email: user.email })}</p>
      {sent ? (
        <p role="status">{t("account.verifySent")}</p>
      ) : (
        <button
          type="button"
          className="button button-small button-secondary"
          disabled={busy}
          onClick={() => {
            void run(async () => {
              unwrap(await api.POST("/api/auth/verify-email/resend"));
              setSent(true);
            });
          }}
        >
          {t("account.verifyResend")}
        </button>
      )}
      <FormError error={error} />
    </div>
  );
}
