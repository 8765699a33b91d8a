import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, unwrap } from "../api/client";

/** The bell in the header: the unread count, kept current by `notification` frames. */
export function NotificationBell() {
  const { t } = useTranslation();
  const unread = useQuery({
    queryKey: ["notifications", "unread-count"],
    queryFn: async () => {
      const page = unwrap(await api.GET("/api/notifications/", { params: { query: { unread: true, limit: 1 } } }));
      return (page as { unread_count?: number }).unread_count ?? 0;
    },
  });
  const count = unread.data ?? 0;
  return (
    <Link to="/notifications" className="bell" aria-label={t("notifications.bell", { count })}>
      <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
        <path
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          fill="currentColor"
        />
      </svg>
      {count > 0 && (
        <span className="badge" data-testid="bell-count">
          {count > 99 ? "99+" : count}
        </span>
      )}
    </Link>
  );
}
