import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client";

/** Grey placeholders the shape of what is loading. */
export function Skeleton({ lines = 3, card = false }: { lines?: number; card?: boolean }) {
  const { t } = useTranslation();
  return (
    <div className={card ? "skeleton-card" : "skeleton"} role="status" aria-label={t("common.loading")}>
      {Array.from({ length: lines }, (_, n) => (
        <span key={n} className="skeleton-line" style={{ width: `${90 - n * 15}%` }} />
      ))}
    </div>
  );
}

export function EmptyState({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** The API's own message, and a retry. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useTranslation();
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <div className="error-state" role="alert">
      <strong>{t("common.errorTitle")}</strong>
      <p>{message}</p>
      {retry && (
        <button type="button" className="button" onClick={retry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}
