import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";
import { unreadCountQuery } from "./queries";
import { Icon } from "../../components/Icon";

/** The bell in the header: the unread count, kept current by `notification` frames. */
export function NotificationBell() {
  const { t } = useTranslation();
  const unread = useQuery(unreadCountQuery());
  const count = unread.data ?? 0;
  return (
    <NavLink to="/notifications" className="bell" aria-label={t("notifications.bell", { count })}>
      <Icon name="bell" size={24} />
      {count > 0 && (
        <span className="badge" data-testid="bell-count">
          {count > 99 ? "99+" : count}
        </span>
      )}
    </NavLink>
  );
}
