// The notifications' query keys and options (the bell, the list), in one place.
import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const notificationKeys = {
  all: ["notifications"] as const,
  unreadCount: ["notifications", "unread-count"] as const,
  list: ["notifications", "list"] as const,
};

export const unreadCountQuery = () =>
  queryOptions({
    queryKey: notificationKeys.unreadCount,
    queryFn: async () =>
      unwrap(await api.GET("/api/notifications/", { params: { query: { unread: true, limit: 1 } } })).unread_count,
  });
